/**
 * Per-layer progress of running `cfs` layout sessions. Their one `ansible` (or `git-clone`)
 * container runs every layer, and the pod's status says nothing until it ends; its log says which
 * layer began and how each ended (begin and end lines, see jobs/step-log.ts). While such a
 * container runs, its log is read every `intervalMs`, and a change is announced through `onChange`.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { runningAllLayersContainer, stepLogProgress, type StepLogProgress } from "../../jobs/index.js";
import type { Sleep } from "../../git/sleep.js";

/** Options of LayerProgress. */
export interface LayerProgressOptions {
  /** The log of a container of a pod (null when it cannot be read now). */
  readLog(pod: string, container: string): Promise<string | null>;
  /** Time between two reads of one container's log. */
  intervalMs: number;
  sleep: Sleep;
  /** Called when some run's progress changed. */
  onChange(): void;
  log: Logger;
}

interface Tracked {
  /** `<pod>/<container>`: a new pod or the next container starts over. */
  key: string;
  progress: StepLogProgress | null;
  stop: AbortController;
}

/** Default time between two reads of a running cfs layout container's log. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

/** Follows the logs of the running cfs layout containers; see the file comment. */
export class LayerProgress {
  private readonly tracked = new Map<string, Tracked>();
  private closed = false;

  constructor(private readonly options: LayerProgressOptions) {}

  /**
   * The progress `job`'s running container's log shows, as last read (null before the first read,
   * and once no such container runs). Starts following the log when the container is new.
   */
  of(job: string, pod: V1Pod | null): StepLogProgress | null {
    const container = runningAllLayersContainer(pod);
    const podName = pod?.metadata?.name;
    const current = this.tracked.get(job);
    if (container === null || podName === undefined || this.closed) {
      this.forget(job);
      return null;
    }
    const key = `${podName}/${container}`;
    if (current?.key === key) return current.progress;
    this.forget(job);
    const tracked: Tracked = { key, progress: null, stop: new AbortController() };
    this.tracked.set(job, tracked);
    void this.follow({ job, pod: podName, container, tracked });
    return null;
  }

  /** Stops following `job` (its Job ended or was removed). */
  forget(job: string): void {
    this.tracked.get(job)?.stop.abort();
    this.tracked.delete(job);
  }

  /** Stops following every log. */
  close(): void {
    this.closed = true;
    for (const job of [...this.tracked.keys()]) this.forget(job);
  }

  private async follow(input: {
    job: string;
    pod: string;
    container: string;
    tracked: Tracked;
  }): Promise<void> {
    const { tracked } = input;
    while (!tracked.stop.signal.aborted) {
      const text = await this.options.readLog(input.pod, input.container).catch(() => null);
      if (text !== null && !tracked.stop.signal.aborted) this.update(tracked, stepLogProgress(text));
      const stopped = await this.options
        .sleep(this.options.intervalMs, tracked.stop.signal)
        .then(() => false)
        .catch(() => true);
      if (stopped) return;
    }
  }

  private update(tracked: Tracked, next: StepLogProgress): void {
    if (tracked.progress !== null && sameProgress(tracked.progress, next)) return;
    tracked.progress = next;
    this.options.log.debug({ key: tracked.key, ended: next.ended.length }, "layer progress");
    this.options.onChange();
  }
}

function sameProgress(a: StepLogProgress, b: StepLogProgress): boolean {
  return (
    a.running.join(",") === b.running.join(",") &&
    a.debug?.until === b.debug?.until &&
    a.ended.map((m) => `${m.step}:${m.status}`).join(",") ===
      b.ended.map((m) => `${m.step}:${m.status}`).join(",")
  );
}
