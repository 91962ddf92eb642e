/**
 * The JSON Schemas in schemas/ are the source of truth; the TypeScript types in src/api/manifests.ts
 * and the constants in src/api/constants.ts must say the same thing. Each key list below is checked
 * by the compiler against the type (`satisfies Record<keyof ..., true>` rejects a missing or an extra
 * key) and by the test against the schema, so a field added on one side only fails here.
 */
import { describe, expect, it } from "vitest";
import {
  API_VERSION,
  COMMIT_PATTERN,
  MAX_CONFIGURATION_NAME,
  MAX_LAYER_NAME,
  MAX_SESSION_NAME,
  NO_SPACE_PATTERN,
  READ_ONLY_FIELDS,
  REFUSED_CFS_OPTIONS,
  SESSION_NAME_PATTERN,
  SESSION_TTL_PATTERN,
  TARGET_DEFINITIONS,
  type AdditionalInventory,
  type ComponentManifest,
  type ConfigurationLayer,
  type ConfigurationManifest,
  type ImageMapEntry,
  type Kind,
  type OptionsManifest,
  type SessionManifest,
  type SourceCaCert,
  type SourceCredentials,
  type SourceManifest,
  type TargetGroup,
} from "../../../src/api/index.js";
import { PATTERN_WORDS } from "../../../src/manifest/describe-schema-errors.js";
import { MANIFEST_SCHEMAS } from "../../../src/manifest/index.js";
import { SESSION_CREATE_FIELDS } from "../../../src/manifest/normalize-manifest.js";
import componentSchema from "../../../schemas/component.schema.json" with { type: "json" };
import configurationSchema from "../../../schemas/configuration.schema.json" with { type: "json" };
import optionsSchema from "../../../schemas/options.schema.json" with { type: "json" };
import sessionSchema from "../../../schemas/session.schema.json" with { type: "json" };
import sourceSchema from "../../../schemas/source.schema.json" with { type: "json" };

