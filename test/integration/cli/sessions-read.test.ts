import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionLogPath, sessionRecordPath, type SessionRecord } from "../../../src/api/index.js";
import { referenceSpecPath } from "../../helpers/reference-spec.js";
import { allowCfsNulls, cfsSchemaValidator, nullPaths } from "./cfs-openapi.js";
import { NOW, sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** Sessions of every status and age, as the controller records them. */
const RECORDS: SessionRecord[] = [
  sessionRecord({ name: "s-pending", status: "pending", tags: { team: "a" } }),
  sessionRecord({
    name: "s-running",
    status: "running",
    start: ago(2 * HOUR),
    tags: { team: "a", bos_session: "b1" },
  }),
  sessionRecord({
    name: "s-ok-old",
    status: "complete",
    succeeded: "true",
    start: ago(10 * DAY),
    completion: ago(10 * DAY - HOUR),
  }),
  sessionRecord({
    name: "s-failed",
    status: "complete",
    succeeded: "false",
    start: ago(DAY + HOUR),
    completion: ago(DAY),
    tags: { team: "b" },
  }),
  sessionRecord({
    name: "s-unknown",
    status: "complete",
    succeeded: "unknown",
    start: ago(30 * MIN),
    completion: ago(20 * MIN),
  }),
  sessionRecord({
    name: "s-ok-new",
    status: "complete",
    succeeded: "true",
    start: ago(5 * MIN),
    completion: ago(MIN),
    tags: { bos_session: "b1" },
  }),
];

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/m-new.yaml": sessionManifest("m-new"),
    ...Object.fromEntries(RECORDS.map((r) => [`sessions/${r.name}.yaml`, sessionManifest(r.name)])),
  });
  await repo.writeStatus(Object.fromEntries(RECORDS.map((r) => [sessionRecordPath(r.name), r])));
});

afterAll(async () => {
  await repo.close();
});

const names = (stdout: string): string[] =>
  (JSON.parse(stdout) as { sessions: SessionRecord[] }).sessions.map((s) => s.name);

