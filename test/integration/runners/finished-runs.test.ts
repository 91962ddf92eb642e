import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { completeRun, initialObservation, startRun, type RunSpec } from "../../../src/api/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import { FINISHED_INDEX_FILE } from "../../../src/runners/local/finished-index.js";
import { FinishedRuns } from "../../../src/runners/local/finished-runs.js";
import { processIdentity } from "../../../src/runners/local/processes.js";
import { createRunDir, runPaths, writeState, type RunState } from "../../../src/runners/local/run-files.js";
import type { Runner } from "../../../src/runners/types.js";
import { runSpec, tempDir } from "../../helpers/ansible-fixtures.js";

const STAMP = "2025-03-04T05:06:07Z";
const runners: Runner[] = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
});

/** A state owned by this process (an instance no runner has: recovery sees its owner gone). */
async function stateOf(
  spec: RunSpec,
  phase: "pending" | "running" | "complete",
  succeeded: "true" | "false" = "true",
): Promise<RunState> {
  let observation = initialObservation(spec);
  if (phase !== "pending") observation = startRun(observation, STAMP);
  if (phase === "complete") observation = completeRun(observation, { succeeded, reason: null, now: STAMP });
  const runner = { instance: "gone", ...(await processIdentity(process.pid)) };
  return { observation, runner, created: 1, failure: null };
}

/** A run directory holding `spec` in `phase`, as a runner writes it. */
async function makeRun(
  runsDir: string,
  spec: RunSpec,
  phase: "pending" | "running" | "complete",
): Promise<void> {
  await createRunDir(runsDir, { spec, state: await stateOf(spec, phase) });
}

function corrupt(runsDir: string, spec: RunSpec): void {
  writeFileSync(runPaths(runsDir, spec.job).state, "{ not json");
}

describe("FinishedRuns", () => {
  it("reads a complete run once, and a run that is not complete on every pass", async () => {
    const runsDir = join(tempDir(), "runs");
    const done = runSpec("done", []);
    const going = runSpec("going", []);
    await makeRun(runsDir, done, "complete");
    await makeRun(runsDir, going, "running");
    const cache = new FinishedRuns(runsDir, Date.now);
    const phases = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await cache.states()).map((s) => [s.observation.name, s.observation.phase]));
    expect(await phases()).toEqual({ done: "complete", going: "running" });
    expect(cache.size).toBe(1);

    // The finished run's file is no longer read: even a broken one does not change what is reported.
    corrupt(runsDir, done);
    // The running one is read again: its completion is seen, then it is kept too.
    await writeState(runPaths(runsDir, going.job), await stateOf(going, "complete"));
    expect(await phases()).toEqual({ done: "complete", going: "complete" });
    corrupt(runsDir, going);
    expect(await phases()).toEqual({ done: "complete", going: "complete" });
  });

  it("drops a kept run whose directory is gone, and reads a run created again under a forgotten job", async () => {
    const runsDir = join(tempDir(), "runs");
    const spec = runSpec("again", []);
    await makeRun(runsDir, spec, "complete");
    const cache = new FinishedRuns(runsDir, Date.now);
    expect((await cache.states()).map((s) => s.observation.phase)).toEqual(["complete"]);

    rmSync(runPaths(runsDir, spec.job).dir, { recursive: true });
    expect(await cache.states()).toEqual([]);
    expect(cache.size).toBe(0);

    await makeRun(runsDir, spec, "complete");
    expect(await cache.states()).toHaveLength(1);
    rmSync(runPaths(runsDir, spec.job).dir, { recursive: true });
    cache.forget(spec.job); // what the runner's start() and remove() do
    await makeRun(runsDir, spec, "pending");
    expect((await cache.states()).map((s) => s.observation.phase)).toEqual(["pending"]);
  });
});