/** The keys of T that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Keys<T> = Record<keyof Required<T>, true>;
type Needed<T> = Record<RequiredKeys<T>, true>;

type SessionConfiguration = SessionManifest["configuration"];
type SessionAnsible = NonNullable<SessionManifest["ansible"]>;
type SessionTarget = NonNullable<SessionManifest["target"]>;
type SpecialParameters = NonNullable<ConfigurationLayer["special_parameters"]>;

interface ObjectSchema {
  properties: Record<string, unknown>;
  required?: string[];
}

interface Pair {
  name: string;
  schema: ObjectSchema;
  keys: Record<string, true>;
  required: Record<string, true>;
}

const pairs: Pair[] = [
  {
    name: "SessionManifest",
    schema: sessionSchema,
    keys: {
      apiVersion: true,
      kind: true,
      name: true,
      configuration: true,
      ansible: true,
      target: true,
      tags: true,
      debug_on_failure: true,
    } satisfies Keys<SessionManifest>,
    required: {
      apiVersion: true,
      kind: true,
      name: true,
      configuration: true,
    } satisfies Needed<SessionManifest>,
  },
  {
    name: "SessionManifest.configuration",
    schema: sessionSchema.properties.configuration,
    keys: { name: true, limit: true } satisfies Keys<SessionConfiguration>,
    required: { name: true } satisfies Needed<SessionConfiguration>,
  },
  {
    name: "SessionManifest.ansible",
    schema: sessionSchema.properties.ansible,
    keys: { config: true, limit: true, verbosity: true, passthrough: true } satisfies Keys<SessionAnsible>,
    required: {} satisfies Needed<SessionAnsible>,
  },
  {
    name: "SessionManifest.target",
    schema: sessionSchema.properties.target,
    keys: { definition: true, groups: true, image_map: true } satisfies Keys<SessionTarget>,
    required: {} satisfies Needed<SessionTarget>,
  },
  {
    name: "TargetGroup",
    schema: sessionSchema.$defs.group,
    keys: { name: true, members: true } satisfies Keys<TargetGroup>,
    required: { name: true, members: true } satisfies Needed<TargetGroup>,
  },
  {
    name: "ImageMapEntry",
    schema: sessionSchema.$defs.imageMapEntry,
    keys: { source_id: true, result_name: true } satisfies Keys<ImageMapEntry>,
    required: { source_id: true, result_name: true } satisfies Needed<ImageMapEntry>,
  },
  {
    name: "ConfigurationManifest",
    schema: configurationSchema,
    keys: {
      apiVersion: true,
      kind: true,
      name: true,
      description: true,
      tenant_name: true,
      layers: true,
      additional_inventory: true,
    } satisfies Keys<ConfigurationManifest>,
    required: {
      apiVersion: true,
      kind: true,
      name: true,
      layers: true,
    } satisfies Needed<ConfigurationManifest>,
  },
  {
    name: "ConfigurationLayer",
    schema: configurationSchema.$defs.layer,
    keys: {
      name: true,
      clone_url: true,
      source: true,
      commit: true,
      branch: true,
      playbook: true,
      special_parameters: true,
    } satisfies Keys<ConfigurationLayer>,
    required: { playbook: true } satisfies Needed<ConfigurationLayer>,
  },
  {
    name: "ConfigurationLayer.special_parameters",
    schema: configurationSchema.$defs.layer.properties.special_parameters,
    keys: { ims_require_dkms: true } satisfies Keys<SpecialParameters>,
    required: {} satisfies Needed<SpecialParameters>,
  },
  {
    name: "AdditionalInventory",
    schema: configurationSchema.properties.additional_inventory,
    keys: {
      name: true,
      clone_url: true,
      source: true,
      commit: true,
      branch: true,
    } satisfies Keys<AdditionalInventory>,
    required: {} satisfies Needed<AdditionalInventory>,
  },
  {
    name: "ComponentManifest",
    schema: componentSchema,
    keys: {
      apiVersion: true,
      kind: true,
      id: true,
      desired_config: true,
      enabled: true,
      retry_policy: true,
      reconfigure: true,
      tags: true,
      groups: true,
      role: true,
      sub_role: true,
    } satisfies Keys<ComponentManifest>,
    required: { apiVersion: true, kind: true, id: true } satisfies Needed<ComponentManifest>,
  },
  {
    name: "SourceManifest",
    schema: sourceSchema,
    keys: {
      apiVersion: true,
      kind: true,
      name: true,
      description: true,
      clone_url: true,
      credentials: true,
      ca_cert: true,
    } satisfies Keys<SourceManifest>,
    required: { apiVersion: true, kind: true, name: true, clone_url: true } satisfies Needed<SourceManifest>,
  },
  {
    name: "SourceManifest.credentials",
    schema: sourceSchema.properties.credentials,
    keys: { authentication_method: true, secret_name: true } satisfies Keys<SourceCredentials>,
    required: { secret_name: true } satisfies Needed<SourceCredentials>,
  },
  {
    name: "SourceManifest.ca_cert",
    schema: sourceSchema.properties.ca_cert,
    keys: { configmap_name: true, configmap_namespace: true } satisfies Keys<SourceCaCert>,
    required: { configmap_name: true } satisfies Needed<SourceCaCert>,
  },
  {
    name: "OptionsManifest",
    schema: optionsSchema,
    keys: {
      apiVersion: true,
      kind: true,
      session_ttl: true,
      default_ansible_config: true,
      default_batcher_retry_policy: true,
      batch_size: true,
      batch_window: true,
      batcher_disable: true,
      batcher_max_backoff: true,
      debug_wait_time: true,
      max_concurrent_sessions: true,
      additional_inventory_url: true,
      additional_inventory_source: true,
    } satisfies Keys<OptionsManifest>,
    required: { apiVersion: true, kind: true } satisfies Needed<OptionsManifest>,
  },
];

const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

describe("the TypeScript manifest types and the JSON Schemas", () => {
  // A Session or Configuration manifest may leave out apiVersion and kind (and a configuration its
  // name and layers; a session may name its configuration in the create-request form), and may carry
  // the read-only fields of `describe`: parseManifest fills in the first and drops the others
  // (normalizeManifest).
  const inSchemaOnly = (name: string): string[] =>
    name === "SessionManifest"
      ? [...READ_ONLY_FIELDS.Session, ...Object.keys(SESSION_CREATE_FIELDS)]
      : name === "ConfigurationManifest"
        ? [...READ_ONLY_FIELDS.Configuration]
        : name === "SourceManifest"
          ? [...READ_ONLY_FIELDS.Source]
          : name === "SourceManifest.credentials"
            ? ["username", "password"]
            : name === "OptionsManifest"
              ? [...REFUSED_CFS_OPTIONS]
              : [];
  const filledIn = (name: string): string[] =>
    name === "SessionManifest"
      ? ["apiVersion", "kind", "configuration"]
      : name === "ConfigurationManifest"
        ? ["apiVersion", "kind", "name", "layers"]
        : name === "SourceManifest"
          ? ["apiVersion", "kind", "name"]
          : [];

  it.each(pairs.map((p) => [p.name, p] as const))("%s has the same fields in both", (name, pair) => {
    expect(sorted(Object.keys(pair.schema.properties))).toEqual(
      sorted([...Object.keys(pair.keys), ...inSchemaOnly(name)]),
    );
  });

  it.each(pairs.map((p) => [p.name, p] as const))("%s requires the same fields in both", (name, pair) => {
    expect(sorted([...(pair.schema.required ?? []), ...filledIn(name)])).toEqual(
      sorted(Object.keys(pair.required)),
    );
  });

  it("uses the kinds and the target definitions of src/api", () => {
    const kinds: Record<Kind, string> = {
      Session: "",
      Configuration: "",
      Component: "",
      Options: "",
      Source: "",
    };
    for (const kind of Object.keys(kinds) as Kind[]) {
      expect(MANIFEST_SCHEMAS[kind].properties).toMatchObject({
        kind: { const: kind },
        apiVersion: { const: API_VERSION },
      });
    }
    expect(sessionSchema.properties.target.properties.definition.enum).toEqual([...TARGET_DEFINITIONS]);
  });

  it("uses the limits and patterns of src/api/constants.ts", () => {
    const name = sessionSchema.properties.name;
    expect([name.pattern, name.maxLength]).toEqual([SESSION_NAME_PATTERN, MAX_SESSION_NAME]);
    expect(sessionSchema.properties.configuration.properties.name.maxLength).toBe(MAX_CONFIGURATION_NAME);
    expect(configurationSchema.properties.name.maxLength).toBe(MAX_CONFIGURATION_NAME);
    expect(configurationSchema.$defs.layer.properties.name.maxLength).toBe(MAX_LAYER_NAME);
    expect(configurationSchema.$defs.layer.properties.commit.pattern).toBe(COMMIT_PATTERN);
    expect(configurationSchema.$defs.layer.properties.clone_url.pattern).toBe(NO_SPACE_PATTERN);
    expect(sessionSchema.properties.ansible.properties.limit.pattern).toBe(NO_SPACE_PATTERN);
    expect(optionsSchema.properties.session_ttl.pattern).toBe(SESSION_TTL_PATTERN);
  });
});

/** Every object schema reachable through properties, items, $defs and map values, with its path. */
function objectSchemas(schema: unknown, path: string): Array<[string, Record<string, unknown>]> {
  if (schema === null || typeof schema !== "object") return [];
  const node = schema as Record<string, unknown>;
  const found: Array<[string, Record<string, unknown>]> = node.properties === undefined ? [] : [[path, node]];
  const children: Array<[string, unknown]> = [
    ...Object.entries((node.properties as Record<string, unknown> | undefined) ?? {}).map(
      ([k, v]) => [`${path}.${k}`, v] as [string, unknown],
    ),
    ...Object.entries((node.$defs as Record<string, unknown> | undefined) ?? {}).map(
      ([k, v]) => [`${path}.$defs.${k}`, v] as [string, unknown],
    ),
    [`${path}[]`, node.items],
    [`${path}.*`, typeof node.additionalProperties === "object" ? node.additionalProperties : undefined],
  ];
  return [...found, ...children.flatMap(([p, child]) => objectSchemas(child, p))];
}

