/** The machine a run was made on, for results.md: numbers mean little without it. */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem, release, platform } from "node:os";

/** What the bench reports about the machine. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  git: string;
  date: string;
  /** 1, 5 and 15 minute load averages when the run started and ended (others share the machine). */
  loadAtStart: number[];
}

/** Describes this machine now. */
export function describeMachine(now: Date): Machine {
  let gitVersion = "unknown";
  try {
    gitVersion = execFileSync("git", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    // reported as unknown
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    git: gitVersion,
    date: now.toISOString(),
    loadAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** Markdown lines describing the machine, plus the load at the end of the run. */
export function machineLines(machine: Machine, loadAtEnd: number[]): string[] {
  return [
    `- date: ${machine.date}`,
    `- cpu: ${machine.cpu}, ${machine.cores} cores; memory ${machine.memoryGiB} GiB; ${machine.os}`,
    `- node ${machine.node}, ${machine.git}`,
    `- load average (1, 5, 15 min) at start ${machine.loadAtStart.join(", ")}, at end ${loadAtEnd.map((v) => Math.round(v * 100) / 100).join(", ")}`,
  ];
}