describe("sessions list filters (a status branch with sessions of every status and age)", () => {
  const cases: Array<[string, string[], string[]]> = [
    [
      "no filter: every session, by name, unrecorded manifests as pending",
      [],
      ["m-new", "s-failed", "s-ok-new", "s-ok-old", "s-pending", "s-running", "s-unknown"],
    ],
    ["--status running", ["--status", "running"], ["s-running"]],
    ["--status complete", ["--status", "complete"], ["s-failed", "s-ok-new", "s-ok-old", "s-unknown"]],
    ["--status pending", ["--status", "pending"], ["m-new", "s-pending"]],
    ["--succeeded none", ["--succeeded", "none"], ["m-new", "s-pending", "s-running"]],
    ["--succeeded false", ["--succeeded", "false"], ["s-failed"]],
    ["--succeeded unknown", ["--succeeded", "unknown"], ["s-unknown"]],
    ["--min-age 1d (started at least a day ago)", ["--min-age", "1d"], ["s-failed", "s-ok-old"]],
    [
      "--max-age 1h (started within the hour; unstarted ones match no age)",
      ["--max-age", "1h"],
      ["s-ok-new", "s-unknown"],
    ],
    ["--min-age 1h --max-age 2d", ["--min-age", "1h", "--max-age", "2d"], ["s-failed", "s-running"]],
    ["--max-age 30m includes exactly 30 minutes", ["--max-age", "30m"], ["s-ok-new", "s-unknown"]],
    ["--tags team=a", ["--tags", "team=a"], ["s-pending", "s-running"]],
    ["--tags with two pairs: all must match", ["--tags", "team=a,bos_session=b1"], ["s-running"]],
    ["--name-contains ok", ["--name-contains", "ok"], ["s-ok-new", "s-ok-old"]],
    ["filters combine", ["--status", "complete", "--succeeded", "true", "--max-age", "1d"], ["s-ok-new"]],
  ];

  it.each(cases)("%s", async (_title, flags, expected) => {
    const result = await repo.run(["sessions", "list", "--format", "json", ...flags]);
    expect(result.stderr).toBe("");
    expect(names(result.stdout)).toEqual(expected);
  });

  it("pages with --limit and --after, as CFS v3 does (next carries the parameters)", async () => {
    const first = await repo.run([
      "sessions",
      "list",
      "--format",
      "json",
      "--status",
      "complete",
      "--limit",
      "3",
    ]);
    const page = JSON.parse(first.stdout) as {
      sessions: SessionRecord[];
      next: Record<string, unknown> | null;
    };
    expect(page.sessions.map((s) => s.name)).toEqual(["s-failed", "s-ok-new", "s-ok-old"]);
    expect(page.next).toEqual({ limit: 3, status: "complete", after_id: "s-ok-old" });
    const second = await repo.run([
      "sessions",
      "list",
      "--format",
      "json",
      "--status",
      "complete",
      "--limit",
      "3",
      "--after",
      "s-ok-old",
    ]);
    expect(JSON.parse(second.stdout)).toMatchObject({ next: null });
    expect(names(second.stdout)).toEqual(["s-unknown"]);
    const table = await repo.run(["sessions", "list", "--limit", "2"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+STATUS\s+SUCCEEDED/);
    expect(table.stdout.trim().split("\n")).toHaveLength(3);
    expect(table.stderr).toBe("more sessions: add --after s-failed\n");
  });

  it("prints yaml, and refuses bad filter values with exit code 2", async () => {
    const yaml = await repo.run(["sessions", "list", "--format", "yaml", "--status", "running"]);
    expect((parse(yaml.stdout) as { sessions: SessionRecord[] }).sessions[0]?.name).toBe("s-running");
    for (const flags of [
      ["--status", "done"],
      ["--succeeded", "yes"],
      ["--min-age", "ages"],
      ["--tags", "novalue"],
      ["--limit", "0"],
      ["--format", "toml"],
    ]) {
      const result = await repo.run(["sessions", "list", ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^cfs-gitops: --/);
    }
  });
});

describe("sessions describe", () => {
  const described = ["s-ok-old", "s-running", "s-pending", "m-new"];
  const describeRecord = async (name: string): Promise<SessionRecord> => {
    const result = await repo.run(["sessions", "describe", name]);
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as SessionRecord;
  };

  it("prints exactly the CFS record: CFS's keys, and null only where CFS prints null", async () => {
    for (const name of described) {
      const record = await describeRecord(name);
      expect(Object.keys(record).sort()).toEqual([
        "ansible",
        "configuration",
        "debug_on_failure",
        "logs",
        "name",
        "status",
        "tags",
        "target",
      ]);
      const allowed = [
        "/ansible/limit",
        "/ansible/passthrough",
        "/status/session/completion_time",
        "/status/session/start_time",
        "/status/session/job",
        "/target/groups",
        "/status/reason",
      ];
      for (const path of nullPaths(record))
        expect(
          allowed.some((a) => path.startsWith(a)),
          path,
        ).toBe(true);
    }
  });

  it("prints records that validate against V3SessionData from the CFS OpenAPI file", async (context) => {
    const spec = referenceSpecPath(context, "cfs");
    const validate = cfsSchemaValidator({ spec, name: "V3SessionData", patch: allowCfsNulls });
    for (const name of described) {
      const record = await describeRecord(name);
      expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
    }
  });

  it("knows the one place CFS and its spec disagree: completion_time is null until complete", async (context) => {
    const strict = cfsSchemaValidator({ spec: referenceSpecPath(context, "cfs"), name: "V3SessionData" });
    const pending = await describeRecord("s-running");
    expect(pending.status.session.completion_time).toBeNull();
    expect(strict(pending)).toBe(false);
    expect(strict.errors?.map((e) => e.instancePath)).toContain("/status/session/completion_time");
  });

  it("prints yaml, and CFS's wording for a session that does not exist", async () => {
    const yaml = await repo.run(["sessions", "describe", "s-failed", "--format", "yaml"]);
    expect(parse(yaml.stdout)).toMatchObject({
      name: "s-failed",
      status: { session: { succeeded: "false" } },
    });
    const missing = await repo.run(["sessions", "describe", "nope"]);
    expect(missing).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "cfs-gitops: Session nope could not be found\n",
    });
  });
});