describe("the JSON Schemas", () => {
  const files: Array<[string, Record<string, unknown>]> = [
    ["session.schema.json", sessionSchema],
    ["configuration.schema.json", configurationSchema],
    ["component.schema.json", componentSchema],
    ["options.schema.json", optionsSchema],
  ];

  it.each(files)("%s is draft 2020-12 with its own $id", (file, schema) => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(`https://cfs-gitops.dev/schemas/${file}`);
    expect(typeof schema.description).toBe("string");
  });

  it.each(files)("%s describes every property and allows no unknown field", (file, schema) => {
    const objects = objectSchemas(schema, file);
    expect(objects.length).toBeGreaterThan(0);
    for (const [path, object] of objects) {
      expect(object.additionalProperties, `${path}: additionalProperties`).toBe(false);
      for (const [key, property] of Object.entries(
        object.properties as Record<string, { description?: unknown }>,
      )) {
        expect(typeof property.description, `${path}.${key}: description`).toBe("string");
      }
      for (const key of (object.required as string[] | undefined) ?? []) {
        expect(Object.keys(object.properties as object), `${path}: required ${key}`).toContain(key);
      }
    }
  });

  it("has every pattern explained in words for the error messages", () => {
    const patterns = new Set<string>();
    const collect = (node: unknown): void => {
      if (node === null || typeof node !== "object") return;
      const pattern = (node as { pattern?: unknown }).pattern;
      if (typeof pattern === "string") patterns.add(pattern);
      Object.values(node).forEach(collect);
    };
    files.forEach(([, schema]) => collect(schema));
    expect(patterns.size).toBeGreaterThan(3);
    expect([...patterns].filter((p) => PATTERN_WORDS[p] === undefined)).toEqual([]);
  });

  it("describes the maps (tags), whose values are the only open-ended objects", () => {
    for (const schema of [sessionSchema, componentSchema]) {
      expect(schema.properties.tags.additionalProperties).toEqual({
        description: "A tag value.",
        type: "string",
      });
    }
  });
});
