import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath, type SessionStatus } from "../../../src/api/index.js";
import { readCacheFile, writeCacheFile } from "../../../src/cli/cache-file.js";
import { rowsFromJson, rowsToJson } from "../../../src/cli/list-rows.js";
import { hashBlob } from "../../../src/git/fast-import.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

const NAMES = ["s-a", "s-b", "s-c", "s-d", "s-e"];
const FORMATS = [["-o", "json"], ["-o", "wide"], ["-o", "yaml"], ["--status", "invalid"], []];

/** One change someone makes: to the watched branch (a person) or to the status branch (the controller). */
type Edit =
  | { kind: "manifest"; name: string; variant: "valid" | "tagged" | "broken" | "unknown-config" }
  | { kind: "delete-manifest"; name: string }
  | { kind: "record"; name: string; status: SessionStatus; matches: boolean }
  | { kind: "delete-record"; name: string }
  | { kind: "expire"; name: string }
  | { kind: "damage-record"; name: string }
  | { kind: "problem"; name: string };

const name = fc.constantFrom(...NAMES);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant("manifest" as const),
    name,
    variant: fc.constantFrom(
      "valid" as const,
      "tagged" as const,
      "broken" as const,
      "unknown-config" as const,
    ),
  }),
  fc.record({ kind: fc.constant("delete-manifest" as const), name }),
  fc.record({
    kind: fc.constant("record" as const),
    name,
    status: fc.constantFrom<SessionStatus>("pending", "running", "complete"),
    matches: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("delete-record" as const), name }),
  fc.record({ kind: fc.constant("expire" as const), name }),
  fc.record({ kind: fc.constant("damage-record" as const), name }),
  fc.record({ kind: fc.constant("problem" as const), name }),
);

function manifestText(n: string, variant: string): string {
  if (variant === "broken") return `name: ${n}\nconfiguration: [\n`;
  if (variant === "tagged") return sessionManifest(n, "tags:\n  team: a\n");
  if (variant === "unknown-config") return sessionManifest(n).replace("name: site", "name: gone");
  return sessionManifest(n);
}

let repo: CliRepo;
/** The current text of each session manifest (what a record that "matches" was run from). */
const texts = new Map<string, string>();

beforeAll(async () => {
  const seed = Object.fromEntries(NAMES.slice(0, 3).map((n) => [`sessions/${n}.yaml`, sessionManifest(n)]));
  for (const [path, text] of Object.entries(seed)) texts.set(path.slice(9, -5), text);
  repo = await startCliRepo(seed);
  await repo.writeStatus({
    [sessionRecordPath("s-a")]: sessionRecord({ name: "s-a", status: "complete", text: texts.get("s-a")! }),
  });
}, 60_000);

afterAll(async () => {
  await repo.close();
});

async function apply(edits: readonly Edit[]): Promise<void> {
  const before = new Map(texts);
  const status: Record<string, unknown> = {};
  for (const e of edits) {
    const path = `sessions/${e.name}.yaml`;
    if (e.kind === "manifest") {
      const text = manifestText(e.name, e.variant);
      texts.set(e.name, text);
    } else if (e.kind === "delete-manifest") {
      texts.delete(e.name);
    } else if (e.kind === "record") {
      const text = e.matches ? (texts.get(e.name) ?? `name: ${e.name}\n`) : `name: ${e.name}\nold: 1\n`;
      status[sessionRecordPath(e.name)] = sessionRecord({ name: e.name, status: e.status, text });
    } else if (e.kind === "delete-record") {
      status[sessionRecordPath(e.name)] = null;
    } else if (e.kind === "expire") {
      const blob = hashBlob(Buffer.from(texts.get(e.name) ?? ""));
      status[`expired/${e.name}.json`] = { name: e.name, path, blob, expired_at: "2026-11-20T00:00:00Z" };
    } else if (e.kind === "damage-record") {
      status[sessionRecordPath(e.name)] = "{ damaged";
    } else {
      const blob = texts.has(e.name) ? hashBlob(Buffer.from(texts.get(e.name)!)) : null;
      const errors = [{ line: 1, column: 1, code: "immutable", message: "edited after it ran" }];
      status[`problems/${path}.json`] = { path, commit: "0".repeat(40), blob, errors };
    }
  }
  // The manifests that differ after the edits (an unchanged file makes no commit).
  const pushed: Record<string, string | null> = {};
  for (const n of NAMES)
    if (before.get(n) !== texts.get(n)) pushed[`sessions/${n}.yaml`] = texts.get(n) ?? null;
  if (Object.keys(pushed).length > 0) await repo.push(pushed);
  if (Object.keys(status).length > 0) await repo.writeStatus(status);
}

