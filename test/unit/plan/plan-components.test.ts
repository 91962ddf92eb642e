import { describe, expect, it } from "vitest";
import type {
  ComponentManifest,
  ComponentRecord,
  ResolvedConfiguration,
  ConfigurationRecord,
  LayerStatus,
  RunObservation,
  SessionRecord,
} from "../../../src/api/index.js";
import {
  planWithComponents,
  type BatcherMemory,
  type ComponentBase,
  type DesiredState,
  type ComponentPlanOutput,
  type RepoFile,
} from "../../../src/plan/index.js";
import { commitOutcome } from "../../../src/forge/index.js";
import { COMMIT, configurationFile, desiredOf, observation } from "./fixtures.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const T0 = new Date("2026-12-01T00:00:00Z");

function config(name: string, commit: string): ResolvedConfiguration {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Configuration",
    name,
    layers: [
      { name: "l0", clone_url: "https://git.example.org/l0.git", commit, playbook: "site.yml" },
      { name: "l1", clone_url: "https://git.example.org/l1.git", commit, playbook: "site.yml" },
    ],
  };
}
function componentFile(id: string, extra: Partial<ComponentManifest> = {}): RepoFile {
  const manifest: ComponentManifest = { apiVersion: "cfs-gitops/v1", kind: "Component", id, ...extra };
  return {
    path: `components/${id}.yaml`,
    blob: `b-${id}`,
    commit: COMMIT,
    parsed: { ok: true, kind: "Component", name: id, manifest },
  };
}
const optionsFile = (extra: object): RepoFile => ({
  path: "cfs.yaml",
  blob: "b-opts",
  commit: COMMIT,
  parsed: {
    ok: true,
    kind: "Options",
    name: "cfs",
    manifest: { apiVersion: "cfs-gitops/v1", kind: "Options", ...extra },
  },
});

/** The status branch as the tests carry it from pass to pass, and the planner's base with its version. */
interface World {
  sessions: Map<string, SessionRecord>;
  components: Map<string, ComponentRecord>;
  configurations: Map<string, ConfigurationRecord>;
  reconfigure: Map<string, number>;
  batcher?: BatcherMemory;
  base?: ComponentBase;
  version: number;
}
const emptyWorld = (): World => ({
  sessions: new Map(),
  components: new Map(),
  configurations: new Map(),
  reconfigure: new Map(),
  version: 0,
});

/** One desired state per files array, as the controller keeps one per source version. */
const desiredOfFiles = new WeakMap<RepoFile[], DesiredState>();
function desiredFor(files: RepoFile[]): DesiredState {
  let desired = desiredOfFiles.get(files);
  if (!desired) {
    desired = desiredOf(files);
    desiredOfFiles.set(files, desired);
  }
  return desired;
}

/**
 * Plans a pass twice, from scratch and with the base of the previous pass (as the controller does),
 * checks both plan the same, and applies the changes to the world.
 */
function pass(
  world: World,
  files: RepoFile[],
  observed: RunObservation[] = [],
  now = T0,
): ComponentPlanOutput {
  const input = {
    desired: desiredFor(files),
    recorded: { sessions: world.sessions, problems: new Map(), expired: new Map() },
    observed: new Map(observed.map((o) => [o.name, o])),
    now,
    components: world.components,
    configurationRecords: world.configurations,
    resolved: new Map(),
    reconfigureSeen: world.reconfigure,
    ...(world.batcher ? { batcher: world.batcher } : {}),
  };
  const fresh = planWithComponents(input);
  const out = planWithComponents({ ...input, base: world.base ?? null, componentsVersion: world.version });
  expect({ ...out, base: null }).toEqual({ ...fresh, base: null });
  world.base = out.base;
  if (out.components.size + out.configurations.size + out.reconfigure.size > 0) world.version += 1;
  apply(world.sessions, out.plan.sessions);
  apply(world.components, out.components);
  apply(world.configurations, out.configurations);
  apply(world.reconfigure, out.reconfigure);
  world.batcher = out.batcher;
  return out;
}

