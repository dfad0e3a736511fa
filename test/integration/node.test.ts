/**
 * A real node: containerd, runc (seccomp enforced), the CNI bridge, kubelet, kube-proxy and
 * kube-scheduler from pinned sources (test/cluster/build-binaries.sh, build-node.sh). Our own
 * manifests, written as the GitOps layout and applied unchanged, run as pods: the config
 * aggregator's two replicas under PodSecurity `restricted`, one holding the Lease, aggregating a
 * labelled application ConfigMap, the other taking over when the leader's pod is deleted; WAO's
 * two replicas filling the real node's NodeConfig and both serving /predict; the servo's two
 * replicas with their webhook certificate generated in the cluster, injecting the monitor into a
 * real job pod whose CPU time and peak memory reach an optimizer pod once. What
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
import { NodeConfigTemplate, Wao } from '../../constructs/wao/index.js';
import { deployKonsumerator } from './konsumerator.support.js';
import { SecretGenerator } from '../../constructs/secret-generator/index.js';
import { JobMeasurement } from '../../constructs/servo/index.js';
import { WebhookCertificate } from '../../constructs/controller/index.js';
import { MEASURED_ANNOTATION, MEASUREMENT_FINALIZER, MONITOR_CONTAINER } from '../../lib/api/servo/index.js';
import { GitOpsLayout } from '../../lib/gitops/index.js';
import { PACKAGE_VERSION } from '../../lib/k8s/version.js';
import { nodeUnavailable, RESTRICTED_LABELS, startCluster, type Cluster, type KubeObject } from '../cluster/index.js';
import { snapshotMachine, type MachineSnapshot } from '../cluster/node/leaks.js';

jest.setTimeout(600_000);

const why = nodeUnavailable();
if (why) process.stderr.write(`node tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

const NS = 'node-proof';
/** The platform-controllers image as the constructs name it. */
const IMAGE = `platform-controllers:${PACKAGE_VERSION}`;
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

/** A one-shot pod of our image running `script` with the image's Node.js (the namespace must admit it). */
function scriptPod(ns: string, name: string, script: string, securityContext: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns },
    spec: {
      automountServiceAccountToken: false,
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: IMAGE, command: ['/nodejs/bin/node', '-e', script], terminationMessagePolicy: 'FallbackToLogsOnError', securityContext }],
    },
  } as KubeObject;
}

