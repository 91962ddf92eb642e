/**
 * Vitest globalSetup that shares one test cluster across the test files of a run: list this file
 * under `test.globalSetup`, then read the cluster in a test with `inject("kubeCluster")` and talk
 * to it through kubeConfigFor / serviceAccountToken (kube-cluster.ts). Files that want a cluster
 * of their own call startKubeCluster in beforeAll instead.
 */
import type { TestProject } from "vitest/node";
import { startKubeCluster, type KubeClusterInfo } from "./kube-cluster.js";

declare module "vitest" {
  /** What kube-global-setup provides to test workers. */
  export interface ProvidedContext {
    kubeCluster: KubeClusterInfo;
  }
}

/** Starts the cluster, provides its plain data as `kubeCluster`, and returns the teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startKubeCluster();
  const { server, kubeconfigPath, adminToken, caPem, dataDir, etcdUrl } = cluster;
  project.provide("kubeCluster", { server, kubeconfigPath, adminToken, caPem, dataDir, etcdUrl });
  return () => cluster.stop();
}
