/**
 * Each Job's RunObservation, kept until the Job or its pod changes. Making one parses the Job's
 * run spec annotation (up to 248 KiB of JSON) and walks its pod's container statuses; a finished
 * Job never changes again, so a pass over 10,000 of them should not do that 10,000 times. An
 * observation is keyed by the Job's uid and resourceVersion and its pod's (a Job deleted and
 * created again under the same name has a new uid; any change to either object, a new
 * resourceVersion).
 */
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { RunObservation } from "../../api/index.js";
import { observeJob, type StepLogProgress } from "../../jobs/index.js";

/** What a Job is seen as, with its creation time (ms, 0 when unknown). */
export interface SeenJob {
  obs: RunObservation;
  created: number;
}

interface Entry {
  key: string;
  /** The per-layer progress read from a running `cfs` layout container's log, when there is one. */
  progress: StepLogProgress | null;
  seen: SeenJob | null;
}

/** See the module comment. */
export class JobObservations {
  private readonly entries = new Map<string, Entry>();

  /** Observations kept. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The observation of `job` with `pod` and its log progress (null when the Job is not a
   * session's), made again only when one of them changed.
   */
  of(input: { job: V1Job; pod: V1Pod | null; progress?: StepLogProgress | null }): SeenJob | null {
    const { job, pod } = input;
    const progress = input.progress ?? null;
    const name = job.metadata?.name ?? "";
    const key = versionKey(job, pod);
    const known = this.entries.get(name);
    if (known?.key === key && known.progress === progress) return known.seen;
    const obs = observeJob({ job, pod, progress });
    const seen = obs === null ? null : { obs, created: createdAt(job) };
    this.entries.set(name, { key, progress, seen });
    return seen;
  }

  /** Forget a Job (deleted). */
  forget(name: string): void {
    this.entries.delete(name);
  }

  /** Forget every Job not in `names` (ones whose delete the watch never delivered, after a relist). */
  keepOnly(names: ReadonlySet<string>): void {
    for (const name of this.entries.keys()) if (!names.has(name)) this.entries.delete(name);
  }
}

/** uid and resourceVersion of the Job and its pod: any change to either changes the key. */
function versionKey(job: V1Job, pod: V1Pod | null): string {
  const { uid, resourceVersion } = job.metadata ?? {};
  const podMeta = pod?.metadata;
  return `${uid ?? ""}/${resourceVersion ?? ""}/${podMeta?.uid ?? ""}/${podMeta?.resourceVersion ?? ""}`;
}

function createdAt(job: V1Job): number {
  const stamp = job.metadata?.creationTimestamp;
  return stamp === undefined ? 0 : new Date(stamp).getTime();
}
