/**
 * Seeded randomness for the fault suite: every random choice (when to kill, which session fails)
 * comes from FAULT_SEED, so a failing run is replayed with `FAULT_SEED=<seed> npm run test:faults`.
 */

/** A source of numbers in [0, 1), reproducible from its seed. */
export interface SeededRandom {
  /** The next number in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  /** true with probability `p`. */
  chance(p: number): boolean;
}

/** A generator for one scenario: the suite's seed mixed with the scenario's name (mulberry32). */
export function seededRandom(seed: number, scenario: string): SeededRandom {
  let state = (seed ^ hashText(scenario)) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
  };
}

/** The seed of this run: FAULT_SEED when set (a decimal integer), else one drawn now. */
export function chooseSeed(env: NodeJS.ProcessEnv): number {
  const text = env["FAULT_SEED"];
  if (text !== undefined && text !== "") {
    const seed = Number.parseInt(text, 10);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`FAULT_SEED must be a non-negative integer, not "${text}"`);
    return seed >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

function hashText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
