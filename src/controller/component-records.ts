/**
 * The controller's component side: component, configuration and source records of the status branch held
 * in memory, branch layers resolved when a configuration changes, the batcher's memory, and a pass
 * scheduled when a batch window or a backoff ends. The controller calls it from its pass; the
 * decisions are the planner's (planWithComponents).
 */
import type { Logger } from "pino";
import {
  componentIdOfReconfigurePath,
  componentIdOfRecordPath,
  componentRecordPath,
  reconfigureRecordPath,
  configurationNameOfRecordPath,
  configurationRecordPath,
  sourceNameOfRecordPath,
  sourceRecordPath,
  type ComponentRecord,
  type ConfigurationRecord,
  type SourceRecord,
  withoutUrlCredentials,
} from "../api/index.js";
import type { StatusStore } from "../git/types.js";
import { readStatusFiles } from "./recorded-state.js";
import { StringPool } from "./string-pool.js";
import {
  branchesToResolve,
  branchKey,
  newBatcherMemory,
  planWithComponents,
  type BatcherMemory,
  type BranchRef,
  type ComponentBase,
  type DesiredState,
  type PlanInput,
  type PlanOutput,
} from "../plan/index.js";

/** How long a branch that could not be resolved waits before it is tried again. */
export const RESOLVE_RETRY_MS = 30_000;

/** Resolves a branch of a layer repository to its commit (null: no such branch). */
export type ResolveBranch = (ref: BranchRef) => Promise<string | null>;

/** Everything ComponentRecords needs, injected. */
export interface ComponentRecordsOptions {
  status: StatusStore;
  resolveBranch: ResolveBranch;
  log: Logger;
  /** Asks the controller for a pass (when a batch window or a backoff ends). */
  trigger: (reason: string) => void;
}

/** Component and configuration records between passes, and the pass's changes to them. */
export class ComponentRecords {
  private readonly components = new Map<string, ComponentRecord>();
  private readonly configurations = new Map<string, ConfigurationRecord>();
  private readonly sources = new Map<string, SourceRecord>();
  private readonly reconfigureSeen = new Map<string, number>();
  private batcher: BatcherMemory = newBatcherMemory();
  /** Goes up whenever a component record or reconfigure mark changes: the planner's base is kept until then. */
  private version = 0;
  private base: ComponentBase | null = null;
  private resolved = new Map<string, string>();
  /** When resolving each branch last failed (ms): tried again after RESOLVE_RETRY_MS, not on every pass. */
  private readonly failedAt = new Map<string, number>();
  private changes: {
    components: Map<string, ComponentRecord | null>;
    configurations: Map<string, ConfigurationRecord | null>;
    sources: Map<string, SourceRecord | null>;
    reconfigure: Map<string, number | null>;
  } = { components: new Map(), configurations: new Map(), sources: new Map(), reconfigure: new Map() };
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt: number | null = null;

  constructor(private readonly options: ComponentRecordsOptions) {}

  /** Component records as last written (read-only view). */
  get records(): ReadonlyMap<string, ComponentRecord> {
    return this.components;
  }

  /** Reads the component and configuration records among the status branch's files. */
  async load(files: ReadonlyMap<string, string>): Promise<void> {
    const strings = new StringPool(); // 20,000 records repeat every layer's URL, commit and playbook
    const isRecord = (path: string): boolean => recordKind(path) !== null;
    await readStatusFiles(this.options.status, files, isRecord, (path, _oid, data) => {
      if (data) this.applyFile(path, data, undefined);
      const kind = recordKind(path);
      if (kind) strings.internDeep(this.mapOf(kind.kind).get(kind.key));
    });
  }

  /**
   * Resolves the branches of configurations that are new or changed since their record. A branch
   * that cannot be resolved leaves its configuration's record as it was; it is tried again
   * RESOLVE_RETRY_MS later rather than on every pass.
   */
  async resolveBranches(desired: DesiredState): Promise<void> {
    this.resolved = new Map();
    for (const ref of branchesToResolve(desired.configurations, this.configurations, desired.sources)) {
      const key = branchKey(ref);
      if (Date.now() - (this.failedAt.get(key) ?? -Infinity) < RESOLVE_RETRY_MS) continue;
      const commit = await this.resolveOne(ref);
      if (commit) {
        this.resolved.set(key, commit);
        this.failedAt.delete(key);
      } else this.failedAt.set(key, Date.now());
    }
  }