describe("sessions logs", () => {
  const withSteps = (record: SessionRecord, steps: string[]): SessionRecord => ({
    ...record,
    status: {
      ...record.status,
      steps: steps.map((name) => ({
        name,
        status: "succeeded",
        exit_code: 0,
        start_time: null,
        completion_time: null,
      })),
    },
  });

  it("prints committed step logs in pipeline order, or one step with -c", async () => {
    const record = withSteps(sessionRecord({ name: "s-logged", status: "complete", start: ago(HOUR) }), [
      "git-clone-0",
      "inventory",
      "ansible-0",
    ]);
    await repo.push({ "sessions/s-logged.yaml": sessionManifest("s-logged") });
    await repo.writeStatus({
      [sessionRecordPath("s-logged")]: record,
      [sessionLogPath("s-logged", "git-clone-0")]: "cloned\n",
      [sessionLogPath("s-logged", "inventory")]: "inventory written\n",
      [sessionLogPath("s-logged", "ansible-0")]: "PLAY RECAP\nlocalhost : ok=1\n",
    });
    const all = await repo.run(["sessions", "logs", "s-logged"]);
    expect(all.stdout).toBe(
      "==> git-clone-0 <==\ncloned\n==> inventory <==\ninventory written\n==> ansible-0 <==\nPLAY RECAP\nlocalhost : ok=1\n",
    );
    const one = await repo.run(["sessions", "logs", "s-logged", "-c", "ansible-0"]);
    expect(one.stdout).toBe("PLAY RECAP\nlocalhost : ok=1\n");
    const missing = await repo.run(["sessions", "logs", "s-logged", "-c", "ansible-7"]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toBe(
      "cfs-gitops: session s-logged has no step ansible-7: its steps are git-clone-0, inventory, ansible-0\n",
    );
  });

  it("--follow prints a running session's live log as it grows, until the session completes", async () => {
    const running = withSteps(sessionRecord({ name: "s-live", status: "running", start: ago(MIN) }), [
      "ansible-0",
    ]);
    await repo.push({ "sessions/s-live.yaml": sessionManifest("s-live") });
    await repo.writeStatus({ [sessionRecordPath("s-live")]: running });
    const logs = join(repo.dir, "data", "runner", "runs", running.status.session.job ?? "", "logs");
    mkdirSync(logs, { recursive: true });
    writeFileSync(join(logs, "ansible-0.log"), "TASK [one]\n");
    const result = await repo.run(["sessions", "logs", "s-live", "--follow"], {
      onSleep: async (count) => {
        appendFileSync(join(logs, "ansible-0.log"), `TASK [${count + 1}]\n`);
        if (count === 2) {
          const done = {
            ...running,
            status: {
              ...running.status,
              session: { ...running.status.session, status: "complete" as const, succeeded: "true" as const },
            },
          };
          await repo.writeStatus({ [sessionRecordPath("s-live")]: done });
        }
      },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("==> ansible-0 <==\nTASK [one]\nTASK [2]\nTASK [3]\n");
  });
});

describe("sessions history", () => {
  it("shows who added the manifest, the merge that brought it in, and every status transition, as one timeline", async () => {
    const git = (args: string[], env: Record<string, string> = {}) =>
      execFileSync("git", ["-C", repo.work, ...args], {
        encoding: "utf8",
        env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", ...env },
      });
    const at = (iso: string, who: string) => ({
      GIT_AUTHOR_DATE: iso,
      GIT_COMMITTER_DATE: iso,
      GIT_AUTHOR_NAME: who,
      GIT_AUTHOR_EMAIL: `${who.toLowerCase()}@example.org`,
      GIT_COMMITTER_NAME: who,
      GIT_COMMITTER_EMAIL: `${who.toLowerCase()}@example.org`,
    });
    git(["fetch", "--quiet", repo.bare, "+refs/heads/main:refs/remotes/origin/main"]);
    git(["checkout", "--quiet", "-B", "jane/h1", "origin/main"]);
    writeFileSync(join(repo.work, "sessions/h1.yaml"), sessionManifest("h1"));
    git(["add", "sessions/h1.yaml"]);
    git(["commit", "--quiet", "-m", "Add session h1"], at("2026-11-22T09:00:00Z", "Jane"));
    git(["checkout", "--quiet", "-B", "main", "origin/main"]);
    git(
      ["merge", "--quiet", "--no-ff", "-m", "Merge pull request #7 from jane/h1", "jane/h1"],
      at("2026-11-22T10:00:00Z", "Bob"),
    );
    git(["push", "--quiet", repo.bare, "main:main"]);
    const h1 = sessionRecord({ name: "h1", status: "pending", text: sessionManifest("h1") });
    const running = {
      ...h1,
      status: {
        ...h1.status,
        session: { ...h1.status.session, status: "running" as const, start_time: "2026-11-22T10:00:05Z" },
      },
    };
    const done = {
      ...running,
      status: {
        ...running.status,
        session: {
          ...running.status.session,
          status: "complete" as const,
          succeeded: "true" as const,
          completion_time: "2026-11-22T10:03:00Z",
        },
      },
    };
    await repo.writeStatus({ [sessionRecordPath("h1")]: h1 }, new Date("2026-11-22T10:00:02Z"));
    await repo.writeStatus({ [sessionRecordPath("h1")]: running }, new Date("2026-11-22T10:00:05Z"));
    await repo.writeStatus(
      { [sessionRecordPath("h1")]: { ...running, status: { ...running.status, reason: "progress" } } },
      new Date("2026-11-22T10:01:00Z"),
    );
    await repo.writeStatus({ [sessionRecordPath("h1")]: done }, new Date("2026-11-22T10:03:00Z"));
    const deleted = await repo.run(["sessions", "delete", "h1"], {
      now: () => new Date("2026-11-23T08:00:00Z"),
    });
    expect(deleted.code).toBe(0);
    await repo.writeStatus({ [sessionRecordPath("h1")]: null }, new Date("2026-11-23T08:00:10Z"));

    const result = await repo.run(["sessions", "history", "h1"]);
    expect(result.code).toBe(0);
    const rows = result.stdout
      .trim()
      .split("\n")
      .map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(["TIME", "EVENT", "COMMIT", "DETAIL"]);
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ["2026-11-22T09:00:00Z", "added"],
      ["2026-11-22T10:00:00Z", "merged"],
      ["2026-11-22T10:00:02Z", "pending"],
      ["2026-11-22T10:00:05Z", "running"],
      ["2026-11-22T10:03:00Z", "complete"],
      ["2026-11-23T08:00:00Z", "removed"],
      ["2026-11-23T08:00:10Z", "deleted"],
    ]);
    expect(rows[1]?.[3]).toBe("sessions/h1.yaml by Jane <jane@example.org>: Add session h1");
    expect(rows[2]?.[3]).toMatch(
      /^brought [0-9a-f]{12} in, by Bob <bob@example.org>: Merge pull request #7 from jane\/h1$/,
    );
    expect(rows[5]?.[3]).toBe("status, succeeded=true");
    expect(rows[6]?.[3]).toBe("sessions/h1.yaml by Jane Operator <jane@example.org>: Delete session h1");
    const json = await repo.run(["sessions", "history", "h1", "--format", "json"]);
    expect((JSON.parse(json.stdout) as Array<{ kind: string }>).map((e) => e.kind)).toEqual([
      "manifest",
      "merge",
      "status",
      "status",
      "status",
      "manifest",
      "status",
    ]);
    const missing = await repo.run(["sessions", "history", "never-was"]);
    expect(missing.stderr).toBe("cfs-gitops: Session never-was could not be found\n");
  });
});
