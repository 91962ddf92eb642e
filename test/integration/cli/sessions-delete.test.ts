import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath } from "../../../src/api/index.js";
import { NOW, sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

let repo: CliRepo;

const SESSIONS = ["d-done-old", "d-done-new", "d-failed", "d-running", "d-pending", "d-gone"];

beforeAll(async () => {
  repo = await startCliRepo(
    Object.fromEntries(
      SESSIONS.filter((n) => n !== "d-gone").map((n) => [`sessions/${n}.yaml`, sessionManifest(n)]),
    ),
  );
  await repo.writeStatus({
    [sessionRecordPath("d-done-old")]: sessionRecord({
      name: "d-done-old",
      status: "complete",
      start: ago(9 * DAY),
    }),
    [sessionRecordPath("d-done-new")]: sessionRecord({
      name: "d-done-new",
      status: "complete",
      start: ago(DAY / 2),
    }),
    [sessionRecordPath("d-failed")]: sessionRecord({
      name: "d-failed",
      status: "complete",
      succeeded: "false",
      start: ago(3 * DAY),
      tags: { bos_session: "b7" },
    }),
    [sessionRecordPath("d-running")]: sessionRecord({
      name: "d-running",
      status: "running",
      start: ago(DAY),
    }),
    [sessionRecordPath("d-pending")]: sessionRecord({ name: "d-pending", status: "pending" }),
    // Its manifest is already gone from main: the controller is deleting it.
    [sessionRecordPath("d-gone")]: sessionRecord({ name: "d-gone", status: "complete", start: ago(9 * DAY) }),
  });
});

afterAll(async () => {
  await repo.close();
});

const files = async (ref = "main") =>
  (await repo.git(["ls-tree", "-r", "--name-only", ref, "sessions/"])).trim().split("\n").filter(Boolean);
const tip = async () => (await repo.git(["rev-parse", "main"])).trim();

describe("sessions delete", () => {
  it("commits the removal of the session's manifest", async () => {
    await repo.push({ "sessions/d-one.yaml": sessionManifest("d-one") });
    const result = await repo.run(["sessions", "delete", "d-one"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^pushed [0-9a-f]{12} to main: Delete session d-one\n$/);
    expect(await files()).not.toContain("sessions/d-one.yaml");
    expect((await repo.git(["log", "-1", "--format=%s%n%an", "main"])).trim()).toBe(
      "Delete session d-one\nJane Operator",
    );
  });

  it("says CFS's not found, or that the controller is already deleting it", async () => {
    const before = await tip();
    const missing = await repo.run(["sessions", "delete", "no-such"]);
    expect(missing).toMatchObject({ code: 1, stderr: "cfs-gitops: Session no-such could not be found\n" });
    const gone = await repo.run(["sessions", "delete", "d-gone"]);
    expect(gone.stderr).toBe(
      "cfs-gitops: Session d-gone has no manifest on main any more: the controller is deleting it\n",
    );
    expect(await tip()).toBe(before);
  });

  it("deletes on a pull-request branch with --branch", async () => {
    const main = await tip();
    const result = await repo.run(["sessions", "delete", "d-pending", "--branch", "remove-d-pending"]);
    expect(result.code).toBe(0);
    expect(await tip()).toBe(main);
    expect(await files("remove-d-pending")).not.toContain("sessions/d-pending.yaml");
  });
});

describe("sessions deleteall", () => {
  it("deletes only complete sessions by default, as CFS, in one commit listing them", async () => {
    const result = await repo.run(["sessions", "deleteall", "--min-age", "1d", "--branch", "cleanup-1"]);
    expect(result.code).toBe(0);
    expect(
      result.stdout
        .split("\n")
        .slice(1, -1)
        .map((line) => line.split(/\s+/)[0]),
    ).toEqual(["d-done-old", "d-failed"]);
    const left = await files("cleanup-1");
    expect(left).not.toContain("sessions/d-done-old.yaml");
    expect(left).not.toContain("sessions/d-failed.yaml");
    expect(left).toContain("sessions/d-running.yaml");
    expect((await repo.git(["log", "-1", "--format=%B", "cleanup-1"])).trim()).toBe(
      "Delete 2 sessions\n\n- d-done-old\n- d-failed\n\nDeleted with: cfs-gitops sessions deleteall",
    );
  });

  it('--status "" means any status; the filters are those of list', async () => {
    const result = await repo.run([
      "sessions",
      "deleteall",
      "--status",
      "",
      "--max-age",
      "2d",
      "--branch",
      "cleanup-2",
    ]);
    expect(result.code).toBe(0);
    const left = await files("cleanup-2");
    expect(left).not.toContain("sessions/d-running.yaml");
    expect(left).not.toContain("sessions/d-done-new.yaml");
    expect(left).toContain("sessions/d-pending.yaml");
    const tagged = await repo.run([
      "sessions",
      "deleteall",
      "--tags",
      "bos_session=b7",
      "--succeeded",
      "false",
      "--branch",
      "cleanup-3",
    ]);
    expect(tagged.code).toBe(0);
    expect(await files("cleanup-3")).not.toContain("sessions/d-failed.yaml");
  });

  it("asks on a terminal, and deletes nothing unless the answer is yes", async () => {
    const before = await tip();
    const no = await repo.run(["sessions", "deleteall"], { tty: true, input: ["n"] });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain("Delete these 3 sessions? [y/N] ");
    expect(no.stderr).toContain("cfs-gitops: nothing deleted\n");
    expect(await tip()).toBe(before);
    const yes = await repo.run(["sessions", "deleteall", "--name-contains", "done"], {
      tty: true,
      input: ["yes"],
    });
    expect(yes.code).toBe(0);
    expect(await files()).not.toContain("sessions/d-done-new.yaml");
    const skip = await repo.run(["sessions", "deleteall", "--yes"], { tty: true });
    expect(skip.code).toBe(0);
    expect(skip.stderr).not.toContain("[y/N]");
    expect(await files()).toEqual(["sessions/d-pending.yaml", "sessions/d-running.yaml"]);
    const none = await repo.run(["sessions", "deleteall"]);
    expect(none).toMatchObject({ code: 0, stderr: "no sessions match: nothing to delete\n" });
  });
});
