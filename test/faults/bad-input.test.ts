/**
 * Fault: a commit full of hostile and broken input beside one good session. Required: each case
 * gets its expected problem record (`problems/<path>.json` with its code) or, for what only a run
 * can tell (clone URLs), a failed session with a reason; nothing hostile takes effect; the
 * controller never crashes; the good session runs.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import { ConfigRepo, configurationYaml, git } from "../helpers/config-repo.js";
import { describeHit, scanForSecrets } from "../helpers/scan-for-secrets.js";
import { pollUntil, startControllerProcess } from "./controller-process.js";
import { faultConfiguration, faultSessionYaml, readMarks } from "./fault-sessions.js";
import { startScenario } from "./scenario.js";
import { reachableObjectsText, readObjects } from "./status-history.js";

const scenario = startScenario("bad-input");
afterAll(() => scenario.cleanup());

/** What a case must produce. */
type Expected =
  | { problem: string | null; message?: RegExp; notRun?: string }
  | { failedSession: string; reason: RegExp; sideEffect?: string }
  | { runs: string; sideEffect: string };

interface Case {
  name: string;
  path: string;
  content: string | Buffer | null;
  expected: Expected;
}

const URL_SECRET = "Cr3dInUrl-S3cret";

function session(name: string, configuration: string, extra = ""): string {
  return `apiVersion: cfs-gitops/v1\nkind: Session\nname: ${name}\nconfiguration:\n  name: ${configuration}\ntarget:\n  definition: spec\n  groups:\n    - name: test\n      members: [localhost]\n${extra}`;
}