  private async resolveOne(ref: BranchRef): Promise<string | null> {
    // The URL as written may carry credentials: the log gets it without them.
    const url = withoutUrlCredentials(ref.url);
    try {
      const commit = await this.options.resolveBranch(ref);
      if (!commit) this.options.log.warn({ url, branch: ref.branch }, "branch not found; layer not resolved");
      return commit;
    } catch (error) {
      this.options.log.warn({ url, branch: ref.branch, err: error }, "could not resolve branch; will retry");
      return null;
    }
  }

  /** Plans the pass with components; keeps their record changes for statusChanges. */
  plan(input: PlanInput): PlanOutput {
    const out = planWithComponents({
      ...input,
      components: this.components,
      configurationRecords: this.configurations,
      sourceRecords: this.sources,
      resolved: this.resolved,
      batcher: this.batcher,
      reconfigureSeen: this.reconfigureSeen,
      base: this.base,
      componentsVersion: this.version,
    });
    this.batcher = out.batcher;
    this.base = out.base;
    this.changes = {
      components: out.components,
      configurations: out.configurations,
      sources: out.sources,
      reconfigure: out.reconfigure,
    };
    this.schedule(out.wakeAt);
    return out.plan;
  }

  /** True when pending components wait for their batch window (or a backoff) to start. */
  get hasWaitingBatches(): boolean {
    return this.batcher.waiting.size > 0;
  }

  /** True when the pass changes component or configuration records. */
  get changed(): boolean {
    const { components, configurations, sources, reconfigure } = this.changes;
    return components.size > 0 || configurations.size > 0 || sources.size > 0 || reconfigure.size > 0;
  }

  /** Hands every changed record to `put` (path, value; null deletes). */
  addChanges(put: (path: string, value: object | null) => void): void {
    for (const [id, record] of this.changes.components) put(componentRecordPath(id), record);
    for (const [name, record] of this.changes.configurations) put(configurationRecordPath(name), record);
    for (const [name, record] of this.changes.sources) put(sourceRecordPath(name), record);
    for (const [id, value] of this.changes.reconfigure)
      put(reconfigureRecordPath(id), value === null ? null : { id, reconfigure: value });
  }

  /** Takes one committed status file in (a parsed value when we wrote it, else the file's content). */
  applyFile(path: string, content: Buffer | null, value: object | undefined): void {
    const kind = recordKind(path);
    if (!kind) return;
    this.version += 1;
    const map = this.mapOf(kind.kind);
    if (content === null) {
      map.delete(kind.key);
      return;
    }
    try {
      const parsed = value ?? (JSON.parse(content.toString("utf8")) as object);
      map.set(
        kind.key,
        kind.kind === "reconfigure" ? (parsed as { reconfigure: number }).reconfigure : parsed,
      );
    } catch (error) {
      this.options.log.warn({ path, err: error }, "status file is not valid JSON; ignoring it");
    }
  }

  private mapOf(kind: RecordKind["kind"]): Map<string, unknown> {
    if (kind === "components") return this.components;
    if (kind === "sources") return this.sources;
    return kind === "configurations" ? this.configurations : this.reconfigureSeen;
  }

  /** Stops the wake timer. */
  stop(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  private schedule(at: number | null): void {
    if (at === this.wakeAt) return;
    this.stop();
    this.wakeAt = at;
    if (at === null) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        this.wakeAt = null;
        this.options.trigger("batcher");
      },
      Math.max(0, at - Date.now()) + 5,
    );
    this.wakeTimer.unref();
  }
}

interface RecordKind {
  kind: "components" | "configurations" | "sources" | "reconfigure";
  key: string;
}

function recordKind(path: string): RecordKind | null {
  const id = componentIdOfRecordPath(path);
  if (id !== null) return { kind: "components", key: id };
  const reconfigured = componentIdOfReconfigurePath(path);
  if (reconfigured !== null) return { kind: "reconfigure", key: reconfigured };
  const source = sourceNameOfRecordPath(path);
  if (source !== null) return { kind: "sources", key: source };
  const name = configurationNameOfRecordPath(path);
  return name === null ? null : { kind: "configurations", key: name };
}
