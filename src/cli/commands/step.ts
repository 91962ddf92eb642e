/** `cfs-gitops step <name>`: the entrypoint of every container of a session's Kubernetes Job. */
import type { Command } from "commander";
import { ENV } from "../../jobs/index.js";
import { STEP_KINDS, resolveStepConfig, runContainerStep } from "../../runners/kubernetes/container/index.js";
import { ConfigError } from "../config.js";

/** Registers `step`. */
export function registerStep(program: Command): void {
  program
    .command("step <name>")
    .description(
      "run one step of a session inside its Kubernetes Job (the entrypoint of the Job's containers)",
    )
    .option("--layer <index>", "the layer's index in the configuration (git-clone and ansible steps)")
    .addHelpText(
      "after",
      `
Steps: ${STEP_KINDS.join(", ")}. The Job the kubernetes runner creates sets the environment a step
reads (${ENV.runSpecFile}, ${ENV.workDir}, ${ENV.resultsDir}, ...); git credentials come from the
Secret named by --git-credentials-secret and are never logged. Every step but the last exits 0 and
records its result; later steps skip themselves after a failure; the last (report, or teardown for
image targets) exits 1 when any step failed.

Example (what the Job runs for layer 2):
  cfs-gitops step ansible --layer 2`,
    )
    .action(async (name: string, flags: { layer?: string }) => {
      process.exitCode = await runStepCommand(name, flags);
    });
}

async function runStepCommand(name: string, flags: { layer?: string }): Promise<number> {
  const config = resolveStepConfig({ kind: name, ...flags, env: process.env });
  if ("error" in config) throw new ConfigError(config.error);
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    return await runContainerStep({
      config,
      env: childEnv(process.env),
      out: process.stdout,
      signal: abort.signal,
    });
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}

/** The environment of the programs a step runs: this one's, without the raw credential variables. */
function childEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const hidden = new Set<string>([ENV.gitUsername, ENV.gitPassword]);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !hidden.has(key)) out[key] = value;
  return out;
}
