/**
 * The example stack's derived NetworkPolicies, evaluated with the NetworkPolicy evaluator: every
 * pod is isolated both ways, every consumer -> module path of the wiring is open (on the module's
 * ports only), and paths nobody declared are closed. The API server accepting the same policies
 * is proven by the integration tests that apply the example (examples-apply, gitops-kustomize).
 */
import type { App } from 'cdk8s';
import { buildExampleApp, EXAMPLE_JOBS_NAMESPACE, EXAMPLE_KONSUMERATOR_NAMESPACE, EXAMPLE_NAMESPACE, EXAMPLE_SERVO_NAMESPACE, EXAMPLE_WAO_NAMESPACE, type ExampleQueue } from '../../../examples/cdk8s/app.js';
import { NetworkPolicies, type NetworkPolicyTarget } from '../../../lib/network/index.js';
import { allows, isSelected, type AddressRef, type NetworkPolicyObject, type PodRef } from '../../fixtures/network-policy-evaluator.js';

interface Stack {
  readonly app: App;
  readonly objects: any[];
  readonly policies: NetworkPolicyObject[];
  readonly targets: readonly NetworkPolicyTarget[];
}

function stack(queue: ExampleQueue = 'activemq'): Stack {
  const app = buildExampleApp(undefined, { queue });
  const objects = app.charts.flatMap((c) => c.toJson() as any[]);
  return { app, objects, policies: objects.filter((o) => o.kind === 'NetworkPolicy'), targets: NetworkPolicies.of(app).all };
}

/** The pods of every workload of the layout, as the evaluator sees them. */
function podsOf(objects: any[]): Array<PodRef & { readonly workload: string }> {
  return objects.flatMap((o) => {
    const template = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template : ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) ? o.spec.template : undefined;
    return template ? [{ workload: `${o.kind}/${o.metadata.name}`, namespace: o.metadata.namespace, labels: template.metadata.labels }] : [];
  });
}

const pod = (s: Stack, namespace: string, name: string): PodRef => {
  const t = s.targets.find((x) => x.namespace === namespace && x.name === name);
  if (!t) throw new Error(`no workload ${namespace}/${name}; have ${s.targets.map((x) => `${x.namespace}/${x.name}`).join(', ')}`);
  return { namespace, labels: t.podLabels };
};

const NS = EXAMPLE_NAMESPACE;
const PROMETHEUS: PodRef = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
const DNS: PodRef = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const API_SERVER: AddressRef = { ip: '10.96.0.1' };
const INTERNET: AddressRef = { ip: '198.51.100.20' };
const PERCONA_OPERATOR: PodRef = { namespace: 'psmdb-operator', labels: { 'app.kubernetes.io/name': 'percona-server-mongodb-operator' } };

