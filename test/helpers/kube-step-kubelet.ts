/**
 * A kubelet that really runs a session pod: each container's command (`cfs-gitops step ...`) runs
 * through the real CLI (in this process, with the container's environment) with real git and
 * ansible-playbook, against host directories standing in for the pod's volumes. Its Secret and
 * ConfigMap come from the API server; each container's state, exit code and termination message
 * (the file the step wrote) go to the pod's status subresource, as a kubelet reports them.
 */
import { mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { CoreV1Api, V1Container, V1EnvVar, V1Pod, V1Volume } from "@kubernetes/client-node";
import { ENV, RESULTS_DIR, RUN_SPEC_PATH, TERMINATION_MESSAGE_PATH, WORK_DIR } from "../../src/jobs/index.js";
import { setPodContainerStates, type ContainerOutcome } from "./kube-kubelet.js";
import { runContainerCommand } from "./kube-step-cli.js";

/** Options of runPodSteps. */
export interface RunPodInput {
  core: CoreV1Api;
  namespace: string;
  pod: string;
  /** Host directory for the pod's volumes and termination messages. */
  dir: string;
  /** Start this container and leave it running (the session stays running). */
  holdAt?: string;
  /** Called with what a container printed once it has ended, before its end is reported (a kubelet keeps logs). */
  onLog?: (container: string, log: string) => void;
}

/** What the pod's containers printed, by container name. */
export interface PodRun {
  pod: V1Pod;
  logs: Map<string, string>;
}

interface Container {
  spec: V1Container;
  init: boolean;
}

/**
 * Runs the pod's init containers in order (stopping at the first that exits non-zero), then its
 * container, as a kubelet does with `restartPolicy: Never`, and reports each state as it goes.
 * Containers that already ended (a pod held by `holdAt` earlier) keep their state; pass the same
 * `dir` to carry on where that run stopped.
 */
export async function runPodSteps(input: RunPodInput): Promise<PodRun> {
  const pod = await input.core.readNamespacedPod({ name: input.pod, namespace: input.namespace });
  const mounts = await prepareVolumes(input, pod);
  const containers: Container[] = [
    ...(pod.spec?.initContainers ?? []).map((spec) => ({ spec, init: true })),
    ...(pod.spec?.containers ?? []).map((spec) => ({ spec, init: false })),
  ];
  const init: ContainerOutcome[] = [];
  const main: ContainerOutcome[] = [];
  const logs = new Map<string, string>();
  let failed = false;
  const ended = endedContainers(pod);
  for (const container of containers) {
    const list = container.init ? init : main;
    const before = ended.get(container.spec.name);
    if (before !== undefined) {
      list.push(before);
      failed ||= before.exitCode !== 0;
      continue;
    }
    const report = (phase: "Pending" | "Running" | "Succeeded" | "Failed") =>
      setPodContainerStates({ ...input, phase, initContainers: init, containers: main });
    list.push({ name: container.spec.name, state: "running" });
    const runningPod = await report(container.init ? "Pending" : "Running");
    if (container.spec.name === input.holdAt) return { pod: runningPod, logs };
    const exit = await runContainer({ input, container: container.spec, mounts });
    logs.set(container.spec.name, exit.log);
    input.onLog?.(container.spec.name, exit.log);
    list[list.length - 1] = {
      name: container.spec.name,
      state: "terminated",
      exitCode: exit.code,
      message: exit.message,
    };
    if (exit.code !== 0) failed = true;
    if (failed && container.init) break;
  }
  const stored = await setPodContainerStates({
    ...input,
    phase: failed ? "Failed" : "Succeeded",
    initContainers: init,
    containers: main,
  });
  return { pod: stored, logs };
}

/** The containers the pod's status says have ended, with how. */
function endedContainers(pod: V1Pod): Map<string, Extract<ContainerOutcome, { state: "terminated" }>> {
  const ended = new Map<string, Extract<ContainerOutcome, { state: "terminated" }>>();
  for (const status of [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ]) {
    const terminated = status.state?.terminated;
    if (terminated === undefined) continue;
    ended.set(status.name, {
      name: status.name,
      state: "terminated",
      exitCode: terminated.exitCode,
      ...(terminated.message === undefined ? {} : { message: terminated.message }),
    });
  }
  return ended;
}

/** Host paths of the pod's volumes by mount path, after filling them as the kubelet would. */
async function prepareVolumes(input: RunPodInput, pod: V1Pod): Promise<Map<string, string>> {
  const byVolume = new Map<string, string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const path = join(input.dir, "volumes", volume.name);
    await mkdir(path, { recursive: true });
    await fillVolume({ input, pod, volume, path });
    byVolume.set(volume.name, path);
  }
  const byMount = new Map<string, string>();
  for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const mount of container.volumeMounts ?? [])
      byMount.set(mount.mountPath, byVolume.get(mount.name) ?? "");
  }
  return byMount;
}

