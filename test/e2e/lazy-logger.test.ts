/**
 * The one-shot commands' logger (src/cli/lazy-logger.ts) writes the same redacted JSON lines as
 * the root logger, from children too, and loads pino only for a line at or above its level.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const LAZY = resolve("dist/src/cli/lazy-logger.js");

/** Runs `body` with `log` made at `level`; returns stderr and whether pino was loaded. */
function run(
  level: string,
  body: string,
): { lines: Record<string, unknown>[]; pino: boolean; status: number | null } {
  if (!existsSync(LAZY)) throw new Error(`${LAZY} is missing: run \`npm run build\` first (npm test does)`);
  const script = `
    import { createRequire } from "node:module";
    const { createLazyLogger } = await import(${JSON.stringify(pathToFileURL(LAZY).href)});
    const log = createLazyLogger({ level: ${JSON.stringify(level)} });
    ${body}
    const pino = Object.keys(createRequire(import.meta.url).cache).some((file) => file.includes("/node_modules/pino/"));
    process.stdout.write(JSON.stringify({ pino }));
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  const lines = child.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const out = JSON.parse(child.stdout || '{"pino":null}') as { pino: boolean };
  return { lines, pino: out.pino, status: child.status };
}

describe("the lazy logger of one-shot commands", () => {
  it("writes nothing and never loads pino for lines below its level", () => {
    const result = run(
      "warn",
      `log.debug("quiet"); log.info({ a: 1 }, "quiet"); log.child({ component: "git" }).debug("quiet");`,
    );
    expect(result).toEqual({ lines: [], pino: false, status: 0 });
  });

  it("writes pino's redacted JSON lines, with a child's bindings, at or above its level", () => {
    const result = run(
      "warn",
      `log.child({ component: "git" }).warn({ password: "s3cret" }, "careful"); log.error("bad");`,
    );
    expect(result.status).toBe(0);
    expect(result.pino).toBe(true);
    expect(result.lines).toMatchObject([
      { level: 40, name: "cfs-gitops", component: "git", password: "[redacted]", msg: "careful" },
      { level: 50, name: "cfs-gitops", msg: "bad" },
    ]);
    expect(JSON.stringify(result.lines)).not.toContain("s3cret");
  });

  it("refuses an unknown level at once, as pino does", () => {
    const result = run("loud", "");
    expect(result.status).not.toBe(0);
  });
});
