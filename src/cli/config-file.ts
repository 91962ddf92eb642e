/**
 * Defaults for the repository options from a config file, so `--repo` need not be typed every time:
 * `.cfs-gitops.yaml` in the current folder or any folder above it, else
 * `$XDG_CONFIG_HOME/cfs-gitops/config.yaml` (`~/.config/cfs-gitops/config.yaml`). Flags win over the
 * environment (`CFS_GITOPS_*`), which wins over the file. Relative paths in a file are relative to
 * the file's folder.
 */
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { yaml } from "../manifest/yaml-library.js";
import { ConfigError } from "./config-error.js";

/** The file keys and the environment variable each one stands in for. */
export const CONFIG_FILE_KEYS = {
  repo: "CFS_GITOPS_REPO",
  branch: "CFS_GITOPS_BRANCH",
  status_branch: "CFS_GITOPS_STATUS_BRANCH",
  data_dir: "CFS_GITOPS_DATA_DIR",
  git_credentials_file: "CFS_GITOPS_GIT_CREDENTIALS_FILE",
} as const;

type Key = keyof typeof CONFIG_FILE_KEYS;
type Env = Readonly<Record<string, string | undefined>>;
const PATH_KEYS: ReadonlySet<Key> = new Set(["repo", "data_dir", "git_credentials_file"]);

/** The config file that applies from `cwd`, or null: the nearest `.cfs-gitops.yaml`, else the user's file. */
export function findConfigFile(input: { cwd: string; env: Env }): string | null {
  for (let dir = resolve(input.cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, ".cfs-gitops.yaml");
    if (readable(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  const base = input.env["XDG_CONFIG_HOME"] || join(input.env["HOME"] ?? homedir(), ".config");
  const user = join(base, "cfs-gitops", "config.yaml");
  return readable(user) ? user : null;
}

/** The environment with the config file's values filled in where the environment has none. */
export function withConfigFile(input: { cwd: string; env: Env }): Env {
  const file = findConfigFile(input);
  if (file === null) return input.env;
  const values = parseConfigFile(file, readFileSync(file, "utf8"), input.env["HOME"] ?? homedir());
  return { ...values, ...definedOnly(input.env) };
}

/**
 * Parse a config file's text into environment variables; unknown keys and bad values fail (exit 2).
 * Paths may start with `~/` (the home folder) or be relative to the file's folder.
 */
export function parseConfigFile(file: string, text: string, home = homedir()): Record<string, string> {
  let data: unknown;
  try {
    data = yaml().parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid YAML (${(error as Error).message.split("\n")[0]})`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== "object" || Array.isArray(data))
    throw new ConfigError(`${file}: expected a mapping of ${Object.keys(CONFIG_FILE_KEYS).join(", ")}`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (!(key in CONFIG_FILE_KEYS)) {
      throw new ConfigError(
        `${file}: unknown key "${key}" (known: ${Object.keys(CONFIG_FILE_KEYS).join(", ")})`,
      );
    }
    if (typeof value !== "string" || value === "")
      throw new ConfigError(`${file}: ${key} must be a non-empty string`);
    out[CONFIG_FILE_KEYS[key as Key]] = resolveValue({ file, key: key as Key, value, home });
  }
  return out;
}

function resolveValue(input: { file: string; key: Key; value: string; home: string }): string {
  const { file, key, value } = input;
  if (!PATH_KEYS.has(key) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || isAbsolute(value)) return value;
  if (value === "~" || value.startsWith("~/")) return join(input.home, value.slice(1));
  return resolve(dirname(file), value);
}

function definedOnly(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

function readable(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}
