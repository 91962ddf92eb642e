import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { withoutManagedFields } from "../../../../src/runners/kubernetes/managed-fields.js";

/** The value with every `managedFields` member removed, at any depth. */
function dropped(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropped);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "managedFields")
      .map(([key, item]) => [key, dropped(item)]),
  );
}

/** What JSON keeps of a value (-0 is written 0). */
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Strings that look like the key from inside a string: quotes, backslashes, the key's text. */
const tricky = fc.constantFrom(
  '"managedFields":',
  '\\"managedFields\\":[',
  "\\",
  '\\\\"',
  '"managedFields":[{"a":"]"}]',
  "}]",
  ",",
);
const text = fc.oneof(
  fc.string(),
  tricky,
  fc.array(tricky).map((parts) => parts.join("")),
);
const key = fc.oneof(fc.constant("managedFields"), fc.string(), tricky);
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.oneof(
      text,
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    ),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 5 }),
  ),
}));

describe("withoutManagedFields", () => {
  it("cuts the managedFields of compact JSON and nothing else", () => {
    fc.assert(
      fc.property(json.value, (value) => {
        const cut = withoutManagedFields(JSON.stringify(value));
        expect(JSON.parse(cut)).toEqual(asJson(dropped(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it("cuts them from indented JSON too, commas and all", () => {
    fc.assert(
      fc.property(json.value, (value) => {
        const cut = withoutManagedFields(JSON.stringify(value, null, 2));
        expect(JSON.parse(cut)).toEqual(asJson(dropped(value)));
      }),
      { numRuns: 1000 },
    );
  });

  it("cuts an API object's managedFields wherever the member stands", () => {
    const fields = [{ manager: "cfs-gitops", fieldsV1: { "f:metadata": { 'k:{"name":"x"}': {} } } }];
    const job = { kind: "Job", metadata: { name: "a", managedFields: fields, uid: "u" }, spec: {} };
    expect(withoutManagedFields(JSON.stringify(job))).toBe(
      '{"kind":"Job","metadata":{"name":"a","uid":"u"},"spec":{}}',
    );
    const first = { metadata: { managedFields: fields, name: "a" } };
    expect(withoutManagedFields(JSON.stringify(first))).toBe('{"metadata":{"name":"a"}}');
    const only = { metadata: { managedFields: fields } };
    expect(withoutManagedFields(JSON.stringify(only))).toBe('{"metadata":{}}');
    const list = { items: [job, job] };
    expect(JSON.parse(withoutManagedFields(JSON.stringify(list)))).toEqual(dropped(list));
  });

  it("returns text that is no JSON as it is, for JSON.parse to refuse", () => {
    const broken = [
      '{"managedFields":',
      '{"managedFields":[{"a":"b]',
      '{"managedFields":}',
      '{"managedFields": ,"a":1}',
      "{",
    ];
    for (const text of broken) expect(withoutManagedFields(text)).toBe(text);
  });

  it("cuts each of several objects' managedFields, as in a list page", () => {
    const item = (name: string) => ({
      metadata: { name, managedFields: [{ manager: name }] },
      spec: { x: [1, "}"] },
    });
    const page = { items: [item("a"), item("b"), item("c")], metadata: { continue: "" } };
    expect(JSON.parse(withoutManagedFields(JSON.stringify(page)))).toEqual(dropped(page));
  });

  it("leaves a managedFields member written with a space before its colon, for JSON.parse to read whole", () => {
    const text = '{"managedFields" :[1],"a":1}';
    expect(withoutManagedFields(text)).toBe(text);
  });
});
