/** Child processes of the bench: one-shot JSON printers, and the long-lived git server. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const CHILD_DIR = join(import.meta.dirname, "..", "child");

/** Runs `dist/bench/child/<name>.js` with a JSON argument and parses the last line it prints. */
export function runChild<T>(name: string, input: unknown, nodeArgs: readonly string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...nodeArgs, join(CHILD_DIR, `${name}.js`), JSON.stringify(input)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = Buffer.concat(out).toString("utf8").trim().split("\n");
      if (code !== 0) {
        reject(new Error(`${name} exited ${code}: ${Buffer.concat(err).toString("utf8").slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(lines.at(-1) ?? "") as T);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

/** The git HTTP server process: URLs of the repositories under its root. */
export interface ServerProcess {
  url(name: string): string;
  close(): Promise<void>;
}

/** Starts `child/git-server.js` on `root` and waits until it listens. */
export function startServerProcess(root: string): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(CHILD_DIR, "git-server.js"), root], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => reject(new Error(`git server exited ${code}`)));
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => {
      const { base } = JSON.parse(line) as { base: string };
      resolve({
        url: (name) => `${base}${name}`,
        close: async () => {
          child.stdin.end();
          await closed;
        },
      });
    });
  });
}
