/**
 * No test reads anything outside the repository, except the reference specs through
 * `test/helpers/reference-spec.ts` (which skips the tests, with a reason, when a spec is nowhere).
 * A static scan of every TypeScript file under test/ with the TypeScript parser: it catches the
 * ways tests have reached out (a relative path that climbs out of the repository, any path into
 * `shared/reference`, a spec variable read directly, a test using an OpenAPI loader without the
 * skip rule). Paths that are only data (a manifest's `../../etc`, `/home/jane/...` in a parser
 * test) and system tools the set-up installs (`/bin/busybox`, `/usr/sbin/sshd`) are not reads of
 * this kind. A test that needs another outside file adds it to reference-spec.ts instead.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REFERENCE_SPECS, REPO_ROOT } from "../../helpers/reference-spec.js";

/** The one door out, and this check (its examples below name what it looks for). */
const ALLOWED = new Set(["test/helpers/reference-spec.ts", "test/unit/meta/tests-stay-in-repo.test.ts"]);
const DOOR = "test/helpers/reference-spec.ts";
const SPEC_VARIABLES = new Set(Object.values(REFERENCE_SPECS).map((spec) => spec.variable));

/** Every .ts file under test/, by repository-relative path (symbolic links, like test/kube/bin, are not followed). */
function testSources(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".ts"))
        files.set(relative(REPO_ROOT, path).split(sep).join("/"), readFileSync(path, "utf8"));
    }
  };
  walk(join(REPO_ROOT, "test"));
  return files;
}

interface Scan {
  /** Findings, as `path:line: what`. */
  findings: string[];
  /** Relative imports, resolved to repository paths. */
  imports: string[];
}

/** Look at one file's string literals, identifiers and imports. */
function scanFile(input: { path: string; source: string; repoRoot: string }): Scan {
  const { path, source, repoRoot } = input;
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true);
  const dir = dirname(join(repoRoot, path));
  const findings: string[] = [];
  const imports: string[] = [];
  const at = (node: ts.Node): string =>
    `${path}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      if (spec.startsWith(".")) imports.push(relative(repoRoot, resolve(dir, spec.replace(/\.js$/, ".ts"))));
    }
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      const problem = outsidePath({ text: node.text, dir, repoRoot });
      if (problem !== null) findings.push(`${at(node)}: ${problem}`);
    }
    if (ts.isIdentifier(node) && SPEC_VARIABLES.has(node.text))
      findings.push(`${at(node)}: reads ${node.text} itself; use ${DOOR}`);
    if (ts.isStringLiteralLike(node) && SPEC_VARIABLES.has(node.text))
      findings.push(`${at(node)}: reads ${node.text} itself; use ${DOOR}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { findings, imports: imports.map((p) => p.split(sep).join("/")) };
}