/** `sessions list` on the local bare repository, with or without the cache. */
async function list(
  args: string[],
  cache: boolean,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {
    CFS_GITOPS_REPO: repo.bare,
    ...(cache ? {} : { CFS_GITOPS_LIST_CACHE: "off" }),
  };
  return repo.run(["sessions", "list", ...args], { env });
}

async function expectSameAnswers(): Promise<void> {
  for (const args of FORMATS) {
    const without = await list(args, false);
    const cached = await list(args, true);
    expect({ args, ...cached }).toEqual({ args, ...without });
  }
  // describe answered before the parser loads (quick.ts) and through it: the same, errors too.
  for (const args of [...NAMES.map((n) => [n]), ["s-a", "-o", "yaml"], ["nope"]]) {
    const env = { CFS_GITOPS_REPO: repo.bare };
    const quick = await repo.run(["sessions", "describe", ...args], { env });
    const parsed = await repo.run(["sessions", "describe", ...args], {
      env: { ...env, CFS_GITOPS_QUICK: "off" },
    });
    expect({ args, ...quick }).toEqual({ args, ...parsed });
  }
}

/** True when `file` is a cache file that checks (header, length, checksum). */
async function isWholeCache(file: string): Promise<boolean> {
  const text = readFileSync(file, "utf8");
  const header = JSON.parse(text.slice(0, text.indexOf("\n"))) as { format: string };
  return (await readCacheFile(file, header.format)) !== null;
}

/** The one cache file whose name ends so (`.json`: the listing's state). */
function cacheFile(ending: string): string {
  const found = cacheFiles().filter((file) => /\/sessions-[^.]*(\..*)$/.exec(file)?.[1] === ending);
  expect(found).toHaveLength(1);
  return found[0]!;
}

function cacheFiles(): string[] {
  const dir = join(repo.bare, "cfs-gitops");
  return readdirSync(dir).map((file) => join(dir, file));
}