function apply<T>(into: Map<string, T>, changes: Map<string, T | null>): void {
  for (const [key, value] of changes) {
    if (value === null) into.delete(key);
    else into.set(key, value);
  }
}

function layer(
  index: number,
  status: "succeeded" | "failed",
  hosts: string[],
  failed: string[] = [],
): LayerStatus {
  const counts = { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
  return {
    index,
    name: `l${index}`,
    clone_url: `https://git.example.org/l${index}.git`,
    commit: A,
    branch: null,
    playbook: "site.yml",
    status,
    exit_code: status === "succeeded" ? 0 : 2,
    recap: Object.fromEntries(hosts.map((h) => [h, { ...counts, failed: failed.includes(h) ? 1 : 0 }])),
    failed_hosts: failed,
    unreachable_hosts: [],
  };
}

function completed(
  record: SessionRecord,
  layers: LayerStatus[],
  succeeded: "true" | "false",
): RunObservation {
  return observation(record.name, record.status.session.job ?? "", {
    phase: "complete",
    succeeded,
    completionTime: "2026-12-01T00:01:00Z",
    layers,
  });
}

/** The batcher session of the world that is not complete. */
const running = (world: World, member?: string): SessionRecord | undefined =>
  [...world.sessions.values()].find(
    (s) =>
      s.name.startsWith("batcher-") &&
      s.status.session.status !== "complete" &&
      (member === undefined || (s.ansible.limit ?? "").split(",").includes(member)),
  );

const statuses = (world: World): Record<string, string> =>
  Object.fromEntries([...world.components].map(([id, c]) => [id, c.configuration_status]));

describe("planWithComponents", () => {
  const base = [configurationFile(config("cfg", A)), optionsFile({ batch_window: 0 })];

  it("batches pending components into one session and records them configured when it succeeds", () => {
    const world = emptyWorld();
    const files = [
      ...base,
      componentFile("n1", { desired_config: "cfg" }),
      componentFile("n2", { desired_config: "cfg" }),
    ];
    const first = pass(world, files);
    expect(statuses(world)).toEqual({ n1: "pending", n2: "pending" });
    expect(first.plan.actions).toHaveLength(1);
    const [session] = [...first.plan.sessions.values()];
    expect(session?.name).toMatch(/^batcher-/);
    expect(session?.ansible.limit).toBe("n1,n2");
    expect(session?.status.source.batch).toEqual({
      components: ["n1", "n2"],
      configuration: "cfg",
      commits: [A, A],
    });
    // members are busy while it runs: the only action is starting that same session again (it was never observed)
    expect(pass(world, files).plan.actions.map((a) => (a.type === "start" ? a.spec.name : a.name))).toEqual([
      session?.name,
    ]);
    const done = pass(world, files, [
      completed(session!, [layer(0, "succeeded", ["n1", "n2"]), layer(1, "succeeded", ["n1", "n2"])], "true"),
    ]);
    expect(statuses(world)).toEqual({ n1: "configured", n2: "configured" });
    expect(world.components.get("n1")?.state.map((s) => [s.status, s.session_name])).toEqual([
      ["applied", session!.name],
      ["applied", session!.name],
    ]);
    expect(done.components.size).toBe(2);
    expect(pass(world, files).components.size).toBe(0); // nothing more to write
  });

  it("retries only the failed host, and marks it failed once its retries are used up", () => {
    const world = emptyWorld();
    const files = [
      ...base,
      componentFile("good", { desired_config: "cfg" }),
      componentFile("bad", { desired_config: "cfg", retry_policy: 2 }),
    ];
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (attempt === 1) pass(world, files);
      const session = running(world, "bad");
      expect(session?.ansible.limit).toBe(attempt === 1 ? "bad,good" : "bad");
      const layers =
        attempt === 1
          ? [layer(0, "failed", ["bad", "good"], ["bad"])]
          : [layer(0, "failed", ["bad"], ["bad"])];
      pass(world, files, [completed(session!, layers, "false")]);
      expect(world.components.get("bad")?.error_count).toBe(attempt);
    }
    expect(world.components.get("bad")?.configuration_status).toBe("failed");
    // good applied layer 0 but layer 1 never ran (the session stopped): it is batched again for layer 1 only.
    expect(world.components.get("good")?.configuration_status).toBe("pending");
    const again = running(world, "good");
    expect(again?.ansible.limit).toBe("good");
    expect(again?.configuration.limit).toBe("1");
  });

  it("makes components pending again when desired_config changes, and resets error_count", () => {
    const world = emptyWorld();
    const files = [
      ...base,
      configurationFile(config("old", B)),
      componentFile("n1", { desired_config: "cfg" }),
    ];
    const first = pass(world, files);
    const [session] = [...first.plan.sessions.values()];
    pass(world, files, [completed(session!, [layer(0, "failed", ["n1"], ["n1"])], "false")]);
    expect(world.components.get("n1")?.error_count).toBe(1);
    const moved = [
      ...base,
      configurationFile(config("old", B)),
      componentFile("n1", { desired_config: "old" }),
    ];
    pass(world, moved);
    expect(world.components.get("n1")).toMatchObject({
      desired_config: "old",
      error_count: 0,
      configuration_status: "pending",
    });
    // n1 stays in its running retry of "cfg" until it ends (as cfs-batcher), then is batched for "old".
    const retry = running(world, "n1");
    expect(retry?.configuration.name).toBe("cfg");
    pass(world, moved, [
      completed(retry!, [layer(0, "succeeded", ["n1"]), layer(1, "succeeded", ["n1"])], "true"),
    ]);
    expect(world.components.get("n1")?.configuration_status).toBe("pending");
    expect(running(world, "n1")?.configuration.name).toBe("old");
  });

  it("reconfigures a configured component when its reconfigure counter is raised", () => {
    const world = emptyWorld();
    const files = [...base, componentFile("n1", { desired_config: "cfg", reconfigure: 4 })];
    pass(world, files);
    expect(world.reconfigure.get("n1")).toBe(4); // first seen: only noted
    const session = running(world, "n1");
    const ok = [layer(0, "succeeded", ["n1"]), layer(1, "succeeded", ["n1"])];
    pass(world, files, [completed(session!, ok, "true")]);
    expect(statuses(world)).toEqual({ n1: "configured" });
    expect(pass(world, files).plan.actions).toEqual([]);
    const raised = [...base, componentFile("n1", { desired_config: "cfg", reconfigure: 5 })];
    const out = pass(world, raised);
    expect(world.components.get("n1")).toMatchObject({
      state: [],
      error_count: 0,
      configuration_status: "pending",
    });
    expect(out.reconfigure.get("n1")).toBe(5);
    expect(running(world, "n1")?.configuration.limit).toBe("0,1");
    expect(pass(world, raised).reconfigure.size).toBe(0);
  });

  it("keeps the record of a component whose file became invalid, and deletes it once the file is removed", () => {
    const world = emptyWorld();
    pass(world, [...base, componentFile("n1", { desired_config: "cfg" })]);
    const broken: RepoFile = {
      path: "components/n1.yaml",
      blob: "b-broken",
      commit: COMMIT,
      parsed: {
        ok: false,
        kind: "Component",
        name: null,
        errors: [{ line: 1, column: 1, code: "yaml", message: "bad" }],
      },
    };
    expect(pass(world, [...base, broken]).components.size).toBe(0);
    expect(world.components.has("n1")).toBe(true);
    expect(pass(world, base).components).toEqual(new Map([["n1", null]]));
  });

  it("does not record state for a session with ansible.passthrough, as CFS", () => {
    const world = emptyWorld();
    const files = [...base, componentFile("n1", { desired_config: "" })];
    pass(world, files);
    const record: SessionRecord = {
      ansible: { config: "c", limit: null, passthrough: "-e x=1", verbosity: 0 },
      configuration: { limit: "", name: "cfg" },
      debug_on_failure: false,
      logs: "",
      name: "manual",
      status: {
        artifacts: [],
        session: { job: "j", start_time: null, completion_time: null, status: "running", succeeded: "none" },
        layers: [],
        steps: [],
        source: { path: "sessions/manual.yaml", commit: COMMIT, blob: "b" },
        reason: null,
      },
      tags: {},
      target: { definition: "dynamic", groups: null, image_map: [] },
    };
    world.sessions.set("manual", record);
    const withFile: RepoFile = {
      path: "sessions/manual.yaml",
      blob: "b",
      commit: COMMIT,
      parsed: {
        ok: true,
        kind: "Session",
        name: "manual",
        manifest: {
          apiVersion: "cfs-gitops/v1",
          kind: "Session",
          name: "manual",
          configuration: { name: "cfg" },
        },
      },
    };
    pass(world, [...files, withFile], [completed(record, [layer(0, "succeeded", ["n1"])], "true")]);
    expect(world.components.get("n1")?.state).toEqual([]);
  });

  it("runs a layer from its clone URL as written but records it nowhere with its credentials", () => {
    const secret = "pl4n-URL-S3cret";
    const withCredentials = (url: string) => url.replace("https://", `https://alice:${secret}@`);
    const cfg = config("cfg", A);
    cfg.layers[0] = { ...cfg.layers[0]!, clone_url: withCredentials(cfg.layers[0]!.clone_url) };
    const world = emptyWorld();
    const files = [
      configurationFile(cfg),
      optionsFile({ batch_window: 0 }),
      componentFile("n1", { desired_config: "cfg" }),
    ];
    const first = pass(world, files);
    const start = first.plan.actions[0];
    expect(start?.type === "start" ? start.spec.layers[0]?.clone_url : undefined).toContain(secret);
    expect(world.configurations.get("cfg")?.layers[0]?.clone_url).toBe("https://***@git.example.org/l0.git");
    // The runner reports the layer with the URL it cloned from.
    const ran = {
      ...layer(0, "succeeded", ["n1"]),
      clone_url: withCredentials(layer(0, "succeeded", []).clone_url),
    };
    pass(world, files, [completed(running(world)!, [ran, layer(1, "succeeded", ["n1"])], "true")]);
    expect(statuses(world)).toEqual({ n1: "configured" });
    expect(world.components.get("n1")?.state[0]?.clone_url).toBe("https://***@git.example.org/l0.git");
    const again = pass(world, files);
    expect([again.components.size, again.configurations.size, again.plan.actions.length]).toEqual([0, 0, 0]);
    const everything = JSON.stringify([...world.sessions, ...world.components, ...world.configurations]);
    expect(everything).toContain("https://***@git.example.org/l0.git");
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain("alice");
  });

  it("writes every component of a 10,000-node change in one pass", () => {
    const world = emptyWorld();
    const ids = Array.from({ length: 10_000 }, (_, i) => `x${i}`);
    const out = pass(world, [...base, ...ids.map((id) => componentFile(id, { desired_config: "cfg" }))]);
    expect(out.components.size).toBe(10_000);
    expect(out.plan.actions).toHaveLength(400); // batch_size 25
  });
});

