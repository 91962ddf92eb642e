/**
 * CPU time of this process and of its child processes by name (Linux /proc), so a row can say where
 * the time of a run went: the controller, or the API server, etcd and the controller-manager it
 * started. Elsewhere the children are simply not reported.
 */
import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds so far: `node` (this process) and each child process by its command name. */
export type CpuSnapshot = Map<string, number>;

/** CPU seconds of this process and of its children whose name matches `children`. */
export function cpuSnapshot(children: RegExp): CpuSnapshot {
  const usage = process.cpuUsage();
  const snapshot: CpuSnapshot = new Map([["node", (usage.user + usage.system) / 1e6]]);
  for (const pid of childPids()) {
    const stat = readProc(`/proc/${pid}/stat`);
    const name = readProc(`/proc/${pid}/comm`)?.trim();
    if (stat === null || name === undefined || !children.test(name)) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    snapshot.set(name, (snapshot.get(name) ?? 0) + ticks / 100);
  }
  return snapshot;
}

/** CPU seconds spent between two snapshots, by process name. */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return new Map([...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)]));
}

/** `node 2.1 s, kube-apiserver 8.0 s, ...` (median of each over the runs). */
export function describeCpu(runs: readonly CpuSnapshot[]): string {
  const names = [...new Set(runs.flatMap((run) => [...run.keys()]))];
  return names
    .map((name) => {
      const values = runs.map((run) => run.get(name) ?? 0).sort((a, b) => a - b);
      const median = values[Math.floor(values.length / 2)] ?? 0;
      return `${name} ${median.toFixed(1)} s`;
    })
    .join(", ");
}

function childPids(): number[] {
  const pids: number[] = [];
  for (const task of listTasks()) {
    const text = readProc(`/proc/${process.pid}/task/${task}/children`) ?? "";
    for (const pid of text.trim().split(/\s+/)) if (pid !== "") pids.push(Number(pid));
  }
  return pids;
}

function listTasks(): string[] {
  try {
    return readdirSync(`/proc/${process.pid}/task`);
  } catch {
    return [];
  }
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
