/**
 * What people expect of a modern CLI (issue 14, items 5 and 6): one-line parser errors with exit
 * code 2, shell completion that real bash runs, `sessions wait`, `sessions list --watch`, `-o
 * name|wide`, `--no-headers`, an AGE column, colour only on a terminal without NO_COLOR, and
 * `--help` examples that are safe to paste.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath } from "../../../src/api/index.js";
import { NOW, sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

let repo: CliRepo;

const RUNNING = sessionRecord({ name: "s-run", status: "running", start: "2026-11-21T11:00:00Z" });
const OLD = sessionRecord({
  name: "s-old",
  status: "complete",
  start: "2026-11-18T12:00:00Z",
  completion: "2026-11-18T12:05:00Z",
  tags: { team: "a" },
});

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/s-run.yaml": sessionManifest("s-run"),
    "sessions/s-old.yaml": sessionManifest("s-old"),
  });
  await repo.writeStatus({ [sessionRecordPath("s-run")]: RUNNING, [sessionRecordPath("s-old")]: OLD });
});

afterAll(async () => {
  await repo.close();
});

describe("parser errors", () => {
  it("are one line on stderr with exit code 2", async () => {
    for (const argv of [
      ["sessions", "list", "--colour"],
      ["sessions", "describe"],
      ["sessions", "lisst"],
    ]) {
      const result = await repo.run(argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr, argv.join(" ")).toMatch(/^cfs-gitops: [^\n]+; see --help\n$/);
    }
  });
});

describe("--help examples", () => {
  it("never show deleteall --max-age --yes (it deletes the recent sessions without asking)", async () => {
    const help = await repo.run(["sessions", "--help"]);
    expect(help.stdout).toContain("deleteall --min-age 7d");
    expect(help.stdout).not.toMatch(/deleteall[^\n]*--max-age/);
  });
});

describe("completion", () => {
  it("bash: real bash completes subcommands and options from the script", async () => {
    const script = (await repo.run(["completion", "bash"])).stdout;
    const complete = (words: string[]): string => {
      const run = spawnSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _cfs_gitops; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      );
      expect(run.stderr).toBe("");
      return run.stdout.trim();
    };
    expect(complete(["cfs-gitops", "ses"])).toBe("sessions");
    expect(complete(["cfs-gitops", "sessions", "l"]).split(" ").sort()).toEqual(["list", "logs"]);
    expect(complete(["cfs-gitops", "sessions", "list", "--status", "running", "--no-h"])).toBe(
      "--no-headers",
    );
  });

  it("zsh and fish scripts are printed; an unknown shell is a bad flag", async () => {
    expect((await repo.run(["completion", "zsh"])).stdout).toMatch(/^#compdef cfs-gitops\n/);
    expect((await repo.run(["completion", "fish"])).stdout).toContain(
      "complete -c cfs-gitops -n '__fish_seen_subcommand_from sessions; and __fish_seen_subcommand_from list' -l watch",
    );
    expect(await repo.run(["completion", "tcsh"])).toMatchObject({ code: 2 });
  });
});

describe("sessions list output", () => {
  it("-o name, --no-headers, AGE, and -o wide", async () => {
    expect((await repo.run(["sessions", "list", "-o", "name"])).stdout).toBe("s-old\ns-run\n");
    const table = (await repo.run(["sessions", "list", "--no-headers"])).stdout.trim().split("\n");
    expect(table.map((line) => line.split(/\s{2,}/))).toEqual([
      ["s-old", "complete", "true", "site", "dynamic", "3d", "-"],
      ["s-run", "running", "none", "site", "dynamic", "1h", "-"],
    ]);
    const wide = (await repo.run(["sessions", "list", "-o", "wide"])).stdout.split("\n")[0];
    expect(wide?.split(/\s+/)).toEqual([
      "NAME",
      "STATUS",
      "SUCCEEDED",
      "CONFIGURATION",
      "TARGET",
      "AGE",
      "LAYERS",
      "START",
      "COMPLETION",
      "JOB",
      "TAGS",
    ]);
    expect(await repo.run(["sessions", "list", "-o", "json", "--format", "yaml"])).toMatchObject({ code: 2 });
  });

  it("is coloured on a terminal only, and never with NO_COLOR", async () => {
    const tty = await repo.run(["sessions", "list"], { tty: true });
    expect(tty.stdout).toContain("\x1b[32mtrue\x1b[0m");
    const noColor = await repo.run(["sessions", "list"], { tty: true, env: { NO_COLOR: "1" } });
    expect(noColor.stdout).not.toContain("\x1b[");
    expect((await repo.run(["sessions", "list"])).stdout).not.toContain("\x1b[");
  });

  it("--watch prints the list again when it changes", async () => {
    const result = await repo.run(["sessions", "list", "--watch", "-o", "name", "--status", "running"], {
      onSleep: async (count) => {
        if (count === 1) {
          const done = sessionRecord({ name: "s-run", status: "complete", start: "2026-11-21T11:00:00Z" });
          await repo.writeStatus({ [sessionRecordPath("s-run")]: done });
        }
        if (count === 3) throw new Error("interrupted");
      },
    });
    expect(result.stdout).toBe("s-run\n\n");
    await repo.writeStatus({ [sessionRecordPath("s-run")]: RUNNING });
  });
});

describe("-o on the other list and describe commands", () => {
  it("is the same as --format", async () => {
    const list = await repo.run(["configurations", "list", "-o", "json"]);
    expect(JSON.parse(list.stdout)).toMatchObject({ configurations: [{ name: "site" }] });
    expect((await repo.run(["configurations", "describe", "site", "-o", "yaml"])).stdout).toMatch(
      /^name: site\n/,
    );
    const components = await repo.run(["components", "list", "-o", "json"]);
    expect(components.code).toBe(0);
    expect(components.stdout).toContain("x1000c0s0b0n0");
  });
});

describe("sessions wait", () => {
  it("follows a session until it completes: exit 0 when it succeeded, 1 when it failed or is unknown", async () => {
    let clock = NOW.getTime();
    const ok = await repo.run(["sessions", "wait", "s-run"], {
      now: () => new Date((clock += 1_000)),
      onSleep: async () => {
        const done = sessionRecord({ name: "s-run", status: "complete", start: "2026-11-21T11:00:00Z" });
        await repo.writeStatus({ [sessionRecordPath("s-run")]: done });
      },
    });
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split("\n").at(-1)).toMatch(/^s-run: complete, succeeded=true/);
    const failed = sessionRecord({ name: "s-old", status: "complete", succeeded: "false" });
    await repo.writeStatus({
      [sessionRecordPath("s-old")]: { ...failed, status: { ...failed.status, reason: "boom" } },
    });
    const bad = await repo.run(["sessions", "wait", "s-old"]);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toBe("cfs-gitops: session s-old failed: boom\n");
    expect(await repo.run(["sessions", "wait", "nope"])).toMatchObject({
      code: 1,
      stderr: "cfs-gitops: Session nope could not be found\n",
    });
  });
});
