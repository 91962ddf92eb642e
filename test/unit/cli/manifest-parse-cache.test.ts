import { describe, expect, it } from "vitest";
import { ManifestParseCache, type CachedManifest } from "../../../src/cli/manifest-parse-cache.js";
import { readManifestTree } from "../../../src/cli/repo-tree.js";
import type { BlobRead, ChangedFile, ConfigSource } from "../../../src/git/types.js";

const CONFIG = (layer: string) => `apiVersion: cfs-gitops/v1
kind: Configuration
name: site
layers:
  - name: ${layer}
    clone_url: https://git.example.org/site/base.git
    commit: aaaa111111111111111111111111111111111111
    playbook: site.yml
`;

/** A repository in memory: one commit's files (blob id -> text), recording every blob read. */
function memorySource(files: Record<string, { blob: string; text: string }>) {
  const reads: string[][] = [];
  const source: Pick<ConfigSource, "diff" | "readBlobs"> = {
    diff: (): Promise<ChangedFile[]> =>
      Promise.resolve(
        Object.entries(files).map(([path, f]) => ({
          path,
          status: "added",
          oid: f.blob,
          oldOid: null,
          mode: "100644",
        })),
      ),
    readBlobs: (oids) => {
      reads.push([...oids]);
      const byBlob = new Map(Object.values(files).map((f) => [f.blob, f.text]));
      return Promise.resolve(
        new Map(
          oids.map((oid): [string, BlobRead] => {
            const data = Buffer.from(byBlob.get(oid) ?? "");
            return [oid, { oid, size: data.length, data }];
          }),
        ),
      );
    },
  };
  return { source, reads, files };
}

function entry(text: string): CachedManifest {
  return { text, parsed: { ok: false, kind: null, name: null, errors: [] } as never };
}

describe("readManifestTree with a parse cache", () => {
  it("reuses the parse of a blob it has seen, and reads and parses only a changed one", async () => {
    const cache = new ManifestParseCache();
    const repo = memorySource({
      "configurations/site.yaml": { blob: "b1", text: CONFIG("base") },
      "sessions/s.yaml": { blob: "s1", text: "name: s\nconfiguration_name: site\n" },
    });
    const first = await readManifestTree({ source: repo.source, commit: "c1", cache });
    expect(repo.reads).toEqual([["b1", "s1"]]);
    expect(first.desired.configurations.get("site")?.layers[0]?.name).toBe("base");

    const second = await readManifestTree({ source: repo.source, commit: "c2", cache });
    expect(repo.reads[1]).toEqual([]);
    expect(second.files.map((f) => f.parsed)).toEqual(first.files.map((f) => f.parsed));
    expect(second.files[0]!.parsed).toBe(first.files[0]!.parsed);
    expect(second.texts).toEqual(first.texts);

    repo.files["configurations/site.yaml"] = { blob: "b2", text: CONFIG("other") };
    const third = await readManifestTree({ source: repo.source, commit: "c3", cache });
    expect(repo.reads[2]).toEqual(["b2"]);
    expect(third.desired.configurations.get("site")?.layers[0]?.name).toBe("other");
    expect(third.files[1]!.parsed).toBe(first.files[1]!.parsed);
  });

  it("parses the same blob again at another path (the path decides the kind and the name)", async () => {
    const cache = new ManifestParseCache();
    const text = CONFIG("base");
    const repo = memorySource({ "configurations/site.yaml": { blob: "b1", text } });
    await readManifestTree({ source: repo.source, commit: "c1", cache });
    delete repo.files["configurations/site.yaml"];
    repo.files["configurations/other.yaml"] = { blob: "b1", text };
    const moved = await readManifestTree({ source: repo.source, commit: "c2", cache });
    expect(repo.reads[1]).toEqual(["b1"]);
    expect(moved.desired.configurations.size).toBe(0);
    expect(moved.desired.problems.has("configurations/other.yaml")).toBe(true);
  });
});

describe("ManifestParseCache", () => {
  it("keeps at most maxEntries, dropping the least recently used", () => {
    const cache = new ManifestParseCache({ maxEntries: 2 });
    const key = (blob: string) => ({ blob, path: `sessions/${blob}.yaml`, mode: "100644" });
    cache.set(key("a"), entry("a"));
    cache.set(key("b"), entry("b"));
    expect(cache.get(key("a"))?.text).toBe("a"); // a is now the most recently used
    cache.set(key("c"), entry("c"));
    expect(cache.size).toBe(2);
    expect(cache.get(key("b"))).toBeUndefined();
    expect(cache.get(key("a"))?.text).toBe("a");
    expect(cache.get(key("c"))?.text).toBe("c");
  });

  it("keeps at most maxTextChars of text, and never an entry larger than that", () => {
    const cache = new ManifestParseCache({ maxTextChars: 10 });
    const key = (blob: string) => ({ blob, path: `sessions/${blob}.yaml`, mode: "100644" });
    cache.set(key("a"), entry("aaaaaa"));
    cache.set(key("b"), entry("bbbbbb"));
    expect(cache.size).toBe(1);
    expect(cache.get(key("a"))).toBeUndefined();
    cache.set(key("big"), entry("x".repeat(11)));
    expect(cache.get(key("big"))).toBeUndefined();
    expect(cache.get(key("b"))?.text).toBe("bbbbbb");
    cache.set(key("b"), entry("bbbb")); // replacing an entry counts its text once
    cache.set(key("c"), entry("cccccc"));
    expect(cache.size).toBe(2);
  });
});
