/**
 * The bench's data: a configuration repository of N sessions and M configurations, and the status
 * records of sessions that already ran. Pure and deterministic (same shape in, same bytes out), so
 * every run of the bench measures the same repository.
 */
import { createHash } from "node:crypto";
import {
  jobName,
  sessionRecordPath,
  sessionLogPath,
  type RunSpec,
  type SessionManifest,
} from "../../src/api/index.js";
import { applyObservation, newSessionRecord, stableJson } from "../../src/plan/index.js";
import { completeRun, endStep, initialObservation, startRun } from "../../src/api/observation.js";

/** How many sessions and configurations a generated repository has. */
export interface RepoShape {
  sessions: number;
  configurations: number;
}

/** Layers per generated configuration. */
export const LAYERS_PER_CONFIGURATION = 3;

/** `bench-s00042`: sortable, a valid session name. */
export function sessionName(index: number): string {
  return `bench-s${String(index).padStart(5, "0")}`;
}

/** `bench-config-007`. */
export function configurationName(index: number): string {
  return `bench-config-${String(index).padStart(3, "0")}`;
}

/** A fixed 40-hex commit id derived from a label (layers pin commits, so nothing is resolved). */
export function fakeCommit(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

/** A node name of the kind CFS sites use (x-names). */
function xname(index: number): string {
  return `x3000c0s${Math.floor(index / 8) % 64}b0n${index % 8}`;
}

/** A deterministic UUID-shaped id (IMS image ids). */
function fakeUuid(label: string): string {
  const hex = createHash("sha256").update(label).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The Session manifest of session `index`: every tenth customizes an image, the rest target nodes. */
export function sessionManifest(index: number, shape: RepoShape): SessionManifest {
  const name = sessionName(index);
  const configuration = { name: configurationName(index % shape.configurations) };
  const tags = { bench: "true", batch: String(Math.floor(index / 1000)) };
  if (index % 10 === 0) {
    const image = fakeUuid(`image-${index}`);
    return {
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name,
      configuration,
      target: {
        definition: "image",
        groups: [{ name: "Compute", members: [image] }],
        image_map: [{ source_id: image, result_name: `${name}-customized` }],
      },
      tags,
    };
  }
  const members = [xname(index), xname(index + 1)];
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name,
    configuration,
    ansible: { verbosity: index % 3, limit: members[0] ?? "" },
    target: { definition: "spec", groups: [{ name: "Compute", members }] },
    tags,
  };
}

/** The YAML text a user would write for session `index`. */
export function sessionYaml(index: number, shape: RepoShape): string {
  const session = sessionManifest(index, shape);
  const target = session.target ?? {};
  const lines = [
    "apiVersion: cfs-gitops/v1",
    "kind: Session",
    `name: ${session.name}`,
    "configuration:",
    `  name: ${session.configuration.name}`,
  ];
  if (session.ansible) {
    lines.push(
      "ansible:",
      `  verbosity: ${session.ansible.verbosity ?? 0}`,
      `  limit: ${session.ansible.limit ?? ""}`,
    );
  }
  lines.push("target:", `  definition: ${target.definition ?? "dynamic"}`, "  groups:");
  for (const group of target.groups ?? []) {
    lines.push(`    - name: ${group.name}`, `      members: [${group.members.join(", ")}]`);
  }
  if (target.image_map) {
    lines.push("  image_map:");
    for (const entry of target.image_map) {
      lines.push(`    - source_id: ${entry.source_id}`, `      result_name: ${entry.result_name}`);
    }
  }
  lines.push("tags:", ...Object.entries(session.tags ?? {}).map(([k, v]) => `  ${k}: "${v}"`));
  return `${lines.join("\n")}\n`;
}

/** The YAML text of configuration `index`: three layers pinned to commits. */
export function configurationYaml(index: number): string {
  const name = configurationName(index);
  const layers = ["base", "site", "app"]
    .slice(0, LAYERS_PER_CONFIGURATION)
    .flatMap((layer) => [
      `  - name: ${layer}`,
      `    clone_url: https://git.example.org/site/${layer}.git`,
      `    commit: ${fakeCommit(`${name}/${layer}`)}`,
      `    playbook: ${layer}.yml`,
    ]);
  return ["apiVersion: cfs-gitops/v1", "kind: Configuration", `name: ${name}`, "layers:", ...layers, ""].join(
    "\n",
  );
}

/** `cfs.yaml`: the repository's options. */
export const OPTIONS_YAML = "apiVersion: cfs-gitops/v1\nkind: Options\nsession_ttl: 30d\n";

/** Every file of a repository of `shape` (sessions `from` .. `shape.sessions - 1` when `from` is given). */
export function repoFiles(
  shape: RepoShape,
  range: { from?: number; configurations?: boolean } = {},
): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (range.configurations ?? true) {
    files.set("cfs.yaml", Buffer.from(OPTIONS_YAML));
    for (let c = 0; c < shape.configurations; c++) {
      files.set(`configurations/${configurationName(c)}.yaml`, Buffer.from(configurationYaml(c)));
    }
  }
  for (let s = range.from ?? 0; s < shape.sessions; s++) {
    files.set(`sessions/${sessionName(s)}.yaml`, Buffer.from(sessionYaml(s, shape)));
  }
  return files;
}

