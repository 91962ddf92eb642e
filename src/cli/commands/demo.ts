/** `cfs-gitops demo`: the whole loop on this machine, in a temporary folder. */
import type { Command } from "commander";
import { isSettledSession } from "../../api/index.js";
import { Controller } from "../../controller/index.js";
import { createLocalRunner } from "../../runners/local/index.js";
import { runGit } from "../../git/run-git.js";
import { resolveRepoConfig } from "../config.js";
import { commitFile, prepareDemo, type DemoLayout } from "../demo.js";
import { createLogger } from "../logger.js";
import { openRepository } from "../open-repo.js";
import { sessionTable } from "../output.js";
import { selfCommand } from "../self-command.js";
import { StatusReader } from "../status-reader.js";
import type { StatusStore } from "../../git/types.js";

const BROKEN_CONFIGURATION = `apiVersion: cfs-gitops/v1
kind: Configuration
name: demo-broken
layers:
  - name: base
    clone_url: https://git.example.org/site/base.git
    branch: main
    playbook: site.yml
  - name: broken
    clone_url: https://git.example.org/site/broken.git
    branch: main
    playbook: site.yml
`;

const BROKEN_SESSION = `apiVersion: cfs-gitops/v1
kind: Session
name: demo-broken
configuration:
  name: demo-broken
target:
  definition: spec
  groups:
    - name: demo
      members: [localhost]
`;

/** Registers `demo`. */
export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(
      "run the whole loop on this machine: a temporary config repository, real git and real Ansible",
    )
    .option("--dir <dir>", "folder to build the demo in (default: a new temporary folder)")
    .option("--log-level <level>", "controller log level on stderr", "warn")
    .addHelpText("after", "\nExample:\n  npm start            # builds, then runs: cfs-gitops demo\n")
    .action(async (flags: { dir?: string; logLevel: string }) => {
      await runDemo(flags);
    });
}

const say = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

async function runDemo(flags: { dir?: string; logLevel: string }): Promise<void> {
  say("==> Making a configuration repository from examples/ and layer repositories from examples/layers/");
  const layout = await prepareDemo(flags.dir);
  say(`    ${layout.config}`);
  const log = createLogger({ level: flags.logLevel });
  const config = resolveRepoConfig({ repo: layout.config, dataDir: layout.data }, {});
  const repo = await openRepository({ config, log });
  const runner = await createLocalRunner({
    dataDir: `${layout.data}/runner`,
    log,
    maxConcurrent: 4,
    env: { CFS_DEMO_OUT: layout.out },
  });
  const controller = new Controller({
    source: repo.source,
    status: repo.status,
    runner,
    log,
  });
  try {
    say("==> Starting the controller on the repository (local runner, watching refs)");
    await controller.start();
    await settle(controller, "the first sessions");
    await printSessions(repo.status);
    say("==> Merging a session whose configuration has a failing layer, and deleting demo-dynamic");
    await commitFile({
      repo: layout.config,
      path: "configurations/demo-broken.yaml",
      text: BROKEN_CONFIGURATION,
      message: "Add configuration demo-broken",
      gitRoot: layout.gitRoot,
    });
    await commitFile({
      repo: layout.config,
      path: "sessions/demo-broken.yaml",
      text: BROKEN_SESSION,
      message: "Add session demo-broken",
      gitRoot: layout.gitRoot,
    });
    await commitFile({
      repo: layout.config,
      path: "sessions/demo-dynamic.yaml",
      text: null,
      message: "Delete session demo-dynamic",
      gitRoot: layout.gitRoot,
    });
    await waitForSession(controller, "demo-broken");
    await settle(controller, "demo-broken");
    await printSessions(repo.status);
    await printHistory(layout);
  } finally {
    await controller.stop();
    await runner.close();
    await repo.close();
  }
}

async function settle(controller: Controller, what: string): Promise<void> {
  const started = Date.now();
  let last = "";
  while ([...controller.records.sessions.values()].some((r) => r.status.session.status !== "complete")) {
    const line = progressLine(controller);
    if (line !== last) say(`    ${Math.round((Date.now() - started) / 1000)}s  ${line}`);
    last = line;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  say(`    ${what}: done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

async function waitForSession(controller: Controller, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!controller.records.sessions.has(name) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function progressLine(controller: Controller): string {
  return [...controller.records.sessions.values()]
    .map((r) => {
      const running = isSettledSession(r) ? undefined : r.status.steps.find((s) => s.status === "running");
      return `${r.name}: ${r.status.session.status}${running ? ` (${running.name})` : ""}`;
    })
    .join(", ");
}

async function printSessions(status: StatusStore): Promise<void> {
  const reader = await StatusReader.open(status);
  say("");
  process.stdout.write(sessionTable(await reader.sessions()));
  say("");
}

async function printHistory(layout: DemoLayout): Promise<void> {
  say("==> git log cfs-status (the audit trail; one commit per pass that changed something)");
  const log = await runGit({
    args: ["log", "--format=%h %s%n%(trailers:key=Cfs-Session,valueonly,separator=%x2C )", "cfs-status"],
    cwd: layout.config,
  });
  process.stdout.write(log.stdout.toString("utf8").replace(/\n\n/g, "\n"));
  say("");
  say("Try next:");
  const cli = selfCommand({ script: process.argv[1] ?? "dist/src/cli/main.js", path: process.env["PATH"] });
  const flags = `--repo ${layout.config} --data-dir ${layout.data}`;
  say(`  git -C ${layout.config} log --stat cfs-status -- sessions/demo-broken.json`);
  say(`  ${cli} sessions describe demo-broken ${flags}`);
  say(`  ${cli} sessions logs demo-broken -c ansible-1 ${flags}`);
  say(`  ${cli} controller ${flags}   # then commit to it`);
}
