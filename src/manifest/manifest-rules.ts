/**
 * The rules of a manifest that its JSON Schema does not say: CFS's clone_url-or-source rule and its
 * duplicate-layer rule, checked as
 * CFS checks it when a configuration is written (PUT /v3/configurations/{name}), and that a session
 * names its configuration once, in the nested form or in the create-request form.
 */
import type { Kind } from "../api/index.js";
import type { SchemaIssue } from "./describe-schema-errors.js";
import { SESSION_CREATE_FIELDS } from "./normalize-manifest.js";

/** An issue of a rule, with the code of its error. */
export interface RuleIssue extends SchemaIssue {
  code: "schema" | "duplicate-layer";
}

/** The rule issues of a manifest of `kind` that passed its schema. */
export function manifestRuleIssues(kind: Kind, value: Record<string, unknown>): RuleIssue[] {
  if (kind === "Configuration") return configurationRuleIssues(value);
  if (kind === "Session") return sessionRuleIssues(value).map((issue) => ({ ...issue, code: "schema" }));
  return [];
}

/**
 * A session needs its configuration (`configuration.name`, or `configuration_name` as in a create
 * request), and may give each setting in one spelling only.
 */
export function sessionRuleIssues(value: Record<string, unknown>): SchemaIssue[] {
  if (!("configuration" in value) && !("configuration_name" in value)) {
    const message =
      'missing required field "configuration": add configuration: with the name of a configuration';
    return [{ segments: [], part: "value", message }];
  }
  const issues: SchemaIssue[] = [];
  for (const [field, [section, key]] of Object.entries(SESSION_CREATE_FIELDS)) {
    const nested = value[section];
    if (!(field in value) || typeof nested !== "object" || nested === null || !(key in nested)) continue;
    issues.push({
      segments: [field],
      part: "key",
      message: `${field} and ${section}.${key} both set the same thing: keep one (${field} is how a create request spells ${section}.${key})`,
    });
  }
  return issues;
}

/** CFS's own words for two layers that apply the same playbook from the same repository. */
export const SAME_PLAYBOOK_MESSAGE =
  "Two or more layers apply the same playbook from the same repo, but have different commit ids.";

/**
 * Two layers with the same repository (`clone_url`) and `playbook` are refused, as CFS refuses them
 * (its rule fires whatever the commits, despite its wording). Each later duplicate gets one issue,
 * pointing at its playbook. `value` has passed the schema.
 */
export function configurationRuleIssues(value: Record<string, unknown>): RuleIssue[] {
  const layers = Array.isArray(value.layers) ? (value.layers as unknown[]) : [];
  const issues: RuleIssue[] = repositoryIssues(value, layers).map((issue) => ({ ...issue, code: "schema" }));
  issues.push(
    ...duplicateLayerIssues(layers).map((issue): RuleIssue => ({ ...issue, code: "duplicate-layer" })),
  );
  return issues;
}

/** CFS's words when a layer gives both clone_url and source, or neither. */
export const SOURCE_MESSAGES = {
  both: "Only source or clone_url should be specified for each layer, not both.",
  neither: "Either source or clone_url must be specified for each layer.",
} as const;

/** Each layer, and the additional inventory, names its repository once: clone_url or source. */
function repositoryIssues(value: Record<string, unknown>, layers: unknown[]): SchemaIssue[] {
  const entries: Array<[string[], unknown]> = layers.map((layer, index) => [
    ["layers", String(index)],
    layer,
  ]);
  if (value.additional_inventory !== undefined)
    entries.push([["additional_inventory"], value.additional_inventory]);
  const issues: SchemaIssue[] = [];
  for (const [segments, entry] of entries) {
    if (typeof entry !== "object" || entry === null) continue;
    const hasUrl = "clone_url" in entry;
    const hasSource = "source" in entry;
    if (hasUrl && hasSource)
      issues.push({
        segments: [...segments, "source"],
        part: "key",
        message: `${SOURCE_MESSAGES.both} Keep clone_url (a repository the controller's credentials reach) or source (sources/<name>.yaml), and remove the other`,
      });
    else if (!hasUrl && !hasSource)
      issues.push({
        segments,
        part: "value",
        message: `${SOURCE_MESSAGES.neither} Add clone_url: <git URL>, or source: <name of sources/<name>.yaml>`,
      });
  }
  return issues;
}

function duplicateLayerIssues(layers: unknown[]): SchemaIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: SchemaIssue[] = [];
  layers.forEach((layer, index) => {
    const key = layerKey(layer);
    if (key === null) return;
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
      return;
    }
    issues.push({
      segments: ["layers", String(index), "playbook"],
      part: "value",
      message: `layers[${index}] applies the same playbook from the same repository as layers[${first}] (${SAME_PLAYBOOK_MESSAGE} CFS refuses this): remove one of them, or use a different playbook`,
    });
  });
  return issues;
}

/** CFS's key of a layer: its clone_url, or its source when it has no clone_url, and its playbook. */
function layerKey(layer: unknown): string | null {
  if (typeof layer !== "object" || layer === null) return null;
  const { clone_url: url, source, playbook } = layer as Record<string, unknown>;
  const repository = typeof url === "string" ? url : typeof source === "string" ? `source:${source}` : null;
  return repository !== null && typeof playbook === "string" ? `${repository}\0${playbook}` : null;
}
