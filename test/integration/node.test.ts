/**
 * A real node: containerd, runc (seccomp enforced), the CNI bridge, kubelet, kube-proxy and
 * kube-scheduler from pinned sources (test/cluster/build-binaries.sh, build-node.sh). Our own
 * manifests, written as the GitOps layout and applied unchanged, run as pods: the config
 * aggregator's two replicas under PodSecurity `restricted`, one holding the Lease, aggregating a
 * labelled application ConfigMap, the other taking over when the leader's pod is deleted. What
 * the API server cannot judge is judged here: the image, its entrypoint, the securityContext,
 * probes, the projected token, RBAC as the pod uses it. And stop() leaves nothing behind.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Chart, Duration } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { AppConfig, ConfigAggregator } from '../../constructs/config-aggregator/index.js';
import { GitOpsLayout } from '../../lib/gitops/index.js';
import { nodeUnavailable, RESTRICTED_LABELS, startCluster, type Cluster, type KubeObject } from '../cluster/index.js';
import { snapshotMachine, type MachineSnapshot } from '../cluster/node/leaks.js';

jest.setTimeout(600_000);

const why = nodeUnavailable();
if (why) process.stderr.write(`node tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

const NS = 'node-proof';
const FIELD_MANAGER = 'platform-constructs-node-test';

/** The app under test: a restricted namespace, the aggregator (2 replicas) and one application config. */
function buildApp(outdir: string): App {
  const app = new App({ outdir });
  const chart = new Chart(app, 'config-aggregator', { namespace: NS });
  const aggregator = new ConfigAggregator(chart, 'aggregator', {
    configmapName: 'anomaly-config',
    replicas: 2,
    resyncInterval: Duration.seconds(30),
    leaseDuration: Duration.seconds(15),
  });
  new AppConfig(chart, 'app', {
    aggregator,
    config: {
      service: 'checkout',
      metric_configs: [{ metric: 'checkout_latency', composite_keys: ['namespace'], static_threshold: 10 }],
      unified_configs: [{ unified_metric_name: 'checkout_anomaly', unified_metrics: ['checkout_latency'] }],
    },
  });
  return app;
}

/** Every object of the layout's YAML files, in the order of the file names. */
function layoutObjects(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.yaml') && name !== 'kustomization.yaml') {
        for (const doc of parseAllDocuments(readFileSync(p, 'utf8'))) if (doc.contents) out.push(doc.toJS() as KubeObject);
      }
    }
  };
  walk(dir);
  return out;
}

/** Each pod's phase, container states and recent events in `ns`: what a failed wait prints. */
async function podReport(cluster: Cluster, ns: string): Promise<string> {
  const pods = await cluster.request('GET', `/api/v1/namespaces/${ns}/pods`);
  const events = await cluster.request('GET', `/api/v1/namespaces/${ns}/events`);
  const lines: string[] = [];
  for (const p of pods.body.items) {
    lines.push(`pod ${p.metadata.name}: ${p.status.phase}`);
    for (const c of p.status.containerStatuses ?? []) lines.push(`  ${c.name}: ready=${c.ready} restarts=${c.restartCount} ${JSON.stringify(c.state)} last=${JSON.stringify(c.lastState)}`);
  }
  for (const e of events.body.items.slice(-25)) lines.push(`event ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.reason}: ${e.message}`);
  return lines.join('\n');
}

/** cluster.waitFor, with the pods of `ns` in the error when it times out. */
async function waitWithReport<T>(cluster: Cluster, ns: string, what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  try {
    return await cluster.waitFor(what, check, { timeoutMs, intervalMs: 500 });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await podReport(cluster, ns)}`);
  }
}

suite('a real node', () => {
  let before: MachineSnapshot;
  let cluster: Cluster;
  let work: string;
  let startMs = 0;

  beforeAll(async () => {
    before = snapshotMachine();
    work = mkdtempSync(join(tmpdir(), 'node-proof-'));
    const t0 = Date.now();
    cluster = await startCluster({ node: true });
    startMs = Date.now() - t0;
    process.stderr.write(`test node Ready (cluster + node) in ${(startMs / 1000).toFixed(1)} s\n`);
  });

  afterAll(async () => {
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('registers a Ready node with the sandbox and platform-controllers images', async () => {
    const node = await cluster.request('GET', `/api/v1/nodes/${cluster.node!.name}`);
    const ready = node.body.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready.status).toBe('True');
    const images = await cluster.node!.images();
    expect(images).toEqual(expect.arrayContaining([expect.stringMatching(/platform-controllers:/), expect.stringMatching(/pause:1$/)]));
  });

  it('runs the config aggregator from its GitOps layout: two Ready replicas, one leader, the aggregate written', async () => {
    const out = join(work, 'dist');
    const app = buildApp(out);
    GitOpsLayout.fromApp(app).write(out);
    const objects = layoutObjects(out);
    await cluster.applyObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: RESTRICTED_LABELS } }], { fieldManager: FIELD_MANAGER });
    await cluster.applyObjects(objects, { fieldManager: FIELD_MANAGER, namespace: NS });

    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    const name = deployment.metadata!.name!;
    await waitWithReport(cluster, NS,
      `Deployment ${NS}/${name} with 2 ready replicas`,
      async () => ((await cluster.get({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS } })) as { status?: { readyReplicas?: number } } | undefined)?.status?.readyReplicas === 2,
      120_000,
    );
    const lease = await cluster.waitFor('the Lease held', async () => {
      const leases = await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`);
      return leases.body.items.find((l: { spec: { holderIdentity?: string } }) => l.spec.holderIdentity);
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const aggregate = await cluster.waitFor('the aggregate ConfigMap', async () => {
      const cm = await cluster.get({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'anomaly-config', namespace: NS } });
      return cm?.data;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(JSON.stringify(aggregate)).toContain('checkout_latency');

    // The leader's pod deleted: the other replica takes the Lease.
    const leader: string = lease.spec.holderIdentity;
    const pods = await cluster.request('GET', `/api/v1/namespaces/${NS}/pods`);
    const leaderPod = pods.body.items.find((p: { metadata: { name: string } }) => leader.startsWith(p.metadata.name));
    expect(leaderPod).toBeDefined();
    await cluster.request('DELETE', `/api/v1/namespaces/${NS}/pods/${leaderPod.metadata.name}`);
    await cluster.waitFor('another replica holding the Lease', async () => {
      const l = await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${lease.metadata.name}`);
      const holder: string | undefined = l.body.spec.holderIdentity;
      return holder !== undefined && holder !== '' && !holder.startsWith(leaderPod.metadata.name);
    }, { timeoutMs: 90_000, intervalMs: 500 });
  });

  it('stop() leaves no process, mount, namespace, link, cgroup or iptables chain behind', async () => {
    await cluster.stop();
    expect(snapshotMachine()).toEqual(before);
  });
});