async function fillVolume(args: {
  input: RunPodInput;
  pod: V1Pod;
  volume: V1Volume;
  path: string;
}): Promise<void> {
  const { volume, path, pod, input } = args;
  for (const item of volume.downwardAPI?.items ?? []) {
    const key = /^metadata\.annotations\['(.+)'\]$/.exec(item.fieldRef?.fieldPath ?? "")?.[1] ?? "";
    await writeFile(join(path, item.path), pod.metadata?.annotations?.[key] ?? "");
  }
  if (volume.secret?.secretName !== undefined) await fillSecretVolume(args);
  const configMap = volume.configMap?.name;
  if (configMap === undefined) return;
  const found = await input.core
    .readNamespacedConfigMap({ name: configMap, namespace: input.namespace })
    .catch(() => null);
  for (const [key, text] of Object.entries(found?.data ?? {})) await writeFile(join(path, key), text);
  for (const [key, base64] of Object.entries(found?.binaryData ?? {}))
    await writeFile(join(path, key), Buffer.from(base64, "base64"));
}

/** A Secret volume: one file per key, with the volume's `defaultMode` (as ssh wants its key). */
async function fillSecretVolume(args: { input: RunPodInput; volume: V1Volume; path: string }): Promise<void> {
  const { input, volume, path } = args;
  // An optional Secret that does not exist leaves the volume empty, as the kubelet does.
  const secret = await input.core
    .readNamespacedSecret({ name: volume.secret?.secretName ?? "", namespace: input.namespace })
    .catch((error: unknown) => {
      if (volume.secret?.optional === true) return null;
      throw error;
    });
  for (const [key, data] of Object.entries(secret?.data ?? {})) {
    await rm(join(path, key), { force: true });
    await writeFile(join(path, key), Buffer.from(data, "base64"), {
      mode: volume.secret?.defaultMode ?? 0o644,
    });
  }
}

/** Runs one container's step; its exit code, termination message and log. */
async function runContainer(args: {
  input: RunPodInput;
  container: V1Container;
  mounts: Map<string, string>;
}): Promise<{ code: number; message: string; log: string }> {
  const { input, container, mounts } = args;
  const terminationPath = join(input.dir, "termination", container.name);
  await mkdir(dirname(terminationPath), { recursive: true });
  await writeFile(terminationPath, "");
  const env = await containerEnv({ input, container, mounts, terminationPath });
  const [program, ...argv] = container.command ?? [];
  if (program !== "cfs-gitops") throw new Error(`${container.name} runs ${program}, not cfs-gitops`);
  const run = await runContainerCommand({ argv, env, cwd: container.workingDir ?? input.dir });
  const message = await readFile(terminationPath, "utf8");
  return { code: run.code, message, log: run.stdout + run.stderr };
}

/** The container's environment, Secret references resolved and volume paths moved to the host. */
async function containerEnv(args: {
  input: RunPodInput;
  container: V1Container;
  mounts: Map<string, string>;
  terminationPath: string;
}): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  // The image's paths, where this stand-in put the pod's volumes (a container sees them in place).
  for (const [name, path] of imagePaths(args.container)) env[name] = hostPath(path, args);
  for (const variable of args.container.env ?? []) {
    const value = await envValue(args.input, variable);
    env[variable.name] = (await parentOfMounts(value, args)) ?? hostPath(value, args);
  }
  return env;
}

/** The paths a step reads by default (resolveStepConfig), by the variable that moves each. */
function imagePaths(container: V1Container): Array<[string, string]> {
  return [
    [ENV.runSpecFile, RUN_SPEC_PATH],
    [ENV.workDir, WORK_DIR],
    [ENV.resultsDir, RESULTS_DIR],
    [ENV.terminationMessagePath, container.terminationMessagePath ?? TERMINATION_MESSAGE_PATH],
  ];
}

/**
 * A path that is no mount itself but holds the container's mounts below it (`/cfs/sources/secrets`
 * with `/cfs/sources/secrets/<name>` mounted): a host folder of links to those mounts, as the
 * container sees that folder; null when no mount of the container is below it.
 */
async function parentOfMounts(
  value: string,
  args: { input: RunPodInput; container: V1Container; mounts: Map<string, string> },
): Promise<string | null> {
  if (!value.startsWith("/")) return null;
  const below = (args.container.volumeMounts ?? []).filter((m) => m.mountPath.startsWith(`${value}/`));
  if (below.length === 0) return null;
  const folder = join(args.input.dir, "parents", args.container.name, value);
  await rm(folder, { recursive: true, force: true });
  for (const mount of below) {
    const link = join(folder, mount.mountPath.slice(value.length + 1));
    await mkdir(dirname(link), { recursive: true });
    await symlink(args.mounts.get(mount.mountPath) ?? "", link);
  }
  return folder;
}

async function envValue(input: RunPodInput, variable: V1EnvVar): Promise<string> {
  const ref = variable.valueFrom?.secretKeyRef;
  if (ref === undefined) return variable.value ?? "";
  const secret = await input.core.readNamespacedSecret({ name: ref.name ?? "", namespace: input.namespace });
  const data = secret.data?.[ref.key];
  if (data === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
  return Buffer.from(data, "base64").toString("utf8");
}

function hostPath(
  value: string,
  args: { container: V1Container; mounts: Map<string, string>; terminationPath: string },
): string {
  if (value === args.container.terminationMessagePath) return args.terminationPath;
  for (const [mountPath, host] of args.mounts) {
    if (value === mountPath || value.startsWith(`${mountPath}/`)) return host + value.slice(mountPath.length);
  }
  return value;
}
