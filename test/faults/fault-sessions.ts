/**
 * The sessions the fault scenarios run: one layer whose playbook (real ansible, on localhost)
 * appends to `<marks>/<session>.starts` when it starts, sleeps a little so kills land mid-run,
 * then appends its real result (`ok` or `fail`) to `<marks>/<session>.result` and fails when the
 * session asked it to. The marks say what really happened, whatever the status branch says.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SessionRecord } from "../../src/api/index.js";
import { configurationYaml, makeLayerRepo } from "../helpers/config-repo.js";

/** One session of a scenario: its name, whether it fails on purpose, how long its playbook sleeps. */
export interface FaultSession {
  name: string;
  fail: boolean;
  sleepSeconds: number;
}

/** The marks of one session: how many times its playbook started and the results it recorded. */
export interface RunMarks {
  starts: number;
  results: string[];
}

/** Creates the layer repository under `root` and returns the Configuration manifest `fault` using it. */
export function faultConfiguration(root: string, marks: string): string {
  mkdirSync(marks, { recursive: true });
  const layer = makeLayerRepo(root, "fault", { "site.yml": faultPlaybook(marks) });
  return configurationYaml("fault", [{ name: "fault", url: layer }]);
}

/**
 * The playbook of the fault layer: one shell task (each task costs a Python start), so 50
 * sessions stay affordable on 2 cores.
 */
export function faultPlaybook(marks: string): string {
  const base = `${marks}/{{ fault_session }}`;
  const script = [
    `echo started >> "${base}.starts"`,
    "sleep {{ fault_sleep | default('0.4') }}",
    `echo {{ 'fail' if (fault_fail | bool) else 'ok' }} >> "${base}.result"`,
    "{{ 'exit 1' if (fault_fail | bool) else 'exit 0' }}",
  ].join("; ");
  return `- hosts: all
  gather_facts: false
  tasks:
    - name: mark the start, work a little, record the real result, fail when asked
      ansible.builtin.shell: ${JSON.stringify(script)}
`;
}

/** The Session manifest of `session`, with the layer's variables passed through `-e`. */
export function faultSessionYaml(session: FaultSession): string {
  const vars = `-e fault_session=${session.name} -e fault_fail=${session.fail} -e fault_sleep=${session.sleepSeconds}`;
  return `apiVersion: cfs-gitops/v1
kind: Session
name: ${session.name}
configuration:
  name: fault
ansible:
  passthrough: "${vars}"
target:
  definition: spec
  groups:
    - name: test
      members: [localhost]
`;
}

/** The files of a commit adding `sessions`. */
export function sessionFiles(sessions: readonly FaultSession[]): Record<string, string> {
  return Object.fromEntries(sessions.map((s) => [`sessions/${s.name}.yaml`, faultSessionYaml(s)]));
}

/** What the marks say about `session`. */
export function readMarks(marks: string, session: string): RunMarks {
  const lines = (file: string) =>
    existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l.trim() !== "")
      : [];
  return {
    starts: lines(join(marks, `${session}.starts`)).length,
    results: lines(join(marks, `${session}.result`)),
  };
}

/** The outcome a record should show for these marks: "true", "false", or "cut-short" (no result). */
export function realOutcome(marks: RunMarks): "true" | "false" | "cut-short" | "never-started" {
  if (marks.starts === 0) return "never-started";
  const last = marks.results.at(-1);
  if (last === undefined) return "cut-short";
  return last === "ok" ? "true" : "false";
}

/** Figures comparing what the records say with what the marks say, over `sessions`. */
export interface OutcomeFigures {
  duplicateRuns: number;
  notComplete: number;
  outcomeMismatches: number;
  unknownOutcomes: number;
  runsCutShort: number;
  /** `name: recorded X, really Y` for each mismatch, for the report. */
  mismatches: string[];
}

/** Compares the final records with the marks. */
export function compareOutcomes(input: {
  marks: string;
  sessions: readonly FaultSession[];
  records: ReadonlyMap<string, SessionRecord | null>;
}): OutcomeFigures {
  const figures: OutcomeFigures = {
    duplicateRuns: 0,
    notComplete: 0,
    outcomeMismatches: 0,
    unknownOutcomes: 0,
    runsCutShort: 0,
    mismatches: [],
  };
  for (const session of input.sessions) {
    const marks = readMarks(input.marks, session.name);
    const real = realOutcome(marks);
    const record = input.records.get(session.name) ?? null;
    const recorded = record === null ? "no record" : String(record.status.session.succeeded);
    if (marks.starts > 1) figures.duplicateRuns += 1;
    if (real === "cut-short") figures.runsCutShort += 1;
    if (record?.status.session.status !== "complete") figures.notComplete += 1;
    if (recorded === "unknown") figures.unknownOutcomes += 1;
    if (recorded !== real) {
      figures.outcomeMismatches += 1;
      const reason = record?.status.reason ? ` (${record.status.reason})` : "";
      figures.mismatches.push(
        `${session.name}: recorded ${recorded}${reason}, really ${real}, ${marks.starts} start(s)`,
      );
    }
  }
  return figures;
}
