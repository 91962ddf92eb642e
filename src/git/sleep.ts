/** Waiting, injectable so tests control time (the ListWatch pattern). */
import { setTimeout as delay } from "node:timers/promises";

/** Wait `ms`; rejects (or resolves early) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** The default Sleep: a timer that an abort cancels. */
export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : {});