describe("the component base kept between passes", () => {
  const files = [
    configurationFile(config("cfg", A)),
    configurationFile(config("other", B)),
    optionsFile({ batch_window: 0 }),
    componentFile("n1", { desired_config: "cfg" }),
    componentFile("n2", { desired_config: "cfg" }),
  ];

  /** A world where n1 and n2 are configured with cfg (a batch ran and succeeded). */
  function configuredWorld(): World {
    const world = emptyWorld();
    const [session] = [...pass(world, files).plan.sessions.values()];
    const layers = [layer(0, "succeeded", ["n1", "n2"]), layer(1, "succeeded", ["n1", "n2"])];
    pass(world, files, [completed(session!, layers, "true")]);
    expect(statuses(world)).toEqual({ n1: "configured", n2: "configured" });
    return world;
  }

  it("is reused while the desired state and the records are the same, and the pass changes nothing", () => {
    const world = configuredWorld();
    const first = pass(world, files);
    const second = pass(world, files);
    expect(second.base).toBe(first.base);
    expect(second.components.size + second.plan.actions.length).toBe(0);
  });

  it("is made again when a component's manifest changes", () => {
    const world = configuredWorld();
    const before = pass(world, files).base;
    const edited = [...files.slice(0, 4), componentFile("n2", { desired_config: "other" })];
    const out = pass(world, edited);
    expect(out.base).not.toBe(before);
    expect(out.components.get("n2")?.configuration_status).toBe("pending");
    expect(out.components.has("n1")).toBe(false);
  });

  it("is made again when a configuration changes, and its components' status follows", () => {
    const world = configuredWorld();
    pass(world, files);
    const edited = [configurationFile(config("cfg", B)), ...files.slice(1)];
    const out = pass(world, edited);
    expect([...out.components.values()].map((c) => c?.configuration_status)).toEqual(["pending", "pending"]);
  });

  it("is made again when a record changes (its version goes up), not before", () => {
    const world = configuredWorld();
    const kept = pass(world, files).base;
    const n1 = world.components.get("n1")!;
    world.components.set("n1", { ...n1, enabled: false }); // another writer disabled it on the branch
    const input = {
      desired: desiredFor(files),
      recorded: { sessions: world.sessions, problems: new Map(), expired: new Map() },
      observed: new Map(),
      now: T0,
      components: world.components,
      configurationRecords: world.configurations,
      resolved: new Map(),
      reconfigureSeen: world.reconfigure,
    };
    const stale = planWithComponents({ ...input, base: kept, componentsVersion: world.version });
    expect(stale.base).toBe(kept); // same version: the caller promised nothing changed
    const fresh = planWithComponents({ ...input, base: kept, componentsVersion: world.version + 1 });
    expect(fresh.base).not.toBe(kept);
    expect(fresh.components.get("n1")?.enabled).toBe(true); // the manifest wins again
  });

  it("never changes its own records: a pass works on copies", () => {
    const world = emptyWorld();
    const out = pass(world, files);
    expect(out.base.records.get("n1")?.configuration_status).toBe("unconfigured");
    expect(out.components.get("n1")?.configuration_status).toBe("pending");
    expect(out.components.get("n1")).not.toBe(out.base.records.get("n1"));
  });
});

