/**
 * The LeaseClient of leader election over the real `coordination.k8s.io/v1` API: get, create,
 * replace with the resourceVersion (409 means someone else won), each bounded by a timeout so a
 * hung request cannot outlast the renew deadline.
 */
import { ApiException, V1MicroTime, type CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import type { LeaseClient, LeaseRecord, StoredLease } from "./leader-election.js";

/** The calls of CoordinationV1Api the client uses. */
export type LeaseApi = Pick<
  CoordinationV1Api,
  "readNamespacedLease" | "createNamespacedLease" | "replaceNamespacedLease"
>;

/** Where the lease is and how long a request may take. */
export interface KubeLeaseClientOptions {
  api: LeaseApi;
  name: string;
  namespace: string;
  /** Longest wait for one request; default 5 s (keep it under the renew deadline). */
  timeoutMs?: number;
}

/** A LeaseClient on the Kubernetes API. */
export function createKubeLeaseClient(options: KubeLeaseClientOptions): LeaseClient {
  const { api, name, namespace } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  return {
    description: `${namespace}/${name}`,
    get: () => withTimeout(answerOn404(api.readNamespacedLease({ name, namespace })), timeoutMs),
    create: (record) =>
      withTimeout(
        answerOn409(api.createNamespacedLease({ namespace, body: toV1Lease({ record, name, namespace }) })),
        timeoutMs,
      ),
    update: (record, resourceVersion) =>
      withTimeout(
        answerOn409(
          api.replaceNamespacedLease({
            name,
            namespace,
            body: toV1Lease({ record, name, namespace, resourceVersion }),
          }),
        ),
        timeoutMs,
      ),
  };
}

async function answerOn404(request: Promise<V1Lease>): Promise<StoredLease | null> {
  try {
    return fromV1Lease(await request);
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return null;
    throw error;
  }
}

async function answerOn409(request: Promise<V1Lease>): Promise<StoredLease | null> {
  try {
    return fromV1Lease(await request);
  } catch (error) {
    if (error instanceof ApiException && error.code === 409) return null;
    throw error;
  }
}

/** Rejects when `promise` takes longer than `ms` (the request itself is left to finish and ignored). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lease request timed out after ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The V1Lease body for a record (MicroTime keeps the microsecond format the API requires). */
export function toV1Lease(input: {
  record: LeaseRecord;
  name: string;
  namespace: string;
  resourceVersion?: string;
}): V1Lease {
  const { record } = input;
  const micro = (date: Date) => new V1MicroTime(date.getTime());
  const metadata = { name: input.name, namespace: input.namespace };
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata:
      input.resourceVersion === undefined
        ? metadata
        : { ...metadata, resourceVersion: input.resourceVersion },
    spec: {
      ...(record.holderIdentity === null ? {} : { holderIdentity: record.holderIdentity }),
      leaseDurationSeconds: record.leaseDurationSeconds,
      ...(record.acquireTime === null ? {} : { acquireTime: micro(record.acquireTime) }),
      ...(record.renewTime === null ? {} : { renewTime: micro(record.renewTime) }),
      leaseTransitions: record.leaseTransitions,
    },
  };
}

/** The record and resourceVersion of a V1Lease as read. */
export function fromV1Lease(lease: V1Lease): StoredLease {
  const spec = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? "",
    record: {
      holderIdentity: spec.holderIdentity ?? null,
      leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
      acquireTime: toDate(spec.acquireTime),
      renewTime: toDate(spec.renewTime),
      leaseTransitions: spec.leaseTransitions ?? 0,
    },
  };
}

function toDate(value: Date | string | undefined): Date | null {
  if (value === undefined) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