function aliasBomb(): string {
  const rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (const [prev, name] of [
    ["a", "b"],
    ["b", "c"],
    ["c", "d"],
    ["d", "e"],
    ["e", "f"],
  ]) {
    rows.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`);
  }
  return `${rows.join("\n")}\n`;
}

/** Matches a message unless it says "the file is N bytes" with N other than `size`. */
function notAnotherSize(size: number): RegExp {
  return new RegExp(`^(?![\\s\\S]*the file is (?!${size} bytes)\\d+ bytes)`);
}

function passthrough(text: string): string {
  return `ansible:\n  passthrough: ${JSON.stringify(text)}\n`;
}

/** The corpus; `dir` holds the files a hostile input would create if it took effect. */
function corpus(dir: string): Case[] {
  const pwned = (what: string) => join(dir, `pwned-${what}`);
  const huge = `${session("huge", "fault")}# ${"x".repeat(3 * 1024 * 1024)}\n`;
  const hostile = (name: string, url: string, reason: RegExp, sideEffect?: string): Case[] => [
    {
      name: `clone URL ${name}`,
      path: `configurations/${name}.yaml`,
      content: configurationYaml(name, [{ name: "l", url }]),
      expected: { failedSession: `${name}-s`, reason, ...(sideEffect === undefined ? {} : { sideEffect }) },
    },
    {
      name: `session on ${name}`,
      path: `sessions/${name}-s.yaml`,
      content: session(`${name}-s`, name),
      expected: { problem: null },
    },
  ];
  return [
    {
      name: "YAML syntax error",
      path: "sessions/yaml-error.yaml",
      content: session("[unclosed", "fault"),
      expected: { problem: "yaml" },
    },
    {
      name: "duplicate keys",
      path: "sessions/dup-keys.yaml",
      content: `${session("dup-keys", "fault")}name: dup-keys\n`,
      expected: { problem: "yaml", message: /duplicate key/ },
    },
    {
      name: "alias bomb",
      path: "sessions/alias-bomb.yaml",
      content: aliasBomb(),
      expected: { problem: "yaml", message: /alias/ },
    },
    {
      name: "huge file (3 MiB)",
      path: "sessions/huge.yaml",
      content: huge,
      // The message may leave the size out ("over 1 MiB"), but a size it states must be the real one.
      expected: { problem: "too-large", message: notAnotherSize(Buffer.byteLength(huge)) },
    },
    {
      name: "bad UTF-8",
      path: "sessions/bad-utf8.yaml",
      content: Buffer.concat([Buffer.from(session("bad-utf8", "fault")), Buffer.from([0xff, 0xfe, 0x0a])]),
      expected: { problem: "encoding" },
    },
    {
      name: "symlink",
      path: "sessions/link.yaml",
      content: null,
      expected: { problem: "not-regular-file", notRun: "link" },
    },
    {
      name: "not a mapping",
      path: "sessions/list.yaml",
      content: "- a\n- b\n",
      expected: { problem: "not-an-object" },
    },
    {
      name: "name is not the file name",
      path: "sessions/mismatch.yaml",
      content: session("other", "fault"),
      expected: { problem: "name-mismatch", notRun: "other" },
    },
    {
      name: "odd name: capitals and _",
      path: "sessions/Bad_Name.yaml",
      content: session("Bad_Name", "fault"),
      expected: { problem: "schema" },
    },
    {
      name: "odd name: leading dash",
      path: "sessions/-dash.yaml",
      content: session("-dash", "fault"),
      expected: { problem: "schema" },
    },
    {
      name: "session in a subdirectory",
      path: "sessions/a/q.yaml",
      content: faultSessionYaml({ name: "q", fail: false, sleepSeconds: 0.1 }),
      expected: { problem: "", notRun: "q" },
    },
    {
      name: "session under a directory named *.yaml",
      path: "sessions/y.yaml/z.yaml",
      content: faultSessionYaml({ name: "z", fail: false, sleepSeconds: 0.1 }),
      expected: { problem: "", notRun: "z" },
    },
    {
      name: "passthrough -e @/etc/passwd",
      path: "sessions/at-passwd.yaml",
      content: session("at-passwd", "fault", passthrough("-e @/etc/passwd")),
      expected: { problem: "schema", message: /@/, notRun: "at-passwd" },
    },
    {
      name: "passthrough --extra-vars=@/x",
      path: "sessions/at-extra.yaml",
      content: session("at-extra", "fault", passthrough("--extra-vars=@/etc/hostname")),
      expected: { problem: "schema", message: /@/, notRun: "at-extra" },
    },
    {
      name: "passthrough -e@/x",
      path: "sessions/at-glued.yaml",
      content: session("at-glued", "fault", passthrough("-e@/etc/hostname")),
      expected: { problem: "schema", message: /@/, notRun: "at-glued" },
    },
    {
      name: "passthrough with ; and a command",
      path: "sessions/semicolon.yaml",
      content: session("semicolon", "fault", passthrough(`-e x=1; touch ${pwned("semicolon")}`)),
      expected: { problem: "schema", notRun: "semicolon" },
    },
    {
      name: "passthrough with $(...) (harmless: argv, no shell)",
      path: "sessions/subst.yaml",
      content: session(
        "subst",
        "fault",
        passthrough(
          `-e fault_session=subst -e fault_fail=false -e "x=$(touch ${pwned("subst")})" -e 'y=\`touch ${pwned("subst")}\`'`,
        ),
      ),
      expected: { runs: "subst", sideEffect: pwned("subst") },
    },
    ...hostile("ext-url", `ext::sh -c touch% ${pwned("ext")}`, /git-clone-0/, pwned("ext")),
    ...hostile("ext-script", `ext::${join(dir, "pwn.sh")}`, /git-clone-0/, pwned("ext-script")),
    ...hostile(
      "ssh-option",
      `ssh://-oProxyCommand=touch%20${pwned("ssh")}/x.git`,
      /git-clone-0/,
      pwned("ssh"),
    ),
    ...hostile("file-url", "file:///etc/passwd", /git-clone-0/),
    ...hostile("cred-url", `https://alice:${URL_SECRET}@127.0.0.1:9/x.git`, /git-clone-0/),
  ];
}

function problemOf(
  repo: ConfigRepo,
  path: string,
): { errors: Array<{ code: string; message: string }> } | null {
  const text =
    readObjects(join(repo.path, ".git"), [`refs/heads/cfs-status:problems/${path}.json`])[0] ?? null;
  return text === null ? null : (JSON.parse(text) as { errors: Array<{ code: string; message: string }> });
}

function recordOf(repo: ConfigRepo, name: string): SessionRecord | null {
  const text =
    readObjects(join(repo.path, ".git"), [`refs/heads/cfs-status:sessions/${name}.json`])[0] ?? null;
  return text === null ? null : (JSON.parse(text) as SessionRecord);
}

/** Why a case did not meet its expectation, or null. */
function judge(input: { repo: ConfigRepo; c: Case; marks: string }): string | null {
  const { repo, c, marks } = input;
  const e = c.expected;
  if ("problem" in e) {
    if (e.problem === null) return null;
    const problem = problemOf(repo, c.path);
    if (
      e.notRun !== undefined &&
      (readMarks(marks, e.notRun).starts > 0 || recordOf(repo, e.notRun) !== null)
    ) {
      return `${c.path}: session ${e.notRun} was taken in (record or run) although it must not be`;
    }
    if (problem === null) return `${c.path}: no problems/${c.path}.json`;
    const hit = problem.errors.find(
      (x) => (e.problem === "" || x.code === e.problem) && (e.message?.test(x.message) ?? true),
    );
    return hit
      ? null
      : `${c.path}: expected code ${e.problem || "(any)"} ${e.message ?? ""}, got ${JSON.stringify(problem.errors)}`;
  }
  if ("failedSession" in e) {
    if (e.sideEffect !== undefined && existsSync(e.sideEffect))
      return `${c.path}: the hostile URL ran a command`;
    if (problemOf(repo, c.path) !== null || problemOf(repo, `sessions/${e.failedSession}.yaml`) !== null)
      return null;
    const record = recordOf(repo, e.failedSession);
    const state = record?.status.session;
    if (
      state?.status === "complete" &&
      state.succeeded === "false" &&
      e.reason.test(record?.status.reason ?? "")
    )
      return null;
    return `${c.path}: expected a problem or session ${e.failedSession} failed with a reason ${e.reason}, got ${JSON.stringify(state ?? null)} ${record?.status.reason ?? ""}`;
  }
  if (existsSync(e.sideEffect)) return `${c.path}: the passthrough ran a command`;
  const state = recordOf(repo, e.runs)?.status.session;
  return state?.status === "complete" && state.succeeded === "true"
    ? null
    : `${c.path}: expected ${e.runs} to run and succeed, got ${JSON.stringify(state ?? null)}`;
}

/** The sessions of the corpus that must complete and have not (yet). */
function unsettled(repo: ConfigRepo, cases: readonly Case[]): string[] {
  const names = [
    "good",
    ...cases.flatMap((c) =>
      "failedSession" in c.expected
        ? [c.expected.failedSession]
        : "runs" in c.expected
          ? [c.expected.runs]
          : [],
    ),
  ];
  const problem = (name: string) =>
    cases.some((c) => c.path.endsWith(`/${name}.yaml`) && problemOf(repo, c.path) !== null);
  return names.filter((name) => !problem(name) && recordOf(repo, name)?.status.session.status !== "complete");
}

describe("the bad-input corpus", () => {
  it("gives each case its expected problem or reason, never crashes, and runs the good session", async () => {
    const { dir } = scenario;
    const marks = join(dir, "marks");
    const repo = new ConfigRepo(join(dir, "config"));
    const cases = corpus(dir);
    mkdirSync(join(repo.path, "sessions"), { recursive: true });
    writeFileSync(join(dir, "pwn.sh"), `#!/bin/sh\ntouch ${join(dir, "pwned-ext-script")}\n`, {
      mode: 0o755,
    });
    symlinkSync("../configurations/fault.yaml", join(repo.path, "sessions", "link.yaml"));
    repo.commit({
      "configurations/fault.yaml": faultConfiguration(dir, marks),
      "sessions/good.yaml": faultSessionYaml({ name: "good", fail: false, sleepSeconds: 0.1 }),
      ...Object.fromEntries(
        cases.filter((c) => c.content !== null).map((c) => [c.path, c.content as string | Buffer]),
      ),
    });
    expect(git(repo.path, ["ls-files", "-s", "sessions/link.yaml"])).toMatch(/^120000/);
    const controller = startControllerProcess({
      repo: repo.path,
      dataDir: join(dir, "data"),
      // The unreachable clone URLs fail as a transient error: two tries, not CFS's 60 x 10 s.
      env: { CFS_GITOPS_GIT_RETRY_MAX: "2", CFS_GITOPS_GIT_RETRY_DELAY: "1" },
    });
    try {
      const settled = await pollUntil(() => unsettled(repo, cases).length === 0, {
        timeoutMs: 120_000,
        everyMs: 500,
      });
      const crashed = controller.end() !== null;
      const failures = cases.map((c) => judge({ repo, c, marks })).filter((f): f is string => f !== null);
      const good = recordOf(repo, "good")?.status.session;
      const leaks = scanForSecrets({
        secrets: { "password in a clone URL": URL_SECRET },
        logText: controller.lines,
        texts: { "objects of cfs-status": reachableObjectsText(join(repo.path, ".git")) },
      });
      const end = await controller.stop("SIGTERM");
      if (!settled)
        scenario.notes.push(`sessions that never completed: ${unsettled(repo, cases).join(", ")}`);
      scenario.notes.push(...failures, ...leaks.map(describeHit));
      const unmet = scenario.report([
        { name: "cases", value: cases.length },
        { name: "cases without their expected problem or reason", value: failures.length, required: 0 },
        { name: "controller crashes (exited by itself)", value: crashed ? 1 : 0, required: 0 },
        { name: "exit code after SIGTERM", value: end.code ?? String(end.signal), required: 0 },
        { name: "good session succeeded", value: good?.succeeded === "true", required: true },
        { name: "URL password found (places)", value: leaks.length, required: 0 },
      ]);
      expect(unmet, scenario.notes.join("\n")).toEqual([]);
    } finally {
      await controller.stop("SIGKILL");
    }
  });
});
