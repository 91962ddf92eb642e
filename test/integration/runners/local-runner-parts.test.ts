import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initialObservation } from "../../../src/runners/steps/index.js";
import { findExecutable } from "../../../src/runners/local/find-executable.js";
import {
  isGroupAlive,
  isRecordedGroupAlive,
  isSameProcessAlive,
  killGroup,
  processIdentity,
  spawnStep,
} from "../../../src/runners/local/processes.js";
import {
  createRunDir,
  listJobs,
  readSpec,
  readState,
  runPaths,
  type RunState,
} from "../../../src/runners/local/run-files.js";
import {
  LAUNCH_TAKEN_EXIT,
  claimLaunch,
  readLaunch,
  readLaunchExit,
  recordLaunch,
  wrapStepCommand,
  type StepLaunch,
} from "../../../src/runners/local/step-launch.js";
import { runSpec, tempDir } from "../../helpers/ansible-fixtures.js";

describe("step processes", () => {
  it("run in their own process group, which killGroup stops with everything it started", async () => {
    const dir = tempDir();
    const proc = spawnStep({
      command: "sh",
      args: ["-c", "sleep 30 & sleep 30 & wait"],
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "" },
      logFd: 1,
    });
    const pgid = proc.pgid ?? -1;
    expect(pgid).toBeGreaterThan(0);
    expect(isGroupAlive(pgid)).toBe(true);
    const identity = await processIdentity(pgid);
    expect(await isRecordedGroupAlive(identity)).toBe(true);
    expect(await isRecordedGroupAlive({ ...identity, startTicks: "1" })).toBe(false);
    expect(await isRecordedGroupAlive({ ...identity, boot: "another-boot" })).toBe(false);

    await killGroup({ pgid, graceMs: 1_000 });
    expect(isGroupAlive(pgid)).toBe(false);
    expect(await proc.exit).toMatchObject({ exitCode: null, signal: "SIGTERM", error: null });
  });

  it("report a program that cannot be started instead of throwing", async () => {
    const proc = spawnStep({ command: "/nonexistent/program", args: [], cwd: tempDir(), env: {}, logFd: 1 });
    const exit = await proc.exit;
    expect(exit.error).toMatch(/ENOENT/);
  });

  it("tell this process alive and a pid from another boot not", async () => {
    const me = await processIdentity(process.pid);
    expect(await isSameProcessAlive(me)).toBe(true);
    expect(await isSameProcessAlive({ ...me, boot: "another-boot" })).toBe(false);
  });
});

describe("findExecutable", () => {
  it("finds the first executable file on PATH, or at an explicit path", async () => {
    const root = tempDir();
    const [a, b] = [join(root, "a"), join(root, "b")];
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, "tool"), "not executable");
    writeFileSync(join(b, "tool"), "#!/bin/sh\n");
    chmodSync(join(b, "tool"), 0o755);
    mkdirSync(join(a, "dir-tool"));
    expect(await findExecutable({ name: "tool", pathEnv: `relative:${a}:${b}` })).toBe(join(b, "tool"));
    expect(await findExecutable({ name: "dir-tool", pathEnv: a })).toBeNull();
    expect(await findExecutable({ name: "tool", pathEnv: a, explicit: join(b, "tool") })).toBe(
      join(b, "tool"),
    );
    expect(await findExecutable({ name: "tool", pathEnv: b, explicit: join(a, "tool") })).toBeNull();
  });
});

describe("run directories", () => {
  it("are created once, always with a state.json and the spec", async () => {
    const runsDir = tempDir();
    const spec = runSpec("s", []);
    const identity = await processIdentity(process.pid);
    const state: RunState = {
      observation: initialObservation(spec),
      runner: { ...identity, instance: "i" },
      created: 5,
      failure: null,
    };
    expect(await createRunDir(runsDir, { spec, state })).toBe(true);
    expect(await createRunDir(runsDir, { spec, state: { ...state, created: 6 } })).toBe(false);
    expect(await listJobs(runsDir)).toEqual([spec.job]);
    expect(await readState(runPaths(runsDir, spec.job))).toEqual(state);
    expect(await readSpec(runPaths(runsDir, spec.job))).toEqual(spec);
  });

  it("read a damaged state.json as no state", async () => {
    const runsDir = tempDir();
    mkdirSync(join(runsDir, "cfs-x-1"));
    writeFileSync(join(runsDir, "cfs-x-1", "state.json"), "{ half");
    expect(await readState(runPaths(runsDir, "cfs-x-1"))).toBeNull();
  });
});

describe("step launches", () => {
  async function runWrapped(
    dir: string,
    launch: StepLaunch,
    command: { command: string; args: string[] },
  ): Promise<number | null> {
    const proc = spawnStep({
      ...wrapStepCommand(launch, command),
      cwd: dir,
      env: { PATH: "/usr/bin:/bin" },
      logFd: 2,
    });
    return (await proc.exit).exitCode;
  }

  it("record the command's exit code on disk, and a signal as the signal", async () => {
    const dir = tempDir();
    const paths = runPaths(dir, "cfs-x-1");
    mkdirSync(paths.dir);
    const failed = await recordLaunch(paths, { step: "ansible-0", logOffset: 7 });
    expect(await readLaunch(paths)).toEqual(failed);
    expect(await runWrapped(dir, failed, { command: "sh", args: ["-c", "exit 3"] })).toBe(3);
    expect(await readLaunchExit(failed)).toEqual({ exitCode: 3, signal: null });
    expect(await claimLaunch(failed)).toBe(false);

    const killed = await recordLaunch(paths, { step: "ansible-1", logOffset: 0 });
    await runWrapped(dir, killed, { command: "sh", args: ["-c", "kill -TERM $$"] });
    expect(await readLaunchExit(killed)).toEqual({ exitCode: null, signal: "SIGTERM" });
  });

  it("never run once a restarted controller has claimed them", async () => {
    const dir = tempDir();
    const paths = runPaths(dir, "cfs-x-1");
    mkdirSync(paths.dir);
    const launch = await recordLaunch(paths, { step: "ansible-0", logOffset: 0 });
    expect(await claimLaunch(launch)).toBe(true);
    const touched = join(dir, "touched");
    expect(await runWrapped(dir, launch, { command: "touch", args: [touched] })).toBe(LAUNCH_TAKEN_EXIT);
    expect(existsSync(touched)).toBe(false);
    expect(await readLaunchExit(launch)).toBeNull();
  });
});