/** Why a string names a place outside the repository, or null when it does not. */
function outsidePath(input: { text: string; dir: string; repoRoot: string }): string | null {
  const { text, dir, repoRoot } = input;
  const root = resolve(repoRoot);
  const inside = (path: string): boolean => path === root || path.startsWith(root + sep);
  if (text === "shared" || /(^|\/)shared\/reference\b|\.\.\/shared\b/.test(text))
    return `"${text}" reaches ../shared; use ${DOOR}`;
  if (text.startsWith("../") && !inside(resolve(dir, text.split(/[?#]/)[0] ?? text)))
    return `"${text}" climbs out of the repository`;
  return null;
}

/** Test files that use an OpenAPI loader (directly or through helpers) without importing the door. */
function loaderUsersWithoutDoor(scans: Map<string, Scan>): string[] {
  const reaches = (from: string, seen = new Set<string>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    return (scans.get(from)?.imports ?? []).some((p) => p.endsWith("-openapi.ts") || reaches(p, seen));
  };
  return [...scans.entries()]
    .filter(([path, scan]) => path.endsWith(".test.ts") && reaches(path) && !scan.imports.includes(DOOR))
    .map(([path]) => `${path}: uses an OpenAPI spec without ${DOOR} (skip with a reason when it is nowhere)`);
}

/** Every way the files reach outside the repository other than through the door. */
function findOutsideReads(input: { files: Map<string, string>; repoRoot: string }): string[] {
  const scans = new Map<string, Scan>();
  for (const [path, source] of input.files)
    scans.set(path, scanFile({ path, source, repoRoot: input.repoRoot }));
  const findings = [...scans.entries()].filter(([path]) => !ALLOWED.has(path)).flatMap(([, s]) => s.findings);
  return [...findings, ...loaderUsersWithoutDoor(scans)];
}

describe("test sources stay inside the repository", () => {
  it("reach nothing outside it but the reference specs, through reference-spec.ts", () => {
    const files = testSources();
    expect(files.has(DOOR)).toBe(true);
    expect(files.size).toBeGreaterThan(50);
    expect(findOutsideReads({ files, repoRoot: REPO_ROOT })).toEqual([]);
  });

  it("catches the ways tests used to read ../shared/reference", () => {
    const files = new Map([
      [
        "test/helpers/ims-openapi.ts",
        'const p = process.env.IMS_OPENAPI ?? fileURLToPath(new URL("../../../shared/reference/ims-openapi.yaml", import.meta.url));',
      ],
      [
        "test/integration/cli/cfs-openapi.ts",
        'export const P = process.env["CFS_OPENAPI_SPEC"] ?? join(ROOT, "../shared/reference/cfs-openapi.yaml");',
      ],
      [
        "test/unit/x.test.ts",
        `readFileSync(join(ROOT, "..", "shared", "x.yaml")); readFileSync("/work/shared/reference/x.yaml");`,
      ],
      ["test/unit/y.test.ts", `const y = readFileSync(\`../../../../etc/\${name}\`);`],
    ]);
    expect(findOutsideReads({ files, repoRoot: REPO_ROOT })).toEqual([
      "test/helpers/ims-openapi.ts:1: reads IMS_OPENAPI itself; use test/helpers/reference-spec.ts",
      'test/helpers/ims-openapi.ts:1: "../../../shared/reference/ims-openapi.yaml" reaches ../shared; use test/helpers/reference-spec.ts',
      "test/integration/cli/cfs-openapi.ts:1: reads CFS_OPENAPI_SPEC itself; use test/helpers/reference-spec.ts",
      'test/integration/cli/cfs-openapi.ts:1: "../shared/reference/cfs-openapi.yaml" reaches ../shared; use test/helpers/reference-spec.ts',
      'test/unit/x.test.ts:1: "shared" reaches ../shared; use test/helpers/reference-spec.ts',
      'test/unit/x.test.ts:1: "/work/shared/reference/x.yaml" reaches ../shared; use test/helpers/reference-spec.ts',
      'test/unit/y.test.ts:1: "../../../../etc/" climbs out of the repository',
    ]);
  });

  it("catches a test that uses an OpenAPI loader, even through a helper, without the skip rule", () => {
    const files = new Map([
      ["test/helpers/ims-openapi.ts", 'import { requireReferenceSpec } from "./reference-spec.js";'],
      ["test/helpers/ims-server.ts", 'import { loadImsContract } from "./ims-openapi.js";'],
      ["test/integration/images/a.test.ts", 'import { startImsServer } from "../../helpers/ims-server.js";'],
      [
        "test/integration/images/b.test.ts",
        'import { startImsServer } from "../../helpers/ims-server.js";\nimport { skipEachWithoutReferenceSpec } from "../../helpers/reference-spec.js";',
      ],
    ]);
    expect(findOutsideReads({ files, repoRoot: REPO_ROOT })).toEqual([
      "test/integration/images/a.test.ts: uses an OpenAPI spec without test/helpers/reference-spec.ts (skip with a reason when it is nowhere)",
    ]);
  });

  it("lets through imports and paths inside the repository, and paths that are only data", () => {
    const files = new Map([
      [
        "test/integration/images/c.test.ts",
        [
          'import { x } from "../../../src/api/index.js";',
          'const cache = new URL("../../.cache/test-images/", import.meta.url);',
          'expect(validate("../../etc")).toBe(false);',
          'parseConfigFile("/home/jane/.cfs-gitops.yaml", text);',
        ].join("\n"),
      ],
    ]);
    expect(findOutsideReads({ files, repoRoot: REPO_ROOT })).toEqual([]);
  });
});
