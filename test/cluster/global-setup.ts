/**
 * Jest global setup/teardown of the integration project: one cluster (with
 * kube-controller-manager) for the whole run. Loaded through
 * jest-global-setup.mjs / jest-global-teardown.mjs, which import this file with tsx.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster } from './cluster.js';
import { TEST_CLUSTER_ENV, type TestClusterInfo } from './index.js';

const KEY = Symbol.for('platform-constructs.test-cluster');
type Holder = { [KEY]?: Cluster };

export async function setup(): Promise<void> {
  const t0 = Date.now();
  const cluster = await startCluster({ controllerManager: true });
  (globalThis as Holder)[KEY] = cluster;
  const info: TestClusterInfo = {
    kubeconfigPath: cluster.kubeconfigPath,
    server: cluster.server,
    etcdEndpoint: cluster.etcdEndpoint,
    controllerManager: true,
  };
  const file = join(cluster.dir, 'test-cluster.json');
  writeFileSync(file, JSON.stringify(info, null, 2));
  process.env[TEST_CLUSTER_ENV] = file;
  process.stderr.write(`\ntest cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${cluster.server}\n`);
}

export async function teardown(): Promise<void> {
  const cluster = (globalThis as Holder)[KEY];
  delete (globalThis as Holder)[KEY];
  delete process.env[TEST_CLUSTER_ENV];
  if (!cluster) return;
  const pids = Object.entries(cluster.pids).filter(([, pid]) => pid !== undefined) as [string, number][];
  await cluster.stop();
  const left = pids.filter(([, pid]) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  if (left.length > 0) {
    throw new Error(`the test cluster left processes behind: ${left.map(([c, pid]) => `${c} (pid ${pid})`).join(', ')}`);
  }
}
