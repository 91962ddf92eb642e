import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionLogPath, sessionRecordPath, type SessionRecord } from "../../../src/api/index.js";
import {
  CREDENTIALS,
  NOW,
  raceOnFirstPush,
  sessionManifest,
  sessionRecord,
  startCliRepo,
  type CliRepo,
} from "./cli-harness.js";

const IMAGE = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/existing.yaml": sessionManifest("existing"),
    "ansible-configs/custom-cfg.cfg": "[defaults]\nforks = 5\n",
  });
});

afterAll(async () => {
  await repo.close();
});

const show = (ref: string, path: string) => repo.git(["show", `${ref}:${path}`]);
const tip = async (branch = "main") => (await repo.git(["rev-parse", `refs/heads/${branch}`])).trim();

describe("sessions create", () => {
  it("writes sessions/<name>.yaml with every CFS create option, commits it as the user and pushes it", async () => {
    const result = await repo.run([
      "sessions",
      "create",
      "--name",
      "img-0427",
      "--configuration-name",
      "site",
      "--configuration-limit",
      "base",
      "--ansible-limit",
      "cfs_image",
      "--ansible-verbosity",
      "2",
      "--ansible-passthrough",
      "-e foo=bar --forks 5",
      "--ansible-config",
      "custom-cfg",
      "--target-definition",
      "image",
      "--target-group",
      "Application",
      IMAGE,
      "--target-image-map",
      IMAGE,
      "app-0427",
      "--tags",
      "bos_session=abc,requested_by=jane",
      "--debug-on-failure",
    ]);
    expect(result.stderr).toContain("pushed");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("img-0427\n");
    expect(parse(await show("main", "sessions/img-0427.yaml"))).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "img-0427",
      configuration: { name: "site", limit: "base" },
      ansible: {
        config: "custom-cfg",
        limit: "cfs_image",
        verbosity: 2,
        passthrough: "-e foo=bar --forks 5",
      },
      target: {
        definition: "image",
        groups: [{ name: "Application", members: [IMAGE] }],
        image_map: [{ source_id: IMAGE, result_name: "app-0427" }],
      },
      tags: { bos_session: "abc", requested_by: "jane" },
      debug_on_failure: true,
    });
    const log = await repo.git(["log", "-1", "--format=%an <%ae>%n%at%n%s", "main"]);
    expect(log.trim().split("\n")).toEqual([
      "Jane Operator <jane@example.org>",
      String(NOW.getTime() / 1000),
      "Add session img-0427",
    ]);
    const pushes = repo.server.requests.filter(
      (r) => r.service === "git-receive-pack" && r.method === "POST",
    );
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((r) => r.status === 200)).toBe(true);
    expect(result.stdout + result.stderr).not.toContain(CREDENTIALS.password);
  });

  it("refuses an --ansible-config the repository does not have, naming the ones it has, and writes nothing", async () => {
    const before = await tip();
    const result = await repo.run([
      "sessions",
      "create",
      "--name",
      "typo-cfg",
      "--configuration-name",
      "site",
      "--ansible-config",
      "custom-cgf",
    ]);
    expect(result).toMatchObject({
      code: 2,
      stderr:
        "cfs-gitops: --ansible-config custom-cgf: the repository has no ansible-configs/custom-cgf.cfg (CFS would fail the session): add it, name one of custom-cfg, or the default cfs-default-ansible-cfg (a ConfigMap of the cluster: add --ansible-config-in-cluster)\n",
    });
    expect(await tip()).toBe(before);
    const builtin = await repo.run([
      "sessions",
      "create",
      "--name",
      "default-cfg",
      "--configuration-name",
      "site",
      "--ansible-config",
      "cfs-default-ansible-cfg",
    ]);
    expect(builtin.code).toBe(0);
    const inCluster = await repo.run([
      "sessions",
      "create",
      "--name",
      "cluster-cfg",
      "--configuration-name",
      "site",
      "--ansible-config",
      "site-ansible-cfg",
      "--ansible-config-in-cluster",
    ]);
    expect(inCluster.code, inCluster.stderr).toBe(0);
  });

  it("prints the pending record the controller will write with --format json", async () => {
    const result = await repo.run([
      "sessions",
      "create",
      "--name",
      "json-out",
      "--configuration-name",
      "site",
      "--format",
      "json",
    ]);
    expect(result.code).toBe(0);
    const record = JSON.parse(result.stdout) as SessionRecord;
    expect(record.name).toBe("json-out");
    expect(record.status.session).toMatchObject({
      status: "pending",
      succeeded: "none",
      completion_time: null,
    });
    expect(record.status.session.job).toMatch(/^cfs-json-out-[0-9a-f]{8}$/);
    expect(record.status.source.commit).toBe(await tip());
  });

  it("refuses a name that exists, with CFS's wording, and writes nothing", async () => {
    const before = await tip();
    const result = await repo.run([
      "sessions",
      "create",
      "--name",
      "existing",
      "--configuration-name",
      "site",
    ]);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe("cfs-gitops: A session with the name existing already exists\n");
    await repo.writeStatus({
      [sessionRecordPath("recorded")]: sessionRecord({ name: "recorded", status: "complete" }),
    });
    const recorded = await repo.run([
      "sessions",
      "create",
      "--name",
      "recorded",
      "--configuration-name",
      "site",
    ]);
    expect(recorded.stderr).toBe("cfs-gitops: A session with the name recorded already exists\n");
    expect(await tip()).toBe(before);
  });

  it("refuses what the controller would reject, with its message, and writes nothing", async () => {
    const before = await tip();
    const unknown = await repo.run([
      "sessions",
      "create",
      "--name",
      "s-unknown",
      "--configuration-name",
      "nope",
    ]);
    expect(unknown).toMatchObject({ code: 1, stderr: "cfs-gitops: No configurations exist named nope\n" });
    const verbose = await repo.run([
      "sessions",
      "create",
      "--name",
      "s-verbose",
      "--configuration-name",
      "site",
      "--ansible-verbosity",
      "7",
    ]);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(
      /^cfs-gitops: the session would be invalid: sessions\/s-verbose\.yaml:\d+:\d+: .*4/,
    );
    const limit = await repo.run([
      "sessions",
      "create",
      "--name",
      "s-limit",
      "--configuration-name",
      "site",
      "--configuration-limit",
      "nope",
    ]);
    expect(limit.stderr).toContain('no layer with name "nope"');
    const badName = await repo.run([
      "sessions",
      "create",
      "--name",
      "Bad_Name",
      "--configuration-name",
      "site",
    ]);
    expect(badName.code).toBe(2);
    const groups = await repo.run([
      "sessions",
      "create",
      "--name",
      "s-groups",
      "--configuration-name",
      "site",
      "--target-group",
      "only-a-name",
    ]);
    expect(groups).toMatchObject({ code: 2 });
    expect(groups.stderr).toContain("--target-group takes NAME MEMBER[,MEMBER...]; got only-a-name");
    const missing = await repo.run(["sessions", "create", "--name", "s-missing"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--configuration-name");
    expect(await tip()).toBe(before);
  });

  it("pushes a new branch for a pull request with --branch, leaving main alone", async () => {
    const main = await tip();
    const result = await repo.run([
      "sessions",
      "create",
      "--name",
      "pr-session",
      "--configuration-name",
      "site",
      "--branch",
      "add-pr-session",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("new branch add-pr-session (from main)");
    expect(result.stderr).toContain("cfs-gitops diff --pr add-pr-session");
    expect(await tip()).toBe(main);
    expect((await repo.git(["rev-parse", "add-pr-session^"])).trim()).toBe(main);
    const second = await repo.run([
      "sessions",
      "create",
      "--name",
      "pr-session-2",
      "--configuration-name",
      "site",
      "--branch",
      "add-pr-session",
    ]);
    expect(second.stderr).toContain("to branch add-pr-session:");
    expect(await show("add-pr-session", "sessions/pr-session.yaml")).toContain("name: pr-session");
    expect(await show("add-pr-session", "sessions/pr-session-2.yaml")).toContain("name: pr-session-2");
    const wait = await repo.run([
      "sessions",
      "create",
      "--name",
      "pr-3",
      "--configuration-name",
      "site",
      "--branch",
      "other",
      "--wait",
    ]);
    expect(wait.code).toBe(2);
  });

  it("rebases its one-file change and pushes again when main moved under it", async () => {
    const other = await repo.push({ "configurations/other.yaml": SITE_OTHER }, { branch: "race-1" });
    raceOnFirstPush({ bare: repo.bare, next: other });
    const result = await repo.run(["sessions", "create", "--name", "raced", "--configuration-name", "site"]);
    expect(result.stderr).toContain("rebased: main had moved");
    expect(result.code).toBe(0);
    expect((await repo.git(["rev-parse", "main^"])).trim()).toBe(other);
    expect(await show("main", "sessions/raced.yaml")).toContain("name: raced");
    expect(await show("main", "configurations/other.yaml")).toContain("name: other");
  });

  it("stops with a clear message when the same file changed upstream", async () => {
    await repo.git(["update-ref", "-d", "refs/heads/race-1"]);
    const theirs = await repo.push(
      { "sessions/clash.yaml": sessionManifest("clash", "tags: {by: bob}\n") },
      { branch: "race-2" },
    );
    raceOnFirstPush({ bare: repo.bare, next: theirs });
    const result = await repo.run(["sessions", "create", "--name", "clash", "--configuration-name", "site"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^cfs-gitops: sessions\/clash\.yaml changed on main meanwhile \([0-9a-f]+ by Fixture Author: a change by someone else\): nothing was pushed/,
    );
    expect(await tip()).toBe(theirs);
  });
});

describe("sessions create --wait", () => {
  const steps = (states: Array<[string, string]>) =>
    states.map(([name, status]) => ({
      name,
      status,
      exit_code: null,
      start_time: null,
      completion_time: null,
    }));
  const layers = [0, 1].map((index) => ({
    index,
    name: index === 0 ? "base" : "app",
    clone_url: "x",
    commit: null,
    branch: null,
    playbook: "site.yml",
    status: "pending",
    exit_code: null,
    recap: {},
    failed_hosts: [],
    unreachable_hosts: [],
  }));

  /** Plays the controller: each sleep of the CLI moves the session one state further. */
  function controller(name: string, succeeded: "true" | "false") {
    const base = sessionRecord({ name, status: "pending" });
    const states: SessionRecord[] = [
      base,
      {
        ...base,
        status: {
          ...base.status,
          session: { ...base.status.session, status: "running", start_time: "2026-11-21T12:00:01Z" },
          layers: layers as never,
          steps: steps([["git-clone-0", "running"]]) as never,
        },
      },
      {
        ...base,
        status: {
          ...base.status,
          session: { ...base.status.session, status: "running", start_time: "2026-11-21T12:00:01Z" },
          layers: layers as never,
          steps: steps([
            ["git-clone-0", "succeeded"],
            ["git-clone-1", "succeeded"],
            ["inventory", "succeeded"],
            ["ansible-1", "running"],
          ]) as never,
        },
      },
      {
        ...base,
        status: {
          ...base.status,
          session: {
            ...base.status.session,
            status: "complete",
            succeeded,
            start_time: "2026-11-21T12:00:01Z",
            completion_time: "2026-11-21T12:01:00Z",
          },
          reason: succeeded === "false" ? "layer app (ansible-1) failed on localhost" : null,
        },
      },
    ];
    return async (count: number) => {
      const state = states[count - 1];
      if (state)
        await repo.writeStatus({
          [sessionRecordPath(name)]: state,
          ...(count === 4 ? { [sessionLogPath(name, "ansible-1")]: "done\n" } : {}),
        });
    };
  }

  it("follows the session with plain lines off a terminal and exits 1 when it failed", async () => {
    let clock = NOW.getTime();
    const result = await repo.run(
      ["sessions", "create", "--name", "waited", "--configuration-name", "site", "--wait"],
      {
        onSleep: controller("waited", "false"),
        now: () => new Date((clock += 5_000)),
      },
    );
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n")).toEqual([
      "waited: waiting for the controller to pick it up (0:05)",
      "waited: pending (0:10)",
      "waited: running · git-clone-0 · layer 0 (base), 1 of 2 (0:15)",
      "waited: running · ansible-1 · layer 1 (app), 2 of 2 (0:20)",
      "waited: complete, succeeded=false (layer app (ansible-1) failed on localhost) (0:25)",
      "",
    ]);
    expect(result.stderr).toContain(
      "cfs-gitops: session waited failed: layer app (ansible-1) failed on localhost\n",
    );
  });

  it("redraws one live line on a terminal (state, step, layer i of n, elapsed) and exits 0 on success", async () => {
    let clock = NOW.getTime();
    const result = await repo.run(
      ["sessions", "create", "--name", "waited-tty", "--configuration-name", "site", "--wait"],
      {
        onSleep: controller("waited-tty", "true"),
        now: () => new Date((clock += 61_000)),
        tty: true,
      },
    );
    expect(result.code).toBe(0);
    const frames = result.stdout.split("\r\x1b[2K").filter(Boolean);
    expect(frames).toContain("waited-tty: running · ansible-1 · layer 1 (app), 2 of 2 · 4:04");
    expect(frames.at(-1)).toBe("waited-tty: complete, succeeded=true · 5:05\n");
  });

  it("stops waiting with the controller's message when it cannot use the manifest", async () => {
    const result = await repo.run(
      ["sessions", "create", "--name", "rejected", "--configuration-name", "site", "--wait"],
      {
        onSleep: () =>
          repo.writeStatus({
            "problems/sessions/rejected.yaml.json": {
              path: "sessions/rejected.yaml",
              commit: "0".repeat(40),
              blob: null,
              errors: [{ line: 3, column: 1, code: "schema", message: "something the controller disliked" }],
            },
          }),
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "cannot use sessions/rejected.yaml: sessions/rejected.yaml:3:1: something the controller disliked",
    );
  });
});

const SITE_OTHER = `apiVersion: cfs-gitops/v1
kind: Configuration
name: other
layers:
  - clone_url: https://git.example.org/site/other.git
    commit: cccc333333333333333333333333333333333333
    playbook: site.yml
`;
