/**
 * A Runner that runs nothing: it records when `start()` was called and reports the observations
 * the bench gives it, so "to its run being started" is measured without Ansible or Kubernetes time.
 */
import type { RunObservation, RunSpec } from "../../src/api/index.js";
import { initialObservation } from "../../src/api/observation.js";
import type { Runner } from "../../src/runners/types.js";

/** See the module comment. */
export class RecordingRunner implements Runner {
  /** performance.now() of each session's start, by session name. */
  readonly startedAt = new Map<string, number>();
  private readonly runs = new Map<string, RunObservation>();
  private readonly callbacks: Array<() => void> = [];
  private readonly waiters = new Map<string, Array<(at: number) => void>>();

  start(spec: RunSpec): Promise<void> {
    if (this.runs.get(spec.name)?.job === spec.job) return Promise.resolve();
    const at = performance.now();
    this.runs.set(spec.name, initialObservation(spec));
    this.startedAt.set(spec.name, at);
    for (const resolve of this.waiters.get(spec.name) ?? []) resolve(at);
    this.waiters.delete(spec.name);
    return Promise.resolve();
  }

  remove(name: string, job: string): Promise<void> {
    if (this.runs.get(name)?.job === job) this.runs.delete(name);
    return Promise.resolve();
  }

  observe(): Promise<Map<string, RunObservation>> {
    return Promise.resolve(new Map(this.runs));
  }

  onChange(callback: () => void): void {
    this.callbacks.push(callback);
  }

  readLog(): Promise<string | null> {
    return Promise.resolve(null);
  }

  isReady(): boolean {
    return true;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Resolves with the performance.now() at which `name` was started (at once if it was). */
  whenStarted(name: string): Promise<number> {
    const at = this.startedAt.get(name);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve) => this.waiters.set(name, [...(this.waiters.get(name) ?? []), resolve]));
  }

  /** Names of the runs the runner holds. */
  names(): string[] {
    return [...this.runs.keys()];
  }

  /** Changes the observation of each named run, then tells the controller (as a real runner would). */
  update(names: Iterable<string>, change: (obs: RunObservation) => RunObservation): void {
    for (const name of names) {
      const obs = this.runs.get(name);
      if (obs) this.runs.set(name, change(obs));
    }
    for (const callback of this.callbacks) callback();
  }
}
