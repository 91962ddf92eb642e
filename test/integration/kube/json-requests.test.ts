/**
 * The runner's plain JSON requests and watch against the real kube-apiserver: what a create, a
 * list page and a watch answer (without managedFields), and how a refusal reaches the caller (an
 * ApiException or a WatchError with the HTTP status, the API's own message).
 */
import { ApiException, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { buildJob } from "../../../src/jobs/index.js";
import {
  ACCEPT_METADATA,
  apiError,
  JsonWatch,
  KeepAliveClients,
  MANAGED_SELECTOR,
  requestJson,
  type WatchError,
} from "../../../src/runners/kubernetes/index.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../helpers/kube-controller.js";
import { createNamespace, waitFor } from "../../helpers/kube-objects.js";
import { runSpec } from "../../helpers/kube-run-specs.js";

const cluster = inject("kubeCluster");
const kubeConfig = kubeConfigFor(cluster);
const core = kubeConfig.makeApiClient(CoreV1Api);
let count = 0;

async function namespace(): Promise<string> {
  count += 1;
  const ns = `json-requests-${count}`;
  await createNamespace(core, ns);
  return ns;
}

function job(ns: string, session: string): V1Job {
  return buildJob({
    spec: runSpec({ name: session }),
    namespace: ns,
    images: TEST_IMAGES,
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 60 },
  });
}

const jobsPath = (ns: string) => `/apis/batch/v1/namespaces/${ns}/jobs`;

describe("requestJson", () => {
  it("creates a Job and answers its metadata only, without managedFields", async () => {
    const ns = await namespace();
    const body = job(ns, "created");
    const answer = (await requestJson(
      { method: "POST", path: jobsPath(ns), body, accept: ACCEPT_METADATA },
      { kubeConfig },
    )) as { kind?: string; metadata?: Record<string, unknown>; spec?: unknown };
    expect(answer.kind).toBe("PartialObjectMetadata");
    expect(answer.metadata?.["name"]).toBe(body.metadata?.name);
    expect(answer.metadata?.["uid"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.metadata).not.toHaveProperty("managedFields");
    expect(answer.spec).toBeUndefined();
  });

  it("throws an ApiException with the API's Status when it refuses, classed by api-errors", async () => {
    const ns = await namespace();
    const body = job(ns, "twice");
    await requestJson({ method: "POST", path: jobsPath(ns), body }, { kubeConfig });
    const again = await requestJson({ method: "POST", path: jobsPath(ns), body }, { kubeConfig }).catch(
      (error: unknown) => error,
    );
    expect(again).toBeInstanceOf(ApiException);
    expect((again as ApiException<unknown>).code).toBe(409);
    expect(apiError("create Job", again).message).toMatch(/^could not create Job: 409 .*already exists/);

    const invalid = { ...body, metadata: { ...body.metadata, name: "Not_A_Name" } };
    const refused = await requestJson(
      { method: "POST", path: jobsPath(ns), body: invalid },
      { kubeConfig },
    ).catch((error: unknown) => error);
    expect(apiError("create Job", refused)).toMatchObject({ status: 422, retry: "stalling" });

    const stranger = kubeConfigFor(cluster, "not-a-token");
    const unauthorized = await requestJson(
      { method: "GET", path: jobsPath(ns) },
      { kubeConfig: stranger },
    ).catch((error: unknown) => error);
    expect(apiError("list Jobs", unauthorized)).toMatchObject({ status: 401 });
    expect(apiError("list Jobs", unauthorized).message).not.toContain("not-a-token");
  });

  it("lists in pages, each item without managedFields, through one kept connection", async () => {
    const ns = await namespace();
    for (const session of ["a", "b", "c"])
      await requestJson({ method: "POST", path: jobsPath(ns), body: job(ns, session) }, { kubeConfig });
    const clients = new KeepAliveClients(kubeConfig);
    const options = { kubeConfig, agentFor: clients.agentFor.bind(clients) };
    try {
      const names: string[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const query = { labelSelector: MANAGED_SELECTOR, limit: 2, continue: next };
        const page = (await requestJson({ method: "GET", path: jobsPath(ns), query }, options)) as {
          items: V1Job[];
          metadata: { continue?: string };
        };
        pages += 1;
        for (const item of page.items) {
          expect(item.metadata).not.toHaveProperty("managedFields");
          names.push(item.metadata?.name ?? "");
        }
        next = page.metadata.continue === "" ? undefined : page.metadata.continue;
      } while (next !== undefined);
      expect(pages).toBe(2);
      expect(names).toHaveLength(3);
      expect(clients.agentCount).toBe(1);
    } finally {
      clients.close();
    }
  });
});

describe("JsonWatch", () => {
  it("delivers each event once, without managedFields, and ends when the server ends the watch", async () => {
    const ns = await namespace();
    const events: Array<{ type: string; object: V1Job }> = [];
    let ended: unknown = "not yet";
    const watch = new JsonWatch({ kubeConfig });
    const controller = await watch.watch(
      jobsPath(ns),
      { labelSelector: MANAGED_SELECTOR, timeoutSeconds: 3 },
      (type, object) => events.push({ type, object: object as V1Job }),
      (error) => {
        ended = error;
      },
    );
    expect(controller).toBeInstanceOf(AbortController);
    const body = job(ns, "watched");
    await requestJson({ method: "POST", path: jobsPath(ns), body }, { kubeConfig });
    await waitFor(() => Promise.resolve(events.some((e) => e.type === "ADDED") ? true : undefined), {
      what: "the ADDED event",
    });
    const added = events.find((e) => e.type === "ADDED")?.object;
    expect(events.filter((e) => e.type === "ADDED")).toHaveLength(1);
    expect(added?.metadata?.name).toBe(body.metadata?.name);
    expect(added?.metadata).not.toHaveProperty("managedFields");
    expect(added?.spec?.template.spec?.containers[0]?.name).toBe("report");
    await waitFor(() => Promise.resolve(ended === "not yet" ? undefined : true), {
      what: "the server to end the watch",
      timeoutMs: 15_000,
    });
    expect(ended).toBeNull();
  });

  it("ends a refused watch with a WatchError that carries the status", async () => {
    const ns = await namespace();
    const stranger = new JsonWatch({ kubeConfig: kubeConfigFor(cluster, "not-a-token") });
    const ended = await new Promise<unknown>((resolve) => {
      void stranger.watch(jobsPath(ns), {}, () => undefined, resolve);
    });
    expect(ended).toMatchObject({ name: "WatchError", statusCode: 401 });
    expect((ended as WatchError).message).toMatch(/^watch refused: 401/);
  });

  it("stops delivering once aborted, and ends once", async () => {
    const ns = await namespace();
    const ends: unknown[] = [];
    const events: string[] = [];
    const controller = await new JsonWatch({ kubeConfig }).watch(
      jobsPath(ns),
      { labelSelector: MANAGED_SELECTOR },
      (type) => events.push(type),
      (error) => ends.push(error),
    );
    controller.abort();
    await requestJson({ method: "POST", path: jobsPath(ns), body: job(ns, "unseen") }, { kubeConfig });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(events).toEqual([]);
    expect(ends).toHaveLength(1);
  });
});
