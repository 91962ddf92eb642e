/**
 * What the kubernetes runner keeps of a Job and a pod in its informers' caches: only what it reads
 * (observeJob, stepLogSource, imsCleanupOf, the observation keys), as client-go informers drop what
 * they do not need with a transform. Gone: `managedFields` (often as large as the spec), and the
 * pod template's containers but for their names (commands, env, mounts, resources: ~80% of a Job
 * the runner builds), its volumes and the rest of the pod spec; of a pod, its spec.
 */
import type { V1Container, V1Job, V1ObjectMeta, V1Pod } from "@kubernetes/client-node";

/** A Job with only what the runner reads. */
export function slimJob(job: V1Job): V1Job {
  const { spec } = job;
  const slim: V1Job = { ...job };
  if (job.metadata !== undefined) slim.metadata = slimMeta(job.metadata);
  if (spec === undefined) return slim;
  const template = spec.template;
  const pod = template.spec;
  slim.spec = {
    ...(spec.activeDeadlineSeconds === undefined
      ? {}
      : { activeDeadlineSeconds: spec.activeDeadlineSeconds }),
    ...(spec.suspend === undefined ? {} : { suspend: spec.suspend }),
    template: {
      ...(template.metadata === undefined ? {} : { metadata: slimMeta(template.metadata) }),
      ...(pod === undefined
        ? {}
        : {
            spec: {
              ...(pod.initContainers === undefined ? {} : { initContainers: pod.initContainers.map(named) }),
              containers: pod.containers.map(named),
            },
          }),
    },
  };
  return slim;
}

/** A pod with only what the runner reads: metadata without managedFields, and status. */
export function slimPod(pod: V1Pod): V1Pod {
  const slim: V1Pod = {};
  if (pod.apiVersion !== undefined) slim.apiVersion = pod.apiVersion;
  if (pod.kind !== undefined) slim.kind = pod.kind;
  if (pod.metadata !== undefined) slim.metadata = slimMeta(pod.metadata);
  if (pod.status !== undefined) slim.status = pod.status;
  return slim;
}

function slimMeta(meta: V1ObjectMeta): V1ObjectMeta {
  if (meta.managedFields === undefined) return meta;
  const { managedFields: _dropped, ...rest } = meta;
  return rest;
}

function named(container: V1Container): V1Container {
  return { name: container.name };
}
