import type {
  ConfigurationManifest,
  ResolvedConfiguration,
  RunObservation,
  SessionManifest,
  SessionRecord,
} from "../../../src/api/index.js";
import { assembleDesired, type DesiredState, type RepoFile } from "../../../src/plan/index.js";

export const COMMIT = "c".repeat(40);

export function session(name: string, extra: Partial<SessionManifest> = {}): SessionManifest {
  return { apiVersion: "cfs-gitops/v1", kind: "Session", name, configuration: { name: "cfg" }, ...extra };
}

export function configuration(name = "cfg", layers = 2): ResolvedConfiguration {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Configuration",
    name,
    layers: Array.from({ length: layers }, (_, i) => ({
      name: `l${i}`,
      clone_url: `https://git.example.org/l${i}.git`,
      branch: "main",
      playbook: "site.yml",
    })),
  };
}

export function sessionFile(manifest: SessionManifest, blob = `b-${manifest.name}`): RepoFile {
  return {
    path: `sessions/${manifest.name}.yaml`,
    blob,
    commit: COMMIT,
    parsed: { ok: true, kind: "Session", name: manifest.name, manifest },
  };
}

export function configurationFile(manifest: ConfigurationManifest): RepoFile {
  return {
    path: `configurations/${manifest.name}.yaml`,
    blob: `b-cfg-${manifest.name}`,
    commit: COMMIT,
    parsed: { ok: true, kind: "Configuration", name: manifest.name, manifest },
  };
}

export function desiredOf(files: RepoFile[]): DesiredState {
  return assembleDesired({ commit: COMMIT, files, locate: () => ({ line: 3, column: 7 }) });
}

export function observation(name: string, job: string, extra: Partial<RunObservation> = {}): RunObservation {
  return {
    name,
    job,
    phase: "running",
    succeeded: "none",
    startTime: "2026-11-21T10:00:00Z",
    completionTime: null,
    layers: [],
    steps: [],
    artifacts: [],
    reason: null,
    ...extra,
  };
}

export function withStatus(
  record: SessionRecord,
  status: SessionRecord["status"]["session"]["status"],
  succeeded: SessionRecord["status"]["session"]["succeeded"] = "none",
  completion: string | null = null,
): SessionRecord {
  return {
    ...record,
    status: {
      ...record.status,
      session: { ...record.status.session, status, succeeded, completion_time: completion },
    },
  };
}