describe("the outcome a commit's component reconfigurations report on the forge", () => {
  it("counts the batcher sessions of a desired_config change toward the commit that changed it", () => {
    const world = emptyWorld();
    const files = [
      configurationFile(config("cfg", A)),
      optionsFile({ batch_window: 0 }),
      componentFile("n1", { desired_config: "cfg" }),
      componentFile("n2", { desired_config: "cfg" }),
    ];
    pass(world, files);
    const session = running(world, "n1");
    expect(session?.status.source.commit).toBe(COMMIT);
    expect(commitOutcome(COMMIT, world.sessions.values())).toMatchObject({
      state: "pending",
      description: "1 session: 0 running, 1 pending, 0 done",
    });
    const ok = [layer(0, "succeeded", ["n1", "n2"]), layer(1, "succeeded", ["n1", "n2"])];
    pass(world, files, [completed(session!, ok, "true")]);
    expect(statuses(world)).toEqual({ n1: "configured", n2: "configured" });
    expect(commitOutcome(COMMIT, world.sessions.values())).toEqual({
      sha: COMMIT,
      state: "success",
      description: "1 session succeeded",
    });
  });

  it("stays pending while the batcher retries a failed host under the same commit", () => {
    const world = emptyWorld();
    const files = [
      configurationFile(config("cfg", A)),
      optionsFile({ batch_window: 0 }),
      componentFile("n1", { desired_config: "cfg" }),
    ];
    pass(world, files);
    const first = running(world, "n1");
    const failed = [layer(0, "succeeded", ["n1"]), layer(1, "failed", ["n1"], ["n1"])];
    pass(world, files, [completed(first!, failed, "false")]);
    expect(running(world, "n1")?.status.source.commit).toBe(COMMIT);
    expect(commitOutcome(COMMIT, world.sessions.values())?.state).toBe("pending");
  });
});