describe("FinishedRuns: the listing of runs/", () => {
  /** Sets the folder's mtime to a whole second `ago` seconds back (whole: utimes keeps it exactly). */
  const pinMtime = (dir: string, ago: number): void => {
    const at = Math.floor(Date.now() / 1000) - ago;
    utimesSync(dir, at, at);
  };
  const names = async (cache: FinishedRuns): Promise<string[]> =>
    (await cache.states()).map((s) => s.observation.name).sort();

  it("is kept while the folder's mtime stays, and read again when it moves", async () => {
    const runsDir = join(tempDir(), "runs");
    await makeRun(runsDir, runSpec("a", []), "complete");
    pinMtime(runsDir, 60);
    const cache = new FinishedRuns(runsDir, Date.now);
    expect(await names(cache)).toEqual(["a"]);

    // A run added behind the cache's back with the folder's mtime put back: the kept listing is used.
    await makeRun(runsDir, runSpec("b", []), "complete");
    pinMtime(runsDir, 60);
    expect(await names(cache)).toEqual(["a"]);
    // Any real change moves the mtime: the listing is read again.
    await makeRun(runsDir, runSpec("c", []), "complete");
    expect(await names(cache)).toEqual(["a", "b", "c"]);
  });

  it("is read again on every pass while the folder changed within the last 2 s of the listing (racy)", async () => {
    const runsDir = join(tempDir(), "runs");
    await makeRun(runsDir, runSpec("a", []), "complete");
    pinMtime(runsDir, 1);
    const cache = new FinishedRuns(runsDir, Date.now);
    expect(await names(cache)).toEqual(["a"]);
    await makeRun(runsDir, runSpec("b", []), "complete");
    pinMtime(runsDir, 1); // same mtime as listed, but too recent to trust
    expect(await names(cache)).toEqual(["a", "b"]);
  });

  it("is read again after the runner forgets a job", async () => {
    const runsDir = join(tempDir(), "runs");
    await makeRun(runsDir, runSpec("a", []), "complete");
    pinMtime(runsDir, 60);
    const cache = new FinishedRuns(runsDir, Date.now);
    expect(await names(cache)).toEqual(["a"]);
    rmSync(runPaths(runsDir, runSpec("a", []).job).dir, { recursive: true });
    pinMtime(runsDir, 60);
    cache.forget(runSpec("a", []).job);
    expect(await names(cache)).toEqual([]);
  });
});

describe("local runner with finished runs on disk", () => {
  it("keeps the finished runs recovery read at a restart, and forgets one it removes", async () => {
    const dataDir = tempDir();
    const runsDir = join(dataDir, "runs");
    const specs = [runSpec("one", []), runSpec("two", []), runSpec("three", [])];
    for (const spec of specs) await makeRun(runsDir, spec, "complete");
    const runner = await createLocalRunner({ dataDir, log: pino({ level: "silent" }), maxConcurrent: 1 });
    runners.push(runner);

    // Recovery read every state.json: the first observe() reads none of them again.
    for (const spec of specs) corrupt(runsDir, spec);
    const observed = await runner.observe();
    expect([...observed.keys()].sort()).toEqual(["one", "three", "two"]);
    expect(observed.get("two")).toMatchObject({
      phase: "complete",
      succeeded: "true",
      completionTime: STAMP,
    });

    const [one, two] = specs as [RunSpec, RunSpec, RunSpec];
    await runner.remove("one", one.job);
    rmSync(runPaths(runsDir, two.job).dir, { recursive: true }); // deleted by hand
    expect([...(await runner.observe()).keys()]).toEqual(["three"]);

    // The observations of finished runs are made once and reused: a run that appears, or one that
    // ends, changes them; one still going is read on every pass.
    await makeRun(runsDir, runSpec("four", []), "complete");
    const going = runSpec("going", []);
    await makeRun(runsDir, going, "running");
    const phases = async (): Promise<Record<string, string>> =>
      Object.fromEntries([...(await runner.observe())].map(([name, obs]) => [name, obs.phase]));
    expect(await phases()).toEqual({ three: "complete", four: "complete", going: "running" });
    await writeState(runPaths(runsDir, going.job), await stateOf(going, "complete"));
    expect(await phases()).toEqual({ three: "complete", four: "complete", going: "complete" });
    expect(await phases()).toEqual({ three: "complete", four: "complete", going: "complete" });
  });
});

