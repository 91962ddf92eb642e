/** One pending wake-up on the injected clock and sleep (the controller's progress and retry timers). */
import type { Sleep } from "../git/sleep.js";

/** Options of WakeTimer. */
export interface WakeTimerOptions {
  now: () => Date;
  sleep: Sleep;
  /** Called when the time is up (not after clear()). */
  fire: () => void;
}

/** At most one wake-up pending; asking for a later one while a sooner one is pending changes nothing. */
export class WakeTimer {
  private pending: { at: number; cancel: AbortController } | null = null;

  constructor(private readonly options: WakeTimerOptions) {}

  /** True while a wake-up is pending. */
  get isSet(): boolean {
    return this.pending !== null;
  }

  /** Fires after `ms` unless a wake-up as soon or sooner is pending (a later one is replaced). */
  set(ms: number): void {
    const at = this.options.now().getTime() + ms;
    if (this.pending && this.pending.at <= at) return;
    this.pending?.cancel.abort();
    const cancel = new AbortController();
    this.pending = { at, cancel };
    this.options.sleep(ms, cancel.signal).then(
      () => {
        if (this.pending?.cancel !== cancel) return;
        this.pending = null;
        this.options.fire();
      },
      () => undefined,
    );
  }

  /** Cancels the pending wake-up, if any. */
  clear(): void {
    this.pending?.cancel.abort();
    this.pending = null;
  }
}