/** The git blob id of some content (what `git hash-object` prints). */
export function blobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

/** Inputs of completedRecordFiles. */
export interface RecordInput {
  shape: RepoShape;
  /** How many sessions (0 .. count - 1) already ran. */
  count: number;
  /** The commit of the watched branch that holds their manifests. */
  sourceCommit: string;
  /** When they completed (must be within session_ttl of the controller's clock). */
  completedAt: Date;
  /** Step logs per session also on the branch (the controller commits one per step). */
  logsPerSession: number;
}

/**
 * Status branch files of sessions that ran and completed: the record the controller itself would
 * have written (same functions, same shape) and some step logs.
 */
export function completedRecordFiles(input: RecordInput): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let s = 0; s < input.count; s++) {
    const session = sessionManifest(s, input.shape);
    const blob = blobId(Buffer.from(sessionYaml(s, input.shape)));
    const spec = runSpecOf(session, { blob, sourceCommit: input.sourceCommit });
    const record = applyObservation(
      newSessionRecord({
        session,
        source: { path: `sessions/${session.name}.yaml`, commit: input.sourceCommit, blob },
        job: spec.job,
        options: null,
      }),
      completedObservation(spec, input.completedAt),
    );
    files.set(sessionRecordPath(session.name), Buffer.from(stableJson(record)));
    for (const step of record.status.steps.slice(0, input.logsPerSession)) {
      files.set(sessionLogPath(session.name, step.name), Buffer.from(fakeLog(session.name, step.name)));
    }
  }
  return files;
}

/** The RunSpec the planner would give the runner for a generated session. */
export function runSpecOf(session: SessionManifest, source: { blob: string; sourceCommit: string }): RunSpec {
  const configuration = session.configuration.name;
  return {
    name: session.name,
    job: jobName(session.name, source.blob),
    session,
    configurationName: configuration,
    layers: ["base", "site", "app"].slice(0, LAYERS_PER_CONFIGURATION).map((layer, index) => ({
      index,
      name: layer,
      displayName: layer,
      clone_url: `https://git.example.org/site/${layer}.git`,
      commit: fakeCommit(`${configuration}/${layer}`),
      playbook: `${layer}.yml`,
    })),
    additionalInventory: null,
    components: [],
    ansibleConfig: "cfs-default-ansible-cfg",
    ansibleConfigText: null,
    sourceCommit: source.sourceCommit,
  };
}

/** A run that went through every step and succeeded, ending at `end`. */
export function completedObservation(spec: RunSpec, end: Date): ReturnType<typeof initialObservation> {
  const started = new Date(end.getTime() - 10 * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  const ended = end.toISOString().replace(/\.\d+Z$/, "Z");
  let obs = startRun(initialObservation(spec), started);
  for (const step of obs.steps)
    obs = endStep(obs, step.name, { status: "succeeded", exitCode: 0, now: ended });
  obs = { ...obs, layers: obs.layers.map((layer) => ({ ...layer, status: "succeeded", exit_code: 0 })) };
  return completeRun(obs, { succeeded: "true", reason: null, now: ended });
}

/** A short step log, different for every session and step (so blobs do not deduplicate). */
function fakeLog(session: string, step: string): string {
  const lines = [`cfs-gitops: ${step} of ${session}`];
  for (let i = 0; i < 8; i++) lines.push(`TASK [role ${i}] ok: [${session}] changed=${i % 2}`);
  return `${lines.join("\n")}\n`;
}
