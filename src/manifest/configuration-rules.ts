/**
 * The rules of a configuration that a JSON Schema cannot say, checked as CFS checks them when a
 * configuration is written (PUT /v3/configurations/{name}).
 */
import type { SchemaIssue } from "./describe-schema-errors.js";

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
