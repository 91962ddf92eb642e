/**
 * The one way a test reads a file outside the repository: the real CFS and IMS OpenAPI files, the
 * published specs the contract tests validate against (read in place, never copied into the repo).
 *
 * Each is found at its variable (`CFS_OPENAPI_SPEC`, `IMS_OPENAPI`), else at
 * `../shared/reference/<file>` beside the project when that exists (CI has it). When neither
 * exists, the tests that need it are skipped with a reason naming the variable, so a plain clone
 * stays green and the summary says what did not run. A variable that is set must name a file that
 * exists: that is an error, never a skip. `test/integration/meta/tests-stay-in-repo.test.ts` keeps
 * every other test file inside the repository.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeEach, type TestContext } from "vitest";

/** The repository's root directory. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The reference specs there are. */
export type ReferenceSpecName = "cfs" | "ims";

/** What each spec is and how to point at it. */
export const REFERENCE_SPECS: Readonly<
  Record<ReferenceSpecName, { file: string; variable: string; what: string }>
> = {
  cfs: { file: "cfs-openapi.yaml", variable: "CFS_OPENAPI_SPEC", what: "the real CFS v3 API spec" },
  ims: { file: "ims-openapi.yaml", variable: "IMS_OPENAPI", what: "the real IMS API spec" },
};

/** Where a spec is, or why the tests that need it are skipped. */
export interface ReferenceSpec {
  name: ReferenceSpecName;
  /** The spec file's path; null when it is nowhere. */
  path: string | null;
  /** Why the tests are skipped when `path` is null (names the variable to set). */
  skipReason: string;
}

/** Where to look: the environment and the repository root (the real ones unless a test says). */
export interface FindReferenceSpecOptions {
  env?: Readonly<Record<string, string | undefined>>;
  repoRoot?: string;
}

/**
 * Find a spec: its variable, else `../shared/reference/` beside the repository, else nothing.
 * Throws when the variable is set to a path that does not exist (a typo must not become a skip).
 */
export function findReferenceSpec(
  name: ReferenceSpecName,
  options: FindReferenceSpecOptions = {},
): ReferenceSpec {
  const { file, variable, what } = REFERENCE_SPECS[name];
  const env = options.env ?? process.env;
  const skipReason = `${file} not found: set ${variable} to its path to run the contract tests against ${what}`;
  const fromEnv = env[variable];
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!existsSync(fromEnv))
      throw new Error(`${variable} is set to ${fromEnv}, which does not exist (${what})`);
    return { name, path: fromEnv, skipReason };
  }
  const beside = join(options.repoRoot ?? REPO_ROOT, "..", "shared", "reference", file);
  return { name, path: existsSync(beside) ? beside : null, skipReason };
}

/** The spec's path for the test running now; skips that test, with the reason, when there is none. */
export function referenceSpecPath(context: TestContext, name: ReferenceSpecName): string {
  const spec = findReferenceSpec(name);
  if (spec.path === null) return context.skip(spec.skipReason);
  return spec.path;
}

/**
 * Skip every test of this file (or of the enclosing describe) when the spec is nowhere, each
 * with the reason. Call it first, before the other hooks. `afterEach` hooks still run after a
 * skip: they can test `spec.path === null` to do nothing.
 */
export function skipEachWithoutReferenceSpec(name: ReferenceSpecName): ReferenceSpec {
  const spec = findReferenceSpec(name);
  beforeEach((context) => {
    if (spec.path === null) context.skip(spec.skipReason);
  });
  return spec;
}

/** The spec's path for a loader: throws the skip reason when it is nowhere (a test forgot to skip). */
export function requireReferenceSpec(name: ReferenceSpecName): string {
  const spec = findReferenceSpec(name);
  if (spec.path === null) throw new Error(spec.skipReason);
  return spec.path;
}