/** The pod once it has finished (Succeeded or Failed). */
function finishedPod(cluster: Cluster, ns: string, name: string): Promise<any> {
  return waitWithReport(cluster, ns, `pod ${name} to finish`, async () => {
    const p = (await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`)).body;
    return (p.status.phase === 'Failed' || p.status.phase === 'Succeeded') && p;
  }, 120_000);
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

  it('rolls the aggregator out one pod at a time, and evictions honour its PodDisruptionBudget', async () => {
    const path = `/apis/apps/v1/namespaces/${NS}/deployments/config-aggregator`;
    // A new pod template (as a changed arg or image would give): the rollout keeps a replica Ready throughout.
    await cluster.request('PATCH', path, { spec: { template: { metadata: { annotations: { 'test/rollout': '1' } } } } }, { contentType: 'application/merge-patch+json' });
    let lowest = 2;
    await waitWithReport(cluster, NS, 'the rollout to finish', async () => {
      const d = (await cluster.request('GET', path)).body;
      lowest = Math.min(lowest, d.status.readyReplicas ?? 0);
      return d.status.observedGeneration === d.metadata.generation && d.status.updatedReplicas === 2 && d.status.readyReplicas === 2 && (d.status.replicas ?? 0) === 2;
    }, 180_000);
    expect(lowest).toBeGreaterThanOrEqual(1);

    // Draining: the first eviction is allowed, the second refused while only one replica is left.
    const selector = Object.entries((await cluster.request('GET', path)).body.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = (await cluster.request('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(selector)}`)).body.items
      .filter((p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp);
    expect(pods).toHaveLength(2);
    const evict = (name: string) => cluster.request('POST', `/api/v1/namespaces/${NS}/pods/${name}/eviction`,
      { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: NS } }, { allowStatus: [429] });
    expect((await evict(pods[0].metadata.name)).statusCode).toBe(201);
    const refused = await evict(pods[1].metadata.name);
    expect(refused.statusCode).toBe(429);
    expect(JSON.stringify(refused.body)).toMatch(/disruption budget/);
  });

  it('a missing RBAC rule fails as on a real cluster: the pod never turns Ready and says why', async () => {
    // The aggregator's ServiceAccount loses its right to list ConfigMaps (its ClusterRole binding removed).
    const bindings = (await cluster.request('GET', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings')).body.items
      .filter((b: { subjects?: Array<{ kind: string; name: string; namespace?: string }> }) => (b.subjects ?? []).some((s) => s.kind === 'ServiceAccount' && s.namespace === NS));
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) await cluster.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${b.metadata.name}`);
    const path = `/apis/apps/v1/namespaces/${NS}/deployments/config-aggregator`;
    await cluster.request('PATCH', path, { spec: { template: { metadata: { annotations: { 'test/rollout': 'rbac' } } } } }, { contentType: 'application/merge-patch+json' });
    const pod = await waitWithReport(cluster, NS, 'a new pod running but not Ready', async () => {
      const items = (await cluster.request('GET', `/api/v1/namespaces/${NS}/pods`)).body.items;
      return items.find((p: any) => p.metadata.annotations?.['test/rollout'] === 'rbac' && p.status.phase === 'Running'
        && p.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'False'));
    }, 120_000);
    const log = await cluster.waitFor('the forbidden list in the pod\'s log', async () => {
      const r = await cluster.request<string>('GET', `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/log`, undefined, { allowStatus: [400] });
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      return /forbidden/i.test(text) && text;
    }, { timeoutMs: 60_000, intervalMs: 1000 });
    expect(log).toMatch(/configmaps.*forbidden|forbidden.*configmaps/i);
  });

  it('a container that needs a capability it was not given fails, and runs once it is given', async () => {
    const ns = 'node-caps';
    await cluster.applyObjects([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } },
    ], { fieldManager: FIELD_MANAGER });
    // Our image's Node.js, as root, giving a file away: with every capability dropped the kernel
    // refuses (CAP_CHOWN); the same container given CHOWN succeeds.
    const chown = "const fs = require('fs'); fs.writeFileSync('/tmp/f', ''); fs.chownSync('/tmp/f', 1000, 1000)";
    const asRoot = (add: string[]) => ({ runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add } });
    await cluster.applyObjects([scriptPod(ns, 'no-cap', chown, asRoot([])), scriptPod(ns, 'with-cap', chown, asRoot(['CHOWN']))], { fieldManager: FIELD_MANAGER });
    const denied = await finishedPod(cluster, ns, 'no-cap');
    expect(denied.status.phase).toBe('Failed');
    expect(denied.status.containerStatuses[0].state.terminated.message).toMatch(/EPERM: operation not permitted, chown/);
    expect((await finishedPod(cluster, ns, 'with-cap')).status.phase).toBe('Succeeded');
  });

  it('enforces seccomp RuntimeDefault (runc built with libseccomp)', async () => {
    const ns = 'node-caps';
    // The container reports its own seccomp mode (2: filter, 0: none) through its termination message.
    const report = "const fs = require('fs'); fs.writeFileSync('/dev/termination-log', /Seccomp:\\s+(\\d)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1])";
    await cluster.applyObjects([
      scriptPod(ns, 'seccomp-default', report, { allowPrivilegeEscalation: false, seccompProfile: { type: 'RuntimeDefault' } }),
      scriptPod(ns, 'seccomp-none', report, { allowPrivilegeEscalation: false }),
    ], { fieldManager: FIELD_MANAGER });
    const mode = async (name: string) => {
      const p = await finishedPod(cluster, ns, name);
      expect(p.status.phase).toBe('Succeeded');
      return p.status.containerStatuses[0].state.terminated.message;
    };
    expect(await mode('seccomp-default')).toBe('2');
    expect(await mode('seccomp-none')).toBe('0');
  });

  it('runs WAO from its GitOps layout: CRDs first, two replicas, the NodeConfig of the real node filled by the leader pod, /predict served', async () => {
    const ns = 'wao-node';
    const nodeName = cluster.node!.name;
    const out = join(work, 'wao-dist');
    const app = new App({ outdir: out });
    const chart = new Chart(app, 'wao', { namespace: ns });
    const wao = new Wao(chart, 'wao', { replicas: 2, leaseDuration: Duration.seconds(15), statusInterval: Duration.seconds(1) });
    new NodeConfigTemplate(chart, 'fake-nodes', {
      wao,
      spec: {
        nodeSelector: { matchLabels: { 'platform-constructs.io/wao': 'fake' } },
        template: {
          metricsCollector: { inletTemp: { type: 'Fake', fetchInterval: '1s' }, deltaP: { type: 'Fake', fetchInterval: '1s' } },
          predictor: { powerConsumption: { type: 'Fake' } },
        },
      },
    });
    GitOpsLayout.fromApp(app).write(out);
    const objects = layoutObjects(out);
    // The layout puts the CRDs first (00-crds): applied in file order, the template finds its kind.
    expect(objects.findIndex((o) => o.kind === 'CustomResourceDefinition')).toBeLessThan(objects.findIndex((o) => o.kind === 'NodeConfigTemplate'));
    await cluster.applyObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: RESTRICTED_LABELS } }], { fieldManager: FIELD_MANAGER });
    await cluster.applyObjects(objects.filter((o) => o.kind === 'CustomResourceDefinition'), { fieldManager: FIELD_MANAGER });
    await cluster.waitFor('WAO CRDs established', async () => {
      const crds = (await cluster.request('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).body.items
        .filter((c: any) => c.spec.group === 'wao.bitmedia.co.jp' && c.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True'));
      return crds.length === 2;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    await cluster.applyObjects(objects.filter((o) => o.kind !== 'CustomResourceDefinition'), { fieldManager: FIELD_MANAGER, namespace: ns });
    await cluster.request('PATCH', `/api/v1/nodes/${nodeName}`, { metadata: { labels: { 'platform-constructs.io/wao': 'fake' } } }, { contentType: 'application/merge-patch+json' });

    await waitWithReport(cluster, ns, 'WAO with 2 ready replicas', async () =>
      (await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/wao`)).body.status?.readyReplicas === 2, 120_000);
    const nc = await waitWithReport(cluster, ns, 'the node\'s NodeConfig with both readings', async () => {
      const r = await cluster.request('GET', `/apis/wao.bitmedia.co.jp/v1beta1/namespaces/${ns}/nodeconfigs/fake-nodes-${nodeName}`, undefined, { allowStatus: [404] });
      const readings = r.statusCode === 200 ? r.body.status?.readings : undefined;
      return readings?.inletTemp?.value === 15.5 && readings?.deltaP?.value === 7.5 && r.body;
    }, 90_000);
    expect(nc.spec.nodeName).toBe(nodeName);
    expect(nc.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');

    // Every replica serves /predict (the leader from its collectors, the other from the status).
    const pods = (await cluster.request('GET', `/api/v1/namespaces/${ns}/pods`)).body.items.filter((p: any) => p.status.phase === 'Running');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      const res = await fetch(`http://${pod.status.podIP}:5656/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ node: nodeName, cpuUsage: 10 }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ node: nodeName, nodeConfig: `${ns}/fake-nodes-${nodeName}`, watts: 3.14, inputs: { inletTemp: 15.5, deltaP: 7.5 } });
    }
    // The label removed: the NodeConfig goes.
    await cluster.request('PATCH', `/api/v1/nodes/${nodeName}`, { metadata: { labels: { 'platform-constructs.io/wao': null } } }, { contentType: 'application/merge-patch+json' });
    await waitWithReport(cluster, ns, 'the NodeConfig deleted', async () =>
      (await cluster.request('GET', `/apis/wao.bitmedia.co.jp/v1beta1/namespaces/${ns}/nodeconfigs/fake-nodes-${nodeName}`, undefined, { allowStatus: [404] })).statusCode === 404, 60_000);
  });

  it('Konsumerator rolls a template change out one instance at a time, each batch waiting for running pods', async () => {
    const ns = 'konsum-node';
    await cluster.applyObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: RESTRICTED_LABELS } }], { fieldManager: FIELD_MANAGER });
    // The operator runs as its Deployment's pods on the node, as its ServiceAccount.
    await deployKonsumerator(cluster, ns);
    {
      await waitWithReport(cluster, ns, 'the operator Ready and leading', async () => {
        const dep = (await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/konsumerator`)).body;
        const lease = await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/konsumerator`, undefined, { allowStatus: [404] });
        return dep.status?.readyReplicas === 2 && lease.statusCode === 200 && !!lease.body.spec.holderIdentity;
      }, 120_000);
      const consumer = (release: string) => ({
        apiVersion: 'konsumerator.lwolf.org/v1',
        kind: 'Consumer',
        metadata: { name: 'stream', namespace: ns },
        spec: {
          numPartitions: 3,
          name: 'stream',
          maxConcurrentUpdates: 1,
          autoscaler: { mode: '' },
          deploymentTemplate: {
            replicas: 1,
            selector: { matchLabels: { app: 'stream' } },
            template: {
              metadata: { labels: { app: 'stream' }, annotations: { release } },
              spec: {
                terminationGracePeriodSeconds: 1,
                securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
                containers: [{
                  name: 'consumer',
                  image: IMAGE,
                  command: ['/nodejs/bin/node', '-e', 'setInterval(() => {}, 1 << 30)'],
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
                }],
              },
            },
          },
          resourcePolicy: { containerPolicies: [{ containerName: 'consumer', minAllowed: { cpu: '10m', memory: '32Mi' }, maxAllowed: { cpu: '100m', memory: '64Mi' } }] },
        },
      }) as unknown as KubeObject;
      const available = async () => {
        const items = ((await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments`)).body.items as any[]).filter((x) => x.metadata.name.startsWith('stream-'));
        return items.map((x) => ({ release: x.spec.template.metadata.annotations?.release, available: (x.status?.availableReplicas ?? 0) >= 1 && x.status?.observedGeneration >= x.metadata.generation && (x.status?.updatedReplicas ?? 0) >= 1 }));
      };
      await cluster.applyObjects([consumer('one')], { fieldManager: FIELD_MANAGER });
      await waitWithReport(cluster, ns, '3 instances running', async () => {
        const a = await available();
        return a.length === 3 && a.every((x) => x.available);
      }, 180_000);
      // The partition env reached the running container.
      const pods = ((await cluster.request('GET', `/api/v1/namespaces/${ns}/pods`)).body.items as any[]).filter((p) => p.metadata.name.startsWith('stream-'));
      expect(pods.map((p) => p.spec.containers[0].env.find((e: any) => e.name === 'KONSUMERATOR_PARTITION').value).sort()).toEqual(['0', '1', '2']);

      await cluster.applyObjects([consumer('two')], { fieldManager: FIELD_MANAGER, force: true });
      let most = 0;
      await waitWithReport(cluster, ns, 'all 3 instances on release two, available', async () => {
        const a = await available();
        // Rolling: on the new release and not available yet. Never more than maxConcurrentUpdates.
        most = Math.max(most, a.filter((x) => x.release === 'two' && !x.available).length);
        return a.length === 3 && a.every((x) => x.release === 'two' && x.available);
      }, 240_000);
      expect(most).toBeLessThanOrEqual(1);
    }
  });

  it('the servo from its GitOps layout: webhook certificate generated and its CA injected, a real job pod measured by its monitor and reported once', async () => {
    const ns = 'servo-node';
    const jobs = 'servo-jobs';
    await cluster.applyObjects([ns, jobs].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: RESTRICTED_LABELS } })), { fieldManager: FIELD_MANAGER });
    // The optimizer: a recording HTTP server in a pod (pods reach no port of this process), behind a
    // Service whose ClusterIP the servo is given (the test node has no cluster DNS).
    const recorder = "const h=require('http');const seen=[];h.createServer((q,r)=>{let b='';q.on('data',c=>b+=c);q.on('end',()=>{" +
      "if(q.method==='GET'){r.writeHead(200,{'content-type':'application/json'});return r.end(JSON.stringify(seen));}" +
      "seen.push({path:q.url,type:q.headers['content-type'],body:JSON.parse(b||'null')});r.writeHead(200,{'content-type':'application/json'});r.end('{}');});}).listen(8080)";
    const restricted = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    await cluster.applyObjects([
      {
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'optimizer', namespace: ns, labels: { app: 'optimizer' } },
        spec: { automountServiceAccountToken: false, containers: [{ name: 'optimizer', image: IMAGE, command: ['/nodejs/bin/node', '-e', recorder], securityContext: restricted }] },
      },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'optimizer', namespace: ns }, spec: { selector: { app: 'optimizer' }, ports: [{ port: 8080, targetPort: 8080 }] } },
    ] as KubeObject[], { fieldManager: FIELD_MANAGER });
    const clusterIp = (await cluster.request('GET', `/api/v1/namespaces/${ns}/services/optimizer`)).body.spec.clusterIP;

    // The stack as a user writes it: the secret generator and the servo, its certificate generated.
    const out = join(work, 'servo-dist');
    const app = new App({ outdir: out });
    const chart = new Chart(app, 'servo', { namespace: ns });
    const generator = new SecretGenerator(chart, 'secret-generator', { replicas: 1 });
    new JobMeasurement(chart, 'servo', {
      namespaces: [jobs],
      url: `http://${clusterIp}:8080/metrics/{acct}/{app_id}/servo`,
      account: 'node-test',
      leaseDuration: Duration.seconds(15),
      webhookCertificate: WebhookCertificate.generated(generator),
    });
    GitOpsLayout.fromApp(app).write(out);
    await cluster.applyObjects(layoutObjects(out), { fieldManager: FIELD_MANAGER, namespace: ns });
    await waitWithReport(cluster, ns, 'the servo Ready (its webhook certificate generated and mounted) and the optimizer running', async () => {
      const dep = (await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/servo`)).body;
      const opt = (await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/optimizer`)).body;
      return dep.status?.readyReplicas === 2 && opt.status?.containerStatuses?.[0]?.ready === true;
    }, 240_000);
    await waitWithReport(cluster, ns, 'the CA injected into the webhook configuration', async () => {
      const cfg = (await cluster.request('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${ns}-servo`)).body;
      return !!cfg.webhooks[0].clientConfig.caBundle;
    }, 60_000);

    // About 2 s of CPU (at most 0.3 of a core: the node's CPU is mostly requested by the earlier
    // tests' pods), then 96 MiB touched and held a moment: what the monitor must see.
    const script = 'const t=process.cpuUsage();while((process.cpuUsage(t).user+process.cpuUsage(t).system)<2e6){}' +
      'const b=Buffer.alloc(96*1024*1024,1);setTimeout(()=>{console.log(b.length);process.exit(4)},500)';
    const jobPod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'measured-job', namespace: jobs },
      spec: {
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        containers: [{
          name: 'job', image: IMAGE, command: ['/nodejs/bin/node', '-e', script],
          env: [{ name: 'JOBID', value: 'node-job' }],
          resources: { requests: { cpu: '300m', memory: '256Mi' }, limits: { cpu: '300m', memory: '256Mi' } },
          securityContext: restricted,
        }],
      },
    };
    // failurePolicy Ignore: until the API server reaches the webhook (its configuration and the
    // Service's routes propagate after the pods are Ready), pods are admitted unchanged. A
    // dry-run create shows when the webhook is in effect.
    await waitWithReport(cluster, ns, 'the webhook in effect (a dry-run job pod gets the monitor)', async () => {
      const dry = (await cluster.request('POST', `/api/v1/namespaces/${jobs}/pods?dryRun=All`, jobPod)).body;
      return (dry.spec.initContainers ?? []).some((c: any) => c.name === MONITOR_CONTAINER);
    }, 60_000);
    const created = (await cluster.request('POST', `/api/v1/namespaces/${jobs}/pods`, jobPod)).body;
    // The API server called the servo's pods through its Service, trusting the injected CA.
    expect(created.spec.initContainers.map((c: any) => c.name)).toEqual([MONITOR_CONTAINER]);
    expect(created.spec.shareProcessNamespace).toBe(true);
    expect(created.metadata.finalizers).toEqual([MEASUREMENT_FINALIZER]);
    const pod = await waitWithReport(cluster, jobs, 'the job measured and released', async () => {
      const p = (await cluster.request('GET', `/api/v1/namespaces/${jobs}/pods/measured-job`)).body;
      return !!p.metadata.annotations?.[MEASURED_ANNOTATION] && !(p.metadata.finalizers ?? []).length && p;
    }, 180_000);
    // The monitor had stopped (the kubelet stops sidecars once the job container ended) and said so.
    expect(pod.status.initContainerStatuses.find((c: any) => c.name === MONITOR_CONTAINER).state.terminated.exitCode).toBe(0);
    expect(pod.status.qosClass).toBe('Guaranteed');

    const optimizerIp = (await cluster.request('GET', `/api/v1/namespaces/${ns}/pods/optimizer`)).body.status.podIP;
    const seen = (await (await fetch(`http://${optimizerIp}:8080/`)).json()) as any[];
    const measurements = seen.filter((r) => r.body?.event === 'MEASUREMENT');
    expect(measurements.map((r) => r.path)).toEqual(['/metrics/node-test/node-job/servo']);
    expect(seen.some((r) => r.body?.event === 'HELLO' && r.path === '/metrics/node-test/_global_/servo')).toBe(true);
    const [m] = measurements;
    process.stderr.write(`servo on the node: ${JSON.stringify(m.body.param.metrics)}\n`);
    expect(m.type).toBe('application/json');
    expect(m.body.param.annotations).toEqual({ resources: JSON.stringify({ limits: { cpu: '300m', memory: '256Mi' }, requests: { cpu: '300m', memory: '256Mi' } }), exitcode: 4 });
    const metrics = m.body.param.metrics;
    // 2 s of CPU at 0.3 of a core take about 7 s.
    expect(metrics.duration.value).toBeGreaterThanOrEqual(6);
    expect(metrics.duration.value).toBeLessThan(60);
    // The monitor sampled every 100 ms: at most one interval missed at the end.
    expect(metrics.cpu_time.value).toBeGreaterThan(1.7);
    expect(metrics.cpu_time.value).toBeLessThan(4);
    expect(metrics.max_memory.value).toBeGreaterThan(96 * 2 ** 20);
    expect(metrics.max_memory.value).toBeLessThan(256 * 2 ** 20);
  });

  it('stop() leaves no process, mount, namespace, link, cgroup or iptables chain behind', async () => {
    await cluster.stop();
    expect(snapshotMachine()).toEqual(before);
  });
});