describe("local runner: the index of finished runs", () => {
  const log = pino({ level: "silent" });
  /** A runner started on `dataDir` and closed again (its index writes done): what it observed first. */
  const restart = async (dataDir: string): Promise<Map<string, string>> => {
    const runner = await createLocalRunner({ dataDir, log, maxConcurrent: 1 });
    try {
      const observed = await runner.observe();
      return new Map([...observed].map(([name, obs]) => [name, `${obs.phase}/${obs.succeeded}`]));
    } finally {
      await runner.close();
    }
  };
  /** A run made as makeRun does, its state.json's mtime then set to a whole second (which utimes can set again exactly). */
  const makeSettledRun = async (
    runsDir: string,
    run: { spec: RunSpec; state: RunState; second?: number },
  ): Promise<void> => {
    await createRunDir(runsDir, run);
    const second = run.second ?? 1_700_000_000;
    utimesSync(runPaths(runsDir, run.spec.job).state, second, second);
  };
  /** Overwrite a settled state.json in place with garbage of the same size and mtime: its stamp does not change. */
  const garbleKeepingStamp = (path: string): void => {
    const before = statSync(path);
    expect(before.mtimeMs % 1000).toBe(0);
    writeFileSync(path, "x".repeat(before.size));
    utimesSync(path, before.mtimeMs / 1000, before.mtimeMs / 1000);
    expect(statSync(path)).toMatchObject({ ino: before.ino, size: before.size, mtimeMs: before.mtimeMs });
  };
  const indexLines = (dataDir: string): string[] =>
    readFileSync(join(dataDir, FINISHED_INDEX_FILE), "utf8").trimEnd().split("\n");

  it("is written at a restart, and the next restart takes finished runs from it instead of their state.json", async () => {
    const dataDir = tempDir();
    const runsDir = join(dataDir, "runs");
    const specs = [runSpec("one", []), runSpec("two", [])];
    for (const spec of specs) await makeSettledRun(runsDir, { spec, state: await stateOf(spec, "complete") });
    expect(await restart(dataDir)).toEqual(
      new Map([
        ["one", "complete/true"],
        ["two", "complete/true"],
      ]),
    );
    expect(indexLines(dataDir)).toHaveLength(3); // the format line, then one line per finished run
    expect(statSync(join(dataDir, FINISHED_INDEX_FILE)).mode & 0o777).toBe(0o600); // as spec.json

    // Unchanged stamps: the files are not read (a reader of state.json would find garbage and report nothing).
    for (const spec of specs) garbleKeepingStamp(runPaths(runsDir, spec.job).state);
    expect(await restart(dataDir)).toEqual(
      new Map([
        ["one", "complete/true"],
        ["two", "complete/true"],
      ]),
    );
  });

  it("never answers from a line whose run changed since: the run's own state.json wins", async () => {
    const dataDir = tempDir();
    const runsDir = join(dataDir, "runs");
    const spec = runSpec("again", []);
    await makeSettledRun(runsDir, { spec, state: await stateOf(spec, "complete") });
    expect(await restart(dataDir)).toEqual(new Map([["again", "complete/true"]]));

    // The run was removed and ran again under the same job while no index line was written for it.
    rmSync(runPaths(runsDir, spec.job).dir, { recursive: true });
    const state = await stateOf(spec, "complete", "false");
    await makeSettledRun(runsDir, { spec, state, second: 1_700_000_100 });
    expect(await restart(dataDir)).toEqual(new Map([["again", "complete/false"]]));
    // ...and the line appended for it is the one used afterwards.
    garbleKeepingStamp(runPaths(runsDir, spec.job).state);
    expect(await restart(dataDir)).toEqual(new Map([["again", "complete/false"]]));
  });

  it("loses nothing to a corrupt, torn or foreign index: runs are read one by one and the index written again", async () => {
    const dataDir = tempDir();
    const runsDir = join(dataDir, "runs");
    const specs = [runSpec("a", []), runSpec("b", []), runSpec("c", [])];
    for (const spec of specs) await makeSettledRun(runsDir, { spec, state: await stateOf(spec, "complete") });
    const all = new Map([
      ["a", "complete/true"],
      ["b", "complete/true"],
      ["c", "complete/true"],
    ]);
    expect(await restart(dataDir)).toEqual(all);
    const [header, ...lines] = indexLines(dataDir);

    // A line cut short (a crash while appending) and a line that is not JSON: those runs are read again.
    const torn = (lines[2] ?? "").slice(0, 40);
    writeFileSync(join(dataDir, FINISHED_INDEX_FILE), `${header}\n${lines[0]}\nnot json\n${torn}`);
    expect(await restart(dataDir)).toEqual(all);

    // Another format (a future version's file): ignored, and written again in this one.
    writeFileSync(join(dataDir, FINISHED_INDEX_FILE), `{"format":"cfs-gitops/finished-runs","version":99}\n`);
    expect(await restart(dataDir)).toEqual(all);
    expect(indexLines(dataDir)[0]).toBe(header);
    expect(indexLines(dataDir)).toHaveLength(4);
    for (const spec of specs) garbleKeepingStamp(runPaths(runsDir, spec.job).state);
    expect(await restart(dataDir)).toEqual(all);
  });

  it("records only finished runs: a run still going is read from its directory at the restart", async () => {
    const dataDir = tempDir();
    const runsDir = join(dataDir, "runs");
    await makeRun(runsDir, runSpec("done", []), "complete");
    const queued = runSpec("queued", []);
    await makeRun(runsDir, queued, "pending");
    const runner = await createLocalRunner({ dataDir, log, maxConcurrent: 1 });
    await runner.observe();
    await runner.close();
    expect(
      indexLines(dataDir)
        .slice(1)
        .map((line) => (JSON.parse(line) as { job: string }).job),
    ).toEqual([runSpec("done", []).job]);
  });
});
