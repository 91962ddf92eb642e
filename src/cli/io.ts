/**
 * What a CLI command talks to: its output streams, its input, the environment and the clock.
 * `processIo()` is the real process; tests pass their own to run commands in-process.
 */
import { setTimeout as delay } from "node:timers/promises";

/** Where a command writes; `isTTY` turns on live progress and questions. */
export interface CliOutput {
  write(text: string): void;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Where a command reads answers from (a confirmation); null when there is no input. */
export interface CliInput {
  readonly isTTY?: boolean;
  /** The next line typed, or null at end of input. */
  readLine(): Promise<string | null>;
}

/** Everything a command needs from the outside world. */
export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: CliInput | null;
  env: Readonly<Record<string, string | undefined>>;
  /** The folder relative paths (and `.cfs-gitops.yaml`) are found from. */
  cwd: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/** The real process: its streams, environment and clock. */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: processInput(),
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    sleep: (ms) => delay(ms),
  };
}

function processInput(): CliInput {
  return {
    isTTY: process.stdin.isTTY,
    readLine: () =>
      new Promise((resolve) => {
        const stdin = process.stdin;
        let text = "";
        const finish = (line: string | null): void => {
          stdin.off("data", onData);
          stdin.off("end", onEnd);
          stdin.pause();
          resolve(line);
        };
        const onData = (chunk: Buffer): void => {
          text += chunk.toString("utf8");
          const newline = text.indexOf("\n");
          if (newline >= 0) finish(text.slice(0, newline));
        };
        const onEnd = (): void => finish(text === "" ? null : text);
        stdin.on("data", onData);
        stdin.on("end", onEnd);
        stdin.resume();
      }),
  };
}
