/**
 * Static checks of the Dockerfile and .dockerignore (no container engine runs here): the targets
 * exist, production dependencies come from `npm ci --omit=dev`, the runtime runs as a numeric
 * non-root user, and everything copied from the context is in the context.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");

interface Stage {
  name: string;
  from: string;
  instructions: Array<{ op: string; args: string }>;
}

/** The stages of a Dockerfile: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const [op = "", ...rest] = line.split(/\s+/);
    const argText = rest.join(" ");
    if (op.toUpperCase() === "FROM") {
      const match = /^(\S+)\s+AS\s+(\S+)$/i.exec(argText);
      stages.push({
        name: match?.[2] ?? String(stages.length),
        from: match?.[1] ?? argText,
        instructions: [],
      });
    } else if (stages.length === 0 && op.toUpperCase() === "ARG") {
      const [key = "", value = ""] = argText.split("=");
      args.set(key, value);
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args: argText });
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const stage = (name: string): Stage => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};
const runs = (s: Stage) => s.instructions.filter((i) => i.op === "RUN").map((i) => i.args);
const lastUser = (s: Stage) => s.instructions.filter((i) => i.op === "USER").at(-1)?.args;

describe("Dockerfile", () => {
  it("has the targets controller (also the step image) and ansible, built on controller", () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(expect.arrayContaining(["controller", "ansible"]));
    expect(stage("ansible").from).toBe("controller");
  });

  it("starts from a current Node.js LTS image (an even major of at least 24)", () => {
    const base = dockerfile.args.get("NODE_IMAGE") ?? "";
    const major = Number(/^node:(\d+)/.exec(base)?.[1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
    for (const name of ["build", "deps", "controller"]) expect(stage(name).from).toBe("${NODE_IMAGE}");
  });

  it("builds with npm ci and npm run build, and ships node_modules from npm ci --omit=dev", () => {
    expect(runs(stage("build")).join("\n")).toMatch(/npm ci\b[\s\S]*npm run build/);
    expect(runs(stage("deps")).some((r) => /npm ci --omit=dev\b/.test(r))).toBe(true);
    const copies = stage("controller")
      .instructions.filter((i) => i.op === "COPY")
      .map((i) => i.args);
    expect(copies).toContain("--from=deps /app/node_modules ./node_modules");
    expect(copies.some((c) => c.startsWith("--from=build") && c.includes("node_modules"))).toBe(false);
  });

  it("installs git in the controller image and ansible-core in the ansible image", () => {
    expect(runs(stage("controller")).join("\n")).toMatch(/apt-get install[^&]*\bgit\b/);
    expect(runs(stage("ansible")).join("\n")).toMatch(/apt-get install[^&]*\bansible-core\b/);
  });

  it("runs both targets as a numeric non-root user", () => {
    for (const name of ["controller", "ansible"]) {
      const user = lastUser(stage(name)) ?? "0";
      expect(user, name).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    }
  });

  it("puts cfs-gitops on the PATH (the Job containers run `cfs-gitops step ...`) as the package's bin", () => {
    const bin = (
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> }
    ).bin;
    expect(runs(stage("controller")).join("\n")).toContain(
      `ln -s /app/${bin["cfs-gitops"]} /usr/local/bin/cfs-gitops`,
    );
    const entry = stage("controller").instructions.find((i) => i.op === "ENTRYPOINT")?.args;
    expect(entry).toBe('["cfs-gitops"]');
  });

  it("copies from the context only paths that exist and that .dockerignore lets in", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(ignore[0]).toBe("*");
    const allowed = new Set(ignore.filter((l) => l.startsWith("!")).map((l) => l.slice(1)));
    for (const s of dockerfile.stages) {
      for (const copy of s.instructions.filter((i) => i.op === "COPY" && !i.args.startsWith("--from"))) {
        const sources = copy.args.split(/\s+/).slice(0, -1);
        for (const source of sources) {
          expect(existsSync(join(ROOT, source)), `${s.name}: COPY ${source}`).toBe(true);
          expect(allowed.has(source.split("/")[0]!), `${s.name}: .dockerignore keeps ${source} out`).toBe(
            true,
          );
        }
      }
    }
  });
});
