/**
 * The demo: a temporary configuration repository made from `examples/`, layer repositories made
 * from `examples/layers/`, and the controller running its sessions with real Ansible on localhost.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runGit } from "../git/run-git.js";

const AUTHOR = ["-c", "user.name=cfs-gitops demo", "-c", "user.email=demo@cfs-gitops.invalid"];
const PLACEHOLDER = /https:\/\/git\.example\.org\/site\/([A-Za-z0-9_.-]+?)(?:\.git)?(?=\s|$)/g;

/** The demo's folders. */
export interface DemoLayout {
  root: string;
  config: string;
  gitRoot: string;
  out: string;
  data: string;
}

/** Finds `examples/` next to the installed package (from src/ in tests, dist/src/ when built). */
export function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    if (existsSync(join(dir, "examples", "layers"))) return join(dir, "examples");
    dir = dirname(dir);
  }
  throw new Error("examples/ not found beside the cfs-gitops package");
}

/** Creates the layer repositories and the configuration repository; returns where they are. */
export async function prepareDemo(rootDir?: string): Promise<DemoLayout> {
  const root = rootDir ?? (await mkdtemp(join(tmpdir(), "cfs-gitops-demo-")));
  const layout = {
    root,
    config: join(root, "config"),
    gitRoot: join(root, "git"),
    out: join(root, "out"),
    data: join(root, "data"),
  };
  const examples = examplesDir();
  for (const layer of await readdir(join(examples, "layers"))) {
    await makeRepository({
      dir: join(root, "work", layer),
      from: join(examples, "layers", layer),
      bare: join(layout.gitRoot, `${layer}.git`),
    });
  }
  await mkdir(layout.config, { recursive: true });
  await runGit({ args: ["init", "-q", "-b", "main", layout.config] });
  for (const entry of ["configurations", "sessions", "components", "cfs.yaml"]) {
    if (existsSync(join(examples, entry)))
      await cp(join(examples, entry), join(layout.config, entry), { recursive: true });
  }
  await rewriteCloneUrls(join(layout.config, "configurations"), layout.gitRoot);
  await commitAll(layout.config, "Add the demo configuration, components and sessions");
  return layout;
}

/** Writes a file in the configuration repository and commits it (as a merged pull request would). */
export async function commitFile(input: {
  repo: string;
  path: string;
  text: string | null;
  message: string;
  gitRoot: string;
}): Promise<void> {
  const full = join(input.repo, input.path);
  if (input.text === null) {
    await runGit({ args: ["rm", "-q", input.path], cwd: input.repo });
  } else {
    await mkdir(dirname(full), { recursive: true });
    await writeFile(
      full,
      input.text.replace(PLACEHOLDER, (_m, name: string) => `file://${input.gitRoot}/${name}.git`),
    );
  }
  await commitAll(input.repo, input.message);
}

async function makeRepository(input: { dir: string; from: string; bare: string }): Promise<void> {
  await cp(input.from, input.dir, { recursive: true });
  await runGit({ args: ["init", "-q", "-b", "main", input.dir] });
  await commitAll(input.dir, "Initial layer content");
  await runGit({ args: ["clone", "-q", "--bare", input.dir, input.bare] });
}

async function commitAll(dir: string, message: string): Promise<void> {
  await runGit({ args: ["add", "-A"], cwd: dir });
  await runGit({ args: [...AUTHOR, "commit", "-q", "-m", message], cwd: dir });
}

async function rewriteCloneUrls(dir: string, gitRoot: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [])) {
    const path = join(dir, name);
    const text = await readFile(path, "utf8");
    await writeFile(
      path,
      text.replace(PLACEHOLDER, (_m, layer: string) => `file://${gitRoot}/${layer}.git`),
    );
  }
}