describe("sessions list through its cache in the git directory", () => {
  it("prints byte for byte what reading every record and manifest prints, through random edits", async () => {
    await expectSameAnswers();
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
        await apply(edits);
        await expectSameAnswers();
      }),
      { numRuns: 12 },
    );
    const kinds = cacheFiles().map((file) => file.replace(/.*\/sessions-[^.]*/, ""));
    expect(kinds.sort()).toEqual([".json", ".rows.json", ".table.json"]);
  }, 600_000);

  /** Reads a cache file, changes its body, and writes it back whole (right header and checksum). */
  async function doctor(file: string, change: (body: Record<string, unknown>) => unknown): Promise<void> {
    const text = readFileSync(file, "utf8");
    const header = JSON.parse(text.slice(0, text.indexOf("\n"))) as { format: string };
    const body = (await readCacheFile(file, header.format)) as Record<string, unknown>;
    await writeCacheFile({ file, format: header.format, value: change(body) });
  }

  /** A session listed for certain: the random edits above may have removed every one. */
  async function addListed(name: string): Promise<void> {
    await repo.push({ [`sessions/${name}.yaml`]: sessionManifest(name) });
    texts.set(name, sessionManifest(name));
  }

  it("answers a wide table or names from the rows of the last answer alone while neither branch moves", async () => {
    await addListed("s-u");
    await list(["-o", "wide"], true);
    rmSync(cacheFile(".json")); // not read: the rows file answers
    await doctor(cacheFile(".rows.json"), (body) => {
      const decoded = rowsFromJson(body["rows"])!;
      decoded[0]!.configuration = "configuration-only-in-the-rows-file";
      return { ...body, rows: rowsToJson(decoded) };
    });
    expect((await list(["-o", "wide"], true)).stdout).toContain("configuration-only-in-the-rows-file");
    await repo.push({ "sessions/s-x.yaml": sessionManifest("s-x") }); // the watched tip moves: computed again
    texts.set("s-x", sessionManifest("s-x"));
    const again = await list(["-o", "wide"], true);
    expect(again.stdout).not.toContain("configuration-only-in-the-rows-file");
    expect(again).toEqual(await list(["-o", "wide"], false));
  }, 120_000);

  it("answers a bare list from the table's template alone while neither branch moves", async () => {
    await addListed("s-t");
    await list([], true);
    for (const file of cacheFiles()) if (!file.endsWith(".table.json")) rmSync(file);
    await doctor(cacheFile(".table.json"), (body) => {
      // The first line's cells after AGE: from its mark to the end of the line.
      const template = body["template"] as { text: string };
      const mark = template.text.indexOf("\u0001");
      const end = template.text.indexOf("\n", mark);
      template.text = `${template.text.slice(0, mark + 1)}layers-only-in-the-template${template.text.slice(end)}`;
      return body;
    });
    expect((await list([], true)).stdout).toContain("layers-only-in-the-template");
    expect((await list(["-o", "wide"], true)).stdout).not.toContain("layers-only-in-the-template");
    await repo.push({ "sessions/s-z.yaml": sessionManifest("s-z") }); // the watched tip moves
    texts.set("s-z", sessionManifest("s-z"));
    const again = await list([], true);
    expect(again.stdout).not.toContain("layers-only-in-the-template");
    expect(again).toEqual(await list([], false));
  }, 120_000);

  it.each([
    ["state", ["-o", "json"]],
    ["rows", ["-o", "wide"]],
    ["table", []],
  ])(
    "rebuilds a truncated, damaged or foreign %s cache file and still answers right",
    async (kind, args) => {
      const expected = await list(args, false);
      await list(args, true);
      const file = cacheFile(kind === "state" ? ".json" : `.${kind}.json`);
      const whole = readFileSync(file);
      const flipped = Buffer.from(whole);
      const middle = Math.floor(whole.length / 2);
      flipped.writeUInt8(flipped.readUInt8(middle) ^ 1, middle);
      const damaged = [
        whole.subarray(0, Math.floor(whole.length / 2)),
        flipped,
        Buffer.from("not a cache\n{}"),
        Buffer.alloc(0),
      ];
      for (const bytes of damaged) {
        writeFileSync(file, bytes);
        expect(await list(args, true)).toEqual(expected);
        expect(await isWholeCache(file)).toBe(true); // rebuilt and written again
      }
    },
    120_000,
  );

  it("brings the rows forward when only records changed since (the state is not read)", async () => {
    await list(["-o", "wide"], true);
    rmSync(cacheFile(".json")); // the listing's state: not needed to bring rows forward
    const name = texts.has("s-b") ? "s-b" : "s-a";
    const text = texts.get(name) ?? `name: ${name}\n`;
    await repo.writeStatus({ [sessionRecordPath(name)]: sessionRecord({ name, status: "running", text }) });
    const forwarded = await list(["-o", "wide"], true);
    expect(cacheFiles().some((file) => file.endsWith(".rows.json"))).toBe(true);
    expect(cacheFiles().filter((file) => /\/sessions-[^.]*\.json$/.test(file))).toEqual([]); // not rebuilt
    expect(forwarded).toEqual(await list(["-o", "wide"], false));
    await repo.push({ "sessions/s-y.yaml": sessionManifest("s-y") }); // the watched branch moves
    texts.set("s-y", sessionManifest("s-y"));
    expect(await list(["-o", "wide"], true)).toEqual(await list(["-o", "wide"], false));
    expect(cacheFiles().filter((file) => /\/sessions-[^.]*\.json$/.test(file))).toHaveLength(1); // computed anew
  }, 120_000);

  it("reads the tips from packed refs as from loose ones (git pack-refs, as gc does)", async () => {
    await list([], true);
    await repo.git(["pack-refs", "--all", "--prune"]);
    expect(existsSync(join(repo.bare, "refs", "heads", "main"))).toBe(false);
    await doctor(cacheFile(".table.json"), (body) => {
      const template = body["template"] as { header: [string, string] };
      template.header[1] = "LAYERS-ONLY-IN-THE-TEMPLATE";
      return body;
    });
    expect((await list([], true)).stdout).toContain("LAYERS-ONLY-IN-THE-TEMPLATE"); // packed tips matched
    await repo.writeStatus({ "notes/packed.txt": "x" }); // a loose ref again, newer than the packed one
    const again = await list([], true);
    expect(again.stdout).not.toContain("LAYERS-ONLY-IN-THE-TEMPLATE");
    expect(again).toEqual(await list([], false));
  }, 120_000);

  it("rebuilds when the tip it was built from is gone (status branch rewritten, old commits pruned)", async () => {
    await list([], true);
    const old = (await repo.git(["rev-parse", "cfs-status"])).trim();
    await repo.git(["update-ref", "-d", "refs/heads/cfs-status"]);
    await repo.writeStatus({
      [sessionRecordPath("s-b")]: sessionRecord({
        name: "s-b",
        status: "running",
        text: texts.get("s-b") ?? "x",
      }),
    });
    await repo.git(["gc", "--quiet", "--prune=now"]);
    await expect(repo.git(["cat-file", "-e", old])).rejects.toThrow();
    await expectSameAnswers();
  }, 120_000);
});
