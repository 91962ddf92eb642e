/**
 * The parse pool gives, in order, what parseManifest gives for each file, whether the files are
 * parsed on worker threads (the built worker, dist/), on this thread, or on this thread after a
 * worker failed. `npm test` builds dist/ first.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { ParsePool } from "../../../src/controller/parse-pool.js";
import { parseManifest } from "../../../src/manifest/index.js";

const WORKER = resolve("dist/src/controller/parse-worker.js");
const pools: ParsePool[] = [];

function pool(options: ConstructorParameters<typeof ParsePool>[0]): ParsePool {
  const made = new ParsePool(options);
  pools.push(made);
  return made;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** Files of every kind of outcome: valid, each kind of error, odd modes, a stand-in for a too-large file. */
function files(count: number): Array<{ path: string; bytes: Uint8Array; mode?: string }> {
  const texts = [
    (i: number) => `apiVersion: cfs-gitops/v1\nkind: Session\nname: s${i}\nconfiguration:\n  name: cfg\n`,
    (i: number) => `apiVersion: cfs-gitops/v1\nkind: Session\nname: other${i}\nconfiguration: {}\n`,
    () => "a: [unclosed\n",
    (i: number) =>
      `apiVersion: cfs-gitops/v1\nkind: Session\nname: s${i}\nname: again\nconfiguration:\n  name: cfg\n`,
    () => "---\na: 1\n---\nb: 2\n",
  ];
  return Array.from({ length: count }, (_, i) => {
    const text = texts[i % texts.length]?.(i) ?? "";
    const mode = i % 11 === 0 ? "120000" : "100644";
    const bytes = i % 13 === 0 ? new Uint8Array(300 * 1024) : Buffer.from(text);
    return { path: `sessions/s${i}.yaml`, bytes, mode };
  });
}

describe("ParsePool", () => {
  it("parses on worker threads what parseManifest parses, in order", async () => {
    expect(existsSync(WORKER), `${WORKER} is built by npm run build (npm test runs it first)`).toBe(true);
    const inputs = files(503);
    const parsing = pool({ workers: 2, minFiles: 1, chunk: 17, script: pathToFileURL(WORKER) });
    const results = parsing.parseMany(inputs);
    expect(parsing.running).toBe(2);
    expect(await results).toEqual(inputs.map((input) => parseManifest(input)));
  });

  it("parses on this thread below minFiles, without workers, or with no worker script built", async () => {
    const inputs = files(40);
    const expected = inputs.map((input) => parseManifest(input));
    for (const options of [
      { workers: 2, minFiles: 41, script: pathToFileURL(WORKER) },
      { workers: 0, minFiles: 1, script: pathToFileURL(WORKER) },
      { workers: 2, minFiles: 1, script: null },
    ]) {
      const parsing = pool(options);
      const results = parsing.parseMany(inputs);
      expect(parsing.running).toBe(0);
      expect(await results).toEqual(expected);
    }
  });

  it("parses a failed worker's files on this thread, and every later file too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "parse-pool-"));
    const crashing = join(dir, "crash.mjs");
    writeFileSync(
      crashing,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n",
    );
    const inputs = files(120);
    const expected = inputs.map((input) => parseManifest(input));
    const parsing = pool({ workers: 2, minFiles: 1, chunk: 10, script: pathToFileURL(crashing) });
    expect(await parsing.parseMany(inputs)).toEqual(expected);
    expect(parsing.running).toBe(0);
    expect(await parsing.parseMany(inputs)).toEqual(expected);
  });

  it("lets its idle workers go after idleMs", async () => {
    const parsing = pool({ workers: 2, minFiles: 1, idleMs: 20, script: pathToFileURL(WORKER) });
    await parsing.parseMany(files(30));
    expect(parsing.running).toBeGreaterThan(0);
    await new Promise((done) => setTimeout(done, 300));
    expect(parsing.running).toBe(0);
  });
});
