/**
 * The flags of issue 13 that shape what a session runs with: `--job-layout` and `--node-ssh-secret`
 * (kubernetes runner), `--ssh-key` (local runner). Parsed once, into the frozen ControllerConfig.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { JOB_LAYOUTS, type JobLayout } from "../jobs/job-steps.js";

/** The flags (each also read from its CFS_GITOPS_* variable). */
export interface JobShapeFlags {
  jobLayout?: string;
  nodeSshSecret?: string;
  sshKey?: string;
}

/** The kubernetes runner's part. */
export interface KubernetesJobShape {
  /** The pod layout of every session's Job (default `cfs`, as today's CFS). */
  jobLayout: JobLayout;
  /** The Secret with the SSH key node sessions' ansible logs in to nodes with; null: none. */
  nodeSshSecret: string | null;
}

/** Default `--job-layout`: today's CFS (seed 000), the layout its runbooks' `kubectl logs -c ansible` expects. */
export const DEFAULT_JOB_LAYOUT: JobLayout = "cfs";

type Env = Readonly<Record<string, string | undefined>>;

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * `--job-layout` and `--node-ssh-secret` of the kubernetes runner, or a message for ConfigError.
 * `--ssh-key` (a file on this machine) cannot reach a Job: it is refused here with what to use.
 */
export function resolveKubernetesJobShape(flags: JobShapeFlags, env: Env): KubernetesJobShape | string {
  const layout = flags.jobLayout ?? env["CFS_GITOPS_JOB_LAYOUT"] ?? DEFAULT_JOB_LAYOUT;
  const jobLayout = JOB_LAYOUTS.find((l) => l === layout);
  if (jobLayout === undefined) return `--job-layout ${layout}: use cfs or per-layer`;
  const secret = flags.nodeSshSecret ?? env["CFS_GITOPS_NODE_SSH_SECRET"] ?? null;
  if (secret !== null && !DNS_SUBDOMAIN.test(secret)) return `--node-ssh-secret ${secret}: not a Secret name`;
  if ((flags.sshKey ?? env["CFS_GITOPS_SSH_KEY"]) !== undefined) {
    return "--ssh-key is a file of the local runner; with --runner kubernetes pass --node-ssh-secret <name>";
  }
  return { jobLayout, nodeSshSecret: secret };
}

/**
 * `--ssh-key FILE` of the local runner (absolute path; null when not given), or a message for
 * ConfigError. The kubernetes runner's flags are refused here with what to use instead.
 */
export function resolveLocalSshKey(flags: JobShapeFlags, env: Env): { sshKey: string | null } | string {
  if ((flags.nodeSshSecret ?? env["CFS_GITOPS_NODE_SSH_SECRET"]) !== undefined)
    return "--node-ssh-secret is for --runner kubernetes; the local runner takes --ssh-key <file>";
  if ((flags.jobLayout ?? env["CFS_GITOPS_JOB_LAYOUT"]) !== undefined)
    return "--job-layout is for --runner kubernetes (the local runner has no Job)";
  const given = flags.sshKey ?? env["CFS_GITOPS_SSH_KEY"];
  if (given === undefined || given === "") return { sshKey: null };
  const path = resolve(given);
  if (!existsSync(path) || !statSync(path).isFile()) return `--ssh-key ${path}: no such file`;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    const octal = mode.toString(8).padStart(4, "0");
    return `--ssh-key ${path}: readable by others (mode ${octal}); ssh refuses such a key: chmod 600 it`;
  }
  return { sshKey: path };
}
