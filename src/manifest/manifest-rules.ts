/**
 * The rules of a manifest that its JSON Schema does not say: CFS's duplicate-layer rule, checked as
 * CFS checks it when a configuration is written (PUT /v3/configurations/{name}), and that a session
 * names its configuration once, in the nested form or in the create-request form.
 */
import type { Kind } from "../api/index.js";
import type { SchemaIssue } from "./describe-schema-errors.js";
import { SESSION_CREATE_FIELDS } from "./normalize-manifest.js";

/** The rule issues of a manifest of `kind` that passed its schema. */
export function manifestRuleIssues(kind: Kind, value: Record<string, unknown>): SchemaIssue[] {
  if (kind === "Configuration") return configurationRuleIssues(value);
  if (kind === "Session") return sessionRuleIssues(value);
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
export function configurationRuleIssues(value: Record<string, unknown>): SchemaIssue[] {
  const layers = Array.isArray(value.layers) ? (value.layers as unknown[]) : [];
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

function layerKey(layer: unknown): string | null {
  if (typeof layer !== "object" || layer === null) return null;
  const { clone_url: url, playbook } = layer as Record<string, unknown>;
  return typeof url === "string" && typeof playbook === "string" ? `${url}\0${playbook}` : null;
}
