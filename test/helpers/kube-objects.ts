/** Small waits and lookups on the test cluster: namespaces, the pod of a Job, Job conditions. */
import {
  ApiException,
  type BatchV1Api,
  type CoreV1Api,
  type V1Job,
  type V1Pod,
} from "@kubernetes/client-node";

/** Options of waitFor. */
export interface WaitOptions {
  /** What is awaited, for the timeout message. */
  what: string;
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `probe` until it returns a value other than undefined; throws after the timeout. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/**
 * Creates a namespace and waits for its `default` ServiceAccount (made by the controller-manager),
 * without which the ServiceAccount admission plugin rejects pods.
 */
export async function createNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  await waitFor(
    async () => {
      const accounts = await core.listNamespacedServiceAccount({ namespace: name });
      return accounts.items.some((a) => a.metadata?.name === "default") ? true : undefined;
    },
    { what: `ServiceAccount ${name}/default` },
  );
}

/** The pods the Job controller created for a Job (label `batch.kubernetes.io/job-name`). */
export async function podsOfJob(core: CoreV1Api, job: { namespace: string; name: string }): Promise<V1Pod[]> {
  const pods = await core.listNamespacedPod({
    namespace: job.namespace,
    labelSelector: `batch.kubernetes.io/job-name=${job.name}`,
  });
  return pods.items;
}

/** Waits until the Job controller has created the Job's pod and returns it. */
export function waitForJobPod(core: CoreV1Api, job: { namespace: string; name: string }): Promise<V1Pod> {
  return waitFor(async () => (await podsOfJob(core, job))[0], {
    what: `a pod of Job ${job.namespace}/${job.name}`,
  });
}

/** Waits until the Job has condition `type` (`Complete`, `Failed`, ...) with status True. */
export function waitForJobCondition(
  batch: BatchV1Api,
  job: { namespace: string; name: string; type: string },
): Promise<V1Job> {
  return waitFor(
    async () => {
      const current = await batch.readNamespacedJob({ name: job.name, namespace: job.namespace });
      const met = current.status?.conditions?.some((c) => c.type === job.type && c.status === "True");
      return met === true ? current : undefined;
    },
    { what: `condition ${job.type} on Job ${job.namespace}/${job.name}` },
  );
}

/** Waits until a Job is gone (deleted by the TTL controller, say). */
export function waitForJobDeleted(
  batch: BatchV1Api,
  job: { namespace: string; name: string },
): Promise<true> {
  return waitFor(
    async () => {
      try {
        await batch.readNamespacedJob({ name: job.name, namespace: job.namespace });
        return undefined;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return true;
        throw error;
      }
    },
    { what: `deletion of Job ${job.namespace}/${job.name}` },
  );
}
