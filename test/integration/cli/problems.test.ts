/**
 * Problems are visible from the CLI (issue 14, item 4): after broken manifests are merged,
 * `sessions list` shows each broken session manifest as a row with status `invalid` (and
 * `--status invalid` lists only those), `describe` prints the problem with its file:line:col, and
 * `problems` lists every one (the watched branch checked as the controller does, plus what the
 * controller recorded under problems/), exiting 1.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemPath, sessionRecordPath, type ProblemRecord } from "../../../src/api/index.js";
import { hashBlob } from "../../../src/git/fast-import.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const EDITED = sessionManifest("edited", "debug_on_failure: true\n");
const immutable = {
  line: 1,
  column: 1,
  code: "immutable",
  message: 'session "edited" was already created from blob 0123456789ab; sessions are immutable',
};

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/good.yaml": sessionManifest("good"),
    "sessions/broken.yaml": sessionManifest("broken", "ansible:\n  verbosity: 9\n"),
    "sessions/noconf.yaml": sessionManifest("noconf").replace("  name: site", "  name: nope"),
    "sessions/edited.yaml": EDITED,
    "sessions/fixed.yaml": sessionManifest("fixed"),
  });
  const stale: ProblemRecord = {
    path: "sessions/fixed.yaml",
    commit: "0".repeat(40),
    blob: hashBlob(Buffer.from("an older, broken version")),
    errors: [{ line: 2, column: 1, code: "schema", message: "an old problem, fixed since" }],
  };
  const recorded: ProblemRecord = {
    path: "sessions/edited.yaml",
    commit: "0".repeat(40),
    blob: hashBlob(Buffer.from(EDITED)),
    errors: [immutable],
  };
  await repo.writeStatus({
    [sessionRecordPath("edited")]: sessionRecord({ name: "edited", status: "complete" }),
    [problemPath(stale.path)]: stale,
    [problemPath(recorded.path)]: recorded,
  });
});

afterAll(async () => {
  await repo.close();
});

const rows = (stdout: string): string[][] =>
  stdout
    .trim()
    .split("\n")
    .map((line) => line.split(/\s{2,}/));

describe("sessions list", () => {
  it("shows a session manifest that cannot be used as a row with status invalid and its file:line:col", async () => {
    const result = await repo.run(["sessions", "list"]);
    expect(result.code).toBe(0);
    const table = rows(result.stdout);
    expect(table[0]).toEqual(["NAME", "STATUS", "SUCCEEDED", "CONFIGURATION", "TARGET", "AGE", "LAYERS"]);
    expect(table.slice(1).map((row) => [row[0], row[1]])).toEqual([
      ["broken", "invalid"],
      ["edited", "complete"],
      ["fixed", "pending"],
      ["good", "pending"],
      ["noconf", "invalid"],
    ]);
    expect(table.find((row) => row[0] === "broken")?.at(-1)).toMatch(/^sessions\/broken\.yaml:\d+:\d+$/);
    expect(table.find((row) => row[0] === "noconf")?.at(-1)).toMatch(/^sessions\/noconf\.yaml:\d+:\d+$/);
  });

  it("--status invalid lists only those; other status filters leave them out", async () => {
    const invalid = await repo.run(["sessions", "list", "--status", "invalid", "-o", "name"]);
    expect(invalid.stdout).toBe("broken\nnoconf\n");
    const pending = await repo.run(["sessions", "list", "--status", "pending", "-o", "name"]);
    expect(pending.stdout).toBe("fixed\ngood\n");
    const json = JSON.parse((await repo.run(["sessions", "list", "-o", "json"])).stdout) as {
      sessions: Array<{ name: string }>;
      invalid: Array<{ name: string; path: string; status: string; errors: unknown[] }>;
    };
    expect(json.sessions.map((s) => s.name)).toEqual(["edited", "fixed", "good"]);
    expect(json.invalid.map((s) => [s.name, s.path, s.status])).toEqual([
      ["broken", "sessions/broken.yaml", "invalid"],
      ["noconf", "sessions/noconf.yaml", "invalid"],
    ]);
  });
});

describe("sessions describe", () => {
  it("prints the problem with its file:line:col for a manifest that cannot be used, and exits 1", async () => {
    const result = await repo.run(["sessions", "describe", "noconf"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^sessions\/noconf\.yaml:5:9: configuration "nope" does not exist/);
    expect(result.stderr).toBe(
      "cfs-gitops: session noconf cannot be used: 1 problem in sessions/noconf.yaml (fix the file, or delete it)\n",
    );
  });

  it("prints a recorded session's record, and the problem of its edited manifest on stderr", async () => {
    const result = await repo.run(["sessions", "describe", "edited"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ name: "edited" });
    expect(result.stderr).toBe(`sessions/edited.yaml:1:1: ${immutable.message}\n`);
  });
});

describe("problems", () => {
  it("lists every problem, computed and recorded (not the stale one), and exits 1", async () => {
    const result = await repo.run(["problems"]);
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines.map((line) => line.split(":")[0])).toEqual([
      "sessions/broken.yaml",
      "sessions/edited.yaml",
      "sessions/noconf.yaml",
    ]);
    expect(result.stdout).not.toContain("fixed");
    expect(result.stderr).toBe("cfs-gitops: 3 problems in 3 files\n");
    const json = JSON.parse((await repo.run(["problems", "-o", "json"])).stdout) as ProblemRecord[];
    expect(json.map((p) => p.path)).toEqual([
      "sessions/broken.yaml",
      "sessions/edited.yaml",
      "sessions/noconf.yaml",
    ]);
  });

  it("exits 0 once every problem is fixed", async () => {
    await repo.push({
      "sessions/broken.yaml": null,
      "sessions/noconf.yaml": null,
      "sessions/edited.yaml": null,
    });
    const result = await repo.run(["problems"]);
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "no problems\n" });
  });
});
