/**
 * `sessions create` flags (those of `cray cfs v3 sessions create`) -> a Session manifest and its
 * YAML text. Pure: the manifest is checked afterwards with the controller's own parser and schemas,
 * so a bad value gets the same message it would get in a pull request.
 */
import { yaml } from "../manifest/yaml-library.js";
import {
  API_VERSION,
  manifestPath,
  type ImageMapEntry,
  type SessionManifest,
  type TargetDefinition,
  type TargetGroup,
} from "../api/index.js";
import { CliError } from "./errors.js";
import { parseTags } from "./session-filters.js";

/** The create flags, as commander hands them over (repeatable pairs come from `argv`). */
export interface SessionCreateFlags {
  name: string;
  configurationName: string;
  configurationLimit?: string;
  ansibleLimit?: string;
  ansibleVerbosity?: string;
  ansiblePassthrough?: string;
  ansibleConfig?: string;
  /** `--ansible-config-in-cluster`: the name is a ConfigMap of the cluster; skip the repository check. */
  ansibleConfigInCluster?: boolean;
  targetDefinition?: string;
  tags?: string;
  debugOnFailure?: boolean;
}

/** `--target-group NAME MEMBERS` and `--target-image-map SOURCE_ID RESULT_NAME`, each repeatable. */
export interface SessionPairs {
  groups: Array<[string, string]>;
  imageMap: Array<[string, string]>;
}

/** Builds the manifest; only what was given is written, so CFS's defaults apply to the rest. */
export function sessionManifestFromFlags(flags: SessionCreateFlags, pairs: SessionPairs): SessionManifest {
  const manifest: SessionManifest = {
    apiVersion: API_VERSION,
    kind: "Session",
    name: flags.name,
    configuration: {
      name: flags.configurationName,
      ...(flags.configurationLimit !== undefined ? { limit: flags.configurationLimit } : {}),
    },
  };
  const ansible = ansibleSection(flags);
  if (ansible) manifest.ansible = ansible;
  const target = targetSection(flags, pairs);
  if (target) manifest.target = target;
  if (flags.tags !== undefined) manifest.tags = Object.fromEntries(parseTags(flags.tags));
  if (flags.debugOnFailure) manifest.debug_on_failure = true;
  return manifest;
}

function ansibleSection(flags: SessionCreateFlags): SessionManifest["ansible"] | null {
  const ansible: NonNullable<SessionManifest["ansible"]> = {};
  if (flags.ansibleConfig !== undefined) ansible.config = flags.ansibleConfig;
  if (flags.ansibleLimit !== undefined) ansible.limit = flags.ansibleLimit;
  if (flags.ansibleVerbosity !== undefined) ansible.verbosity = verbosity(flags.ansibleVerbosity);
  if (flags.ansiblePassthrough !== undefined) ansible.passthrough = flags.ansiblePassthrough;
  return Object.keys(ansible).length > 0 ? ansible : null;
}

/** A number when the text is one (the schema checks the range), else the text (the schema says why). */
function verbosity(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isInteger(value)) {
    throw new CliError(`--ansible-verbosity ${text}: must be a whole number from 0 to 4`, 2);
  }
  return value;
}

function targetSection(flags: SessionCreateFlags, pairs: SessionPairs): SessionManifest["target"] | null {
  if (flags.targetDefinition === undefined && pairs.groups.length === 0 && pairs.imageMap.length === 0)
    return null;
  const target: NonNullable<SessionManifest["target"]> = {};
  // The schema names the allowed values when this one is not among them.
  if (flags.targetDefinition !== undefined) target.definition = flags.targetDefinition as TargetDefinition;
  if (pairs.groups.length > 0) target.groups = pairs.groups.map(toGroup);
  if (pairs.imageMap.length > 0) target.image_map = pairs.imageMap.map(toImageMapEntry);
  return target;
}

function toGroup([name, members]: [string, string]): TargetGroup {
  return { name, members: members.split(",").map((member) => member.trim()) };
}

function toImageMapEntry([source_id, result_name]: [string, string]): ImageMapEntry {
  return { source_id, result_name };
}

/**
 * The values after each occurrence of `flag` in `argv` (up to the next option), so that repeated
 * two-value options keep their pairs: `--target-group a x,y --target-group b z` -> [[a, x,y], [b, z]].
 * Every occurrence must carry exactly `arity` values.
 */
export function optionOccurrences(input: {
  argv: readonly string[];
  flag: string;
  arity: number;
  usage: string;
}): string[][] {
  const { argv, flag, arity, usage } = input;
  const out: string[][] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? "";
    if (token === "--") break;
    if (token !== flag && !token.startsWith(`${flag}=`)) continue;
    const values = valuesAfter(argv, i, flag);
    if (values.length !== arity) {
      const got = values.length === 0 ? "nothing" : values.join(" ");
      throw new CliError(`${flag} takes ${usage}; got ${got}`, 2);
    }
    out.push(values);
    i += values.length - (token === flag ? 0 : 1);
  }
  return out;
}

/** The value glued with `=` (if any) and the arguments after argv[i] up to the next option. */
function valuesAfter(argv: readonly string[], i: number, flag: string): string[] {
  const token = argv[i] ?? "";
  const values = token === flag ? [] : [token.slice(flag.length + 1)];
  for (let j = i + 1; j < argv.length && !(argv[j] ?? "").startsWith("-"); j++) values.push(argv[j] ?? "");
  return values;
}

/** The pairs of `--target-group` and `--target-image-map` in `argv`. */
export function sessionPairs(argv: readonly string[]): SessionPairs {
  const pairs = (flag: string, usage: string): Array<[string, string]> =>
    optionOccurrences({ argv, flag, arity: 2, usage }).map(([a = "", b = ""]) => [a, b]);
  return {
    groups: pairs("--target-group", "NAME MEMBER[,MEMBER...]"),
    imageMap: pairs("--target-image-map", "SOURCE_ID RESULT_NAME"),
  };
}

/** The manifest's YAML, fields in the order `cray cfs v3 sessions describe` users know. */
export function manifestYaml(manifest: object): string {
  return yaml().stringify(manifest, { lineWidth: 0 });
}

/** Where a session's manifest goes. */
export function sessionPath(name: string): string {
  return manifestPath("Session", name);
}