describe.each<ExampleQueue>(['activemq', 'rabbitmq'])('the example stack\'s NetworkPolicies (%s)', (queue) => {
  const s = stack(queue);
  const queuePort = queue === 'activemq' ? 5672 : 5671;

  it('selects every pod of the layout, and the operator-made mongod pods, for ingress and egress', () => {
    const pods = [...podsOf(s.objects), { workload: 'mongod', ...pod(s, NS, 'mongodb-db-ps-rs0') }];
    expect(pods.length).toBeGreaterThanOrEqual(15);
    const unselected = pods.filter((p) => !isSelected(s.policies, p, 'Ingress') || !isSelected(s.policies, p, 'Egress')).map((p) => p.workload);
    expect(unselected).toEqual([]);
  });

  it('emits one policy per workload, each in its workload\'s chart and namespace', () => {
    expect(s.policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort()).toEqual(s.targets.map((t) => `${t.namespace}/${t.name}`).sort());
    for (const chart of s.app.charts) {
      for (const o of chart.toJson() as any[]) {
        if (o.kind === 'NetworkPolicy') expect(podsOf(chart.toJson() as any[]).some((p) => p.namespace === o.metadata.namespace) || o.metadata.name.endsWith('-rs0')).toBe(true);
      }
    }
  });

  it('opens every consumer -> module path of the wiring, on the module\'s ports', () => {
    let paths = 0;
    for (const consumer of s.targets) {
      const from = { namespace: consumer.namespace, labels: consumer.podLabels };
      for (const e of consumer.endpoints) {
        const servers = s.targets.filter((t) => t.servesEndpoint(e));
        const to = e.pods ? servers.map((t) => ({ namespace: t.namespace, labels: t.podLabels })) : [{ ip: '198.51.100.30' }];
        expect(to.length).toBeGreaterThan(0);
        for (const dest of to) {
          for (const { port, protocol } of e.ports) {
            expect([consumer.name, e.module, port, allows(s.policies, from, dest, port, protocol)]).toEqual([consumer.name, e.module, port, true]);
            paths++;
          }
        }
      }
    }
    expect(paths).toBeGreaterThanOrEqual(15);
  });

  it.each([
    ['control-plane', 'mongodb-db-ps-rs0', 27017], ['control-plane', queue, queuePort], ['control-plane', 'minio', 9000],
    ['compute-plane-default', 'mongodb-db-ps-rs0', 27017], ['compute-plane-default', queue, queuePort], ['compute-plane-default', 'minio', 9000],
    ['compute-plane-stream', 'mongodb-db-ps-rs0', 27017], ['compute-plane-stream', queue, queuePort],
    ['metrics-exporter', 'mongodb-db-ps-rs0', 27017], ['init', 'mongodb-db-ps-rs0', 27017],
    ['ingress', 'control-plane', 1080], ['ingress', 'gui', 1080],
    ['mongodb-db-ps-rs0', 'mongodb-db-ps-rs0', 27017],
  ])('allows %s -> %s:%d', (from, to, port) => {
    expect(allows(s.policies, pod(s, NS, from), pod(s, NS, to), port)).toBe(true);
  });

  it('allows the outside world and every pod into the ingress, on its listen ports only', () => {
    const ingress = pod(s, NS, 'ingress');
    const service = s.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'ingress');
    const ports: number[] = service.spec.ports.map((p: any) => p.targetPort);
    expect(ports).toHaveLength(2);
    for (const port of ports) {
      expect(allows(s.policies, INTERNET, ingress, port)).toBe(true);
      expect(allows(s.policies, { namespace: 'anywhere', labels: { app: 'client' } }, ingress, port)).toBe(true);
    }
    expect(allows(s.policies, INTERNET, ingress, 8081)).toBe(false);
  });

  it('lets every pod resolve names, and the scraper reach each metrics port', () => {
    for (const t of s.targets) expect([t.name, allows(s.policies, { namespace: t.namespace, labels: t.podLabels }, DNS, 53, 'UDP')]).toEqual([t.name, true]);
    expect(allows(s.policies, PROMETHEUS, pod(s, NS, 'control-plane'), 1081)).toBe(true);
    expect(allows(s.policies, PROMETHEUS, pod(s, NS, 'compute-plane-default'), 1080)).toBe(true);
    expect(allows(s.policies, PROMETHEUS, pod(s, NS, 'metrics-exporter'), 1080)).toBe(true);
    expect(allows(s.policies, PROMETHEUS, pod(s, NS, 'secret-generator'), 8080)).toBe(true);
  });

  it('lets the controllers, and only them, reach the API server; the API server reach the servo\'s webhook', () => {
    for (const [ns, name] of [[NS, 'secret-generator'], [NS, 'config-aggregator'], [EXAMPLE_WAO_NAMESPACE, 'wao'], [EXAMPLE_KONSUMERATOR_NAMESPACE, 'konsumerator'], [EXAMPLE_SERVO_NAMESPACE, 'servo']]) {
      expect([name, allows(s.policies, pod(s, ns, name), API_SERVER, 443)]).toEqual([name, true]);
    }
    for (const name of ['control-plane', 'compute-plane-default', 'metrics-exporter', 'gui', 'minio', 'init']) {
      expect([name, allows(s.policies, pod(s, NS, name), API_SERVER, 443)]).toEqual([name, false]);
    }
    expect(allows(s.policies, API_SERVER, pod(s, EXAMPLE_SERVO_NAMESPACE, 'servo'), 9443)).toBe(true);
    expect(allows(s.policies, API_SERVER, pod(s, NS, 'secret-generator'), 9443)).toBe(false);
  });

  it('lets the Percona operator, and no other outsider, configure mongod', () => {
    const mongod = pod(s, NS, 'mongodb-db-ps-rs0');
    expect(allows(s.policies, PERCONA_OPERATOR, mongod, 27017)).toBe(true);
    expect(allows(s.policies, PROMETHEUS, mongod, 27017)).toBe(false);
    expect(allows(s.policies, { namespace: EXAMPLE_JOBS_NAMESPACE, labels: { app: 'job' } }, mongod, 27017)).toBe(false);
  });

  it.each([
    ['config-aggregator', 'mongodb-db-ps-rs0', 27017, 'consumes no module'],
    ['gui', 'mongodb-db-ps-rs0', 27017, 'consumes no module'],
    ['metrics-exporter', queue, queuePort, 'consumes the table storage only'],
    ['metrics-exporter', 'minio', 9000, 'consumes the table storage only'],
    ['ingress', 'mongodb-db-ps-rs0', 27017, 'proxies to the control plane and GUI only'],
    ['secret-generator', 'minio', 9000, 'talks to the API server only'],
    ['compute-plane-default', 'control-plane', 1080, 'is not a client of the control plane'],
    ['control-plane', 'minio', 9001, 'the console port is no module endpoint'],
    ['control-plane', 'compute-plane-default', 1080, 'nobody consumes the compute plane'],
    ['init', 'control-plane', 1080, 'the init Job talks to the storage only'],
  ])('denies %s -> %s:%d (%s)', (from, to, port) => {
    expect(allows(s.policies, pod(s, NS, from), pod(s, NS, to), port)).toBe(false);
  });

  it('denies the modules\' pods any egress but DNS and their own replication', () => {
    for (const name of [queue, 'minio']) {
      expect(allows(s.policies, pod(s, NS, name), INTERNET, 443)).toBe(false);
      expect(allows(s.policies, pod(s, NS, name), pod(s, NS, 'control-plane'), 1080)).toBe(false);
    }
    expect(allows(s.policies, pod(s, NS, 'control-plane'), INTERNET, 443)).toBe(false);
  });
});
