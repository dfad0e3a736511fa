/**
 * The real-cluster test harness. See test/cluster/README.md.
 *
 *   const cluster = await startCluster({ controllerManager: true }); // own cluster
 *   const cluster = connectToTestCluster();                           // the test run's shared one
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterClient } from './client.js';

export { startCluster, Cluster, nodeUnavailable, type StartClusterOptions } from './cluster.js';
export { TestNode } from './node/node.js';
export {
  ClusterClient,
  KubeApiError,
  objectRef,
  randomSuffix,
  type ApplyOptions,
  type KubeObject,
  type NamespaceOptions,
  type RawResponse,
} from './client.js';
export { ASSETS_ENV, BUILD_SCRIPT, CACHE_ENV, binaryPath, ensureBinaries, pinnedVersions, type Component } from './binaries.js';

/** Env var naming the JSON file in which the jest global setup describes the shared cluster. */
export const TEST_CLUSTER_ENV = 'PLATFORM_CONSTRUCTS_TEST_CLUSTER';

/** What the global setup writes for test files. */
export interface TestClusterInfo {
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly etcdEndpoint: string;
  readonly controllerManager: boolean;
}

/**
 * A client of the cluster the jest global setup started for this test run (with
 * kube-controller-manager). It cannot stop or restart that cluster; a test that
 * needs `restartApiServer()` starts its own with `startCluster()`.
 */
export function connectToTestCluster(): ClusterClient & { readonly controllerManager: boolean } {
  const file = process.env[TEST_CLUSTER_ENV];
  if (!file) {
    throw new Error(
      `${TEST_CLUSTER_ENV} is not set: no shared test cluster runs. Run integration tests through ` +
        '`npm test` (the jest "integration" project starts one in its global setup), or start one with startCluster().',
    );
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as TestClusterInfo;
  const kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfigPath);
  return Object.assign(new ClusterClient(info.kubeconfigPath, kc, info.server, info.etcdEndpoint), {
    controllerManager: info.controllerManager,
  });
}
export { freePort } from './process.js';
export { appObjects, proveApply, RESTRICTED_LABELS, type ProveOptions, type ProveReport } from './manifests.js';
export { FETCH_CRDS_SCRIPT, kedaCrds, perconaMongoDbCrds, prometheusOperatorCrds, thirdPartyCrds } from './crds.js';
