import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ComponentRecord, OptionsManifest } from "../../../src/api/index.js";
import { newBatcherMemory, planBatches, type BatcherMemory } from "../../../src/plan/index.js";

const C = "c".repeat(40);
function component(id: string, extra: Partial<ComponentRecord> = {}): ComponentRecord {
  return {
    id,
    configuration_status: "pending",
    desired_config: "cfg",
    desired_state: [{ clone_url: "u", playbook: "site.yml", commit: C, status: "pending" }],
    enabled: true,
    error_count: 0,
    logs: "",
    retry_policy: 3,
    state: [],
    tags: {},
    ...extra,
  };
}
const options = (extra: Partial<OptionsManifest> = {}): OptionsManifest => ({
  apiVersion: "cfs-gitops/v1",
  kind: "Options",
  ...extra,
});
const T0 = Date.parse("2026-12-01T00:00:00Z");

function plan(
  components: ComponentRecord[],
  extra: {
    busy?: string[];
    opts?: Partial<OptionsManifest>;
    memory?: BatcherMemory;
    now?: number;
    finished?: boolean[];
  } = {},
) {
  return planBatches({
    components,
    busy: new Set(extra.busy ?? []),
    options: options(extra.opts),
    memory: extra.memory ?? newBatcherMemory(),
    finished: extra.finished ?? [],
    now: extra.now ?? T0,
  });
}

describe("planBatches", () => {
  it("starts a full batch at once and keeps the rest waiting for the window", () => {
    const ids = ["n1", "n2", "n3"];
    const out = plan(
      ids.map((id) => component(id)),
      { opts: { batch_size: 2, batch_window: 60 } },
    );
    expect(out.batches.map((b) => b.members)).toEqual([["n1", "n2"]]);
    expect(out.wakeAt).toBe(T0 + 60_000);
    const later = plan([component("n3")], {
      opts: { batch_size: 2, batch_window: 60 },
      memory: out.memory,
      now: T0 + 60_000,
    });
    expect(later.batches.map((b) => b.members)).toEqual([["n3"]]);
    expect(later.memory.waiting.size).toBe(0);
  });

  it("makes dynamic sessions limited to the members and their pending layers, tagged automatic", () => {
    const desired_state = [
      { clone_url: "u0", playbook: "site.yml", commit: C, status: "configured" as const },
      { clone_url: "u1", playbook: "site.yml", commit: C, status: "pending" as const },
    ];
    const out = plan(
      [
        component("b", { desired_state, tags: { bos_session: "x", rack: "1" } }),
        component("a", { desired_state, tags: { bos_session: "x", rack: "2" } }),
      ],
      { opts: { batch_window: 0 } },
    );
    const [batch] = out.batches;
    expect(batch?.name).toMatch(/^batcher-[0-9a-f]{16}$/);
    expect(batch?.manifest).toMatchObject({
      configuration: { name: "cfg", limit: "1" },
      ansible: { limit: "a,b" },
      target: { definition: "dynamic" },
      tags: { bos_session: "x", cfs_gitops_automatic: "batcher" },
    });
    expect(batch?.manifest.tags).not.toHaveProperty("rack");
  });

  it("leaves out disabled, busy and not pending components, and separates batch keys", () => {
    const out = plan(
      [
        component("off", { enabled: false }),
        component("busy"),
        component("done", { configuration_status: "configured" }),
        component("failed", { configuration_status: "failed" }),
        component("retry", {
          state: [
            {
              clone_url: "u",
              playbook: "site.yml",
              commit: C,
              status: "failed",
              last_updated: "t",
              session_name: "s",
            },
          ],
        }),
        component("new"),
        component("other", { desired_config: "cfg2" }),
      ],
      { busy: ["busy"], opts: { batch_window: 0 } },
    );
    expect(out.batches.map((b) => b.members).sort()).toEqual([["new"], ["other"], ["retry"]]);
  });

  it("starts nothing with batcher_disable", () => {
    expect(plan([component("a")], { opts: { batcher_disable: true, batch_window: 0 } }).batches).toEqual([]);
  });

  it("backs off after 20 failed sessions in a row: 60 s, then doubling, capped by batcher_max_backoff", () => {
    const failures = Array.from({ length: 20 }, () => false);
    const first = plan([component("a")], {
      opts: { batch_window: 0, batcher_max_backoff: 100 },
      finished: failures,
    });
    expect(first.batches).toEqual([]);
    expect(first.memory.backoffSeconds).toBe(60);
    expect(first.wakeAt).toBe(T0 + 60_000);
    const second = plan([component("a")], {
      opts: { batch_window: 0, batcher_max_backoff: 100 },
      memory: first.memory,
      finished: [false],
      now: T0 + 60_000,
    });
    expect(second.memory.backoffSeconds).toBe(100);
    const ok = plan([component("a")], {
      opts: { batch_window: 0 },
      memory: second.memory,
      finished: [true],
      now: T0 + 61_000,
    });
    expect(ok.memory.backoffSeconds).toBe(0);
    expect(ok.batches).toHaveLength(1);
  });

  it("never batches a component twice, never exceeds batch_size, and batches every eligible one once due", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cfg: fc.constantFrom("a", "b"), enabled: fc.boolean(), busy: fc.boolean() }), {
          maxLength: 60,
        }),
        fc.integer({ min: 1, max: 10 }),
        (specs, size) => {
          const components = specs.map((s, i) =>
            component(`n${i}`, { desired_config: s.cfg, enabled: s.enabled }),
          );
          const busy = specs.flatMap((s, i) => (s.busy ? [`n${i}`] : []));
          const out = plan(components, { busy, opts: { batch_size: size, batch_window: 0 } });
          const members = out.batches.flatMap((b) => b.members);
          expect(new Set(members).size).toBe(members.length);
          for (const batch of out.batches) expect(batch.members.length).toBeLessThanOrEqual(size);
          const eligible = specs.filter((s) => s.enabled && !s.busy).length;
          expect(members).toHaveLength(eligible);
          expect(new Set(out.batches.map((b) => b.name)).size).toBe(out.batches.length);
        },
      ),
    );
  });
});
