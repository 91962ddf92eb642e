/** What `sessions create --wait` shows while a session runs: its state, current step, layer i of n, elapsed. Pure. */
import type { SessionRecord } from "../api/index.js";

/** Elapsed time as `m:ss`, or `h:mm:ss` past an hour. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** The step running now (else the last one that finished), or null before any step. */
export function currentStep(record: SessionRecord): string | null {
  const steps = record.status.steps;
  const running = steps.find((step) => step.status === "running");
  if (running) return running.name;
  const started = steps.filter((step) => step.status !== "pending");
  return started.at(-1)?.name ?? null;
}

/**
 * `layer 1 (app), 2 of 3` for a step of a layer (`git-clone-<i>`, `ansible-<i>`), else null: the
 * layer's index as the record and the reasons number it (from 0, its place in the configuration),
 * its name, and where it stands among the layers the session runs.
 */
export function layerPosition(record: SessionRecord, step: string | null): string | null {
  const match = step === null ? null : /^(?:git-clone|ansible)-(\d+)$/.exec(step);
  if (!match) return null;
  const layers = record.status.layers;
  const position = layers.findIndex((layer) => layer.index === Number(match[1]));
  const layer = layers[position];
  if (layer === undefined) return null;
  const name = layer.name ? ` (${layer.name})` : "";
  return `layer ${layer.index}${name}, ${position + 1} of ${layers.length}`;
}

/** The state of a session in a few words, without the elapsed time (what plain output prints on change). */
export function describeState(name: string, record: SessionRecord | null): string {
  if (record === null) return `${name}: waiting for the controller to pick it up`;
  const session = record.status.session;
  if (session.status === "pending") return `${name}: pending`;
  if (session.status === "complete") {
    const reason = session.succeeded !== "true" && record.status.reason ? ` (${record.status.reason})` : "";
    return `${name}: complete, succeeded=${session.succeeded}${reason}`;
  }
  const step = currentStep(record);
  const layer = layerPosition(record, step);
  return [`${name}: running`, step, layer].filter((part) => part !== null).join(" · ");
}

/** The live progress line: state plus elapsed time. */
export function progressLine(input: {
  name: string;
  record: SessionRecord | null;
  elapsedMs: number;
}): string {
  return `${describeState(input.name, input.record)} · ${formatElapsed(input.elapsedMs)}`;
}
