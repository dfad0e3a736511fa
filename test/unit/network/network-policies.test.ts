/**
 * NetworkPolicies: policies derived from module endpoints and the components consuming them,
 * stack-wide settings, the opt-out, user workloads, and bad input named at its field.
 */
import { App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { AmazonMq, ANYWHERE, ControlPlane, ExternalMongoDb, ExternalS3, ExternalSqs, MinIo, ModuleOutputs, TerraformModule } from '../../../index.js';
import { NetworkPolicies } from '../../../lib/network/index.js';
import { allows, type NetworkPolicyObject } from '../../fixtures/network-policy-evaluator.js';
import { errorOf } from '../../fixtures/validation.js';

const policiesOf = (app: App): NetworkPolicyObject[] => app.charts.flatMap((c) => c.toJson() as any[]).filter((o) => o.kind === 'NetworkPolicy');
const policy = (app: App, name: string) => policiesOf(app).find((p) => p.metadata.name === name)!;

describe('NetworkPolicies', () => {
  it('derives ingress from consumers declared before or after the module, in other charts and namespaces', () => {
    const app = Testing.app();
    const apps = new Chart(app, 'apps', { namespace: 'apps' });
    const data = new Chart(app, 'data', { namespace: 'data' });
    // The consumer first: the module's ingress is computed at synthesis.
    const external = ModuleOutputs.of('object-storage', { env: { S3__Host: 'x' } });
    const minio = new MinIo(data, 'minio');
    new ControlPlane(apps, 'control-plane', { conf: [minio, external] });
    const minioPolicy = policy(app, 'minio');
    expect(minioPolicy.metadata.namespace).toBe('data');
    const cp = { namespace: 'apps', labels: NetworkPolicies.of(app).all.find((t) => t.name === 'control-plane')!.podLabels };
    const minioPod = { namespace: 'data', labels: NetworkPolicies.of(app).all.find((t) => t.name === 'minio')!.podLabels };
    expect(allows(policiesOf(app), cp, minioPod, 9000)).toBe(true);
    expect(allows(policiesOf(app), cp, minioPod, 9001)).toBe(false);
    expect(allows(policiesOf(app), { namespace: 'data', labels: cp.labels }, minioPod, 9000)).toBe(false);
  });

  it('gives an external endpoint egress by CIDR and port', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'apps' });
    const s3 = ModuleOutputs.of('s3', { env: { S3__EndpointUrl: 'https://s3.example.com' } }).withEndpoints([{ cidrs: ['192.0.2.0/24'], ports: [{ port: 443 }] }]);
    new ControlPlane(chart, 'cp', { conf: [s3] });
    const cp = { namespace: 'apps', labels: NetworkPolicies.of(app).all[0].podLabels };
    expect(allows(policiesOf(app), cp, { ip: '192.0.2.9' }, 443)).toBe(true);
    expect(allows(policiesOf(app), cp, { ip: '192.0.2.9' }, 80)).toBe(false);
    expect(allows(policiesOf(app), cp, { ip: '198.51.100.1' }, 443)).toBe(false);
    const anywhere = ModuleOutputs.of('s3', {}).withEndpoints([{ cidrs: ANYWHERE, ports: [{ port: 443 }] }]);
    expect(anywhere.endpoints[0].cidrs).toEqual(['0.0.0.0/0', '::/0']);
  });

  it('external modules declare their endpoint: every address on their port, or the CIDRs given', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'apps' });
    const mongo = new ExternalMongoDb(chart, 'mongo', { host: 'db.example.com', credentialsSecret: 'db' });
    expect(mongo.outputs.endpoints).toEqual([{ module: 'mongo', cidrs: ANYWHERE, ports: [{ port: 27017, protocol: 'TCP' }] }]);
    const narrowed = new ExternalMongoDb(chart, 'mongo2', { host: 'db.example.com', port: 27018, credentialsSecret: 'db', cidrs: ['10.8.0.0/16'] });
    expect(narrowed.outputs.endpoints).toEqual([{ module: 'mongo2', cidrs: ['10.8.0.0/16'], ports: [{ port: 27018, protocol: 'TCP' }] }]);
    expect(new ExternalS3(chart, 's3', { endpointUrl: 'http://s3.internal:7480', bucketName: 'bucket' }).outputs.endpoints[0].ports).toEqual([{ port: 7480, protocol: 'TCP' }]);
    expect(ExternalS3.aws(chart, 'aws', { region: 'eu-west-3', bucketName: 'bucket' }).outputs.endpoints[0].ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(new ExternalSqs(chart, 'sqs', { serviceUrl: 'https://sqs.eu-west-3.amazonaws.com' }).outputs.endpoints[0].ports).toEqual([{ port: 443, protocol: 'TCP' }]);
    expect(new AmazonMq(chart, 'mq', { host: 'b-1.mq.eu-west-3.amazonaws.com', credentialsSecret: 'mq' }).outputs.endpoints[0].ports).toEqual([{ port: 5671, protocol: 'TCP' }]);
    const e = errorOf(() => new ExternalMongoDb(chart, 'mongo3', { host: 'db', credentialsSecret: 'db', cidrs: ['10.8.0.0'] }));
    expect([e.source, e.field]).toEqual(['ExternalMongoDb c/mongo3', 'cidrs[0]']);
  });

  it('a Terraform module declares its endpoints as an option; without, it is reached by no one', () => {
    const chart = new Chart(Testing.app(), 'c', { namespace: 'apps' });
    const output = { env: { value: { MongoDB__Host: 'db' }, type: 'object', sensitive: false } };
    expect(new TerraformModule(chart, 'plain', output).outputs.endpoints).toEqual([]);
    const db = new TerraformModule(chart, 'db', output, { endpoints: [{ cidrs: ['10.0.8.0/24'], ports: [{ port: 27017 }] }] });
    expect(db.outputs.endpoints).toEqual([{ module: 'db', cidrs: ['10.0.8.0/24'], ports: [{ port: 27017, protocol: 'TCP' }] }]);
    expect(errorOf(() => new TerraformModule(chart, 'bad', output, { endpoints: [{ cidrs: [], ports: [{ port: 1 }] }] })).field).toBe('endpoints[0].cidrs');
  });

  it('lets a user workload consume a module through the registry', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'apps' });
    const minio = new MinIo(chart, 'minio');
    const mine = NetworkPolicies.of(chart).add(chart, 'my-app', { name: 'my-app', namespace: 'apps', podSelector: { app: 'mine' }, consumes: [minio] });
    expect(mine.endpoints).toHaveLength(1);
    const minioPod = { namespace: 'apps', labels: NetworkPolicies.of(app).all[0].podLabels };
    expect(allows(policiesOf(app), { namespace: 'apps', labels: { app: 'mine' } }, minioPod, 9000)).toBe(true);
    mine.allowTo({ cidrs: ['203.0.113.0/24'] }, [8443]);
    expect(allows(policiesOf(app), { namespace: 'apps', labels: { app: 'mine' } }, { ip: '203.0.113.1' }, 8443)).toBe(true);
  });

  it('a consumer added after a synthesis is in the next one; many consumers of one module share its endpoint', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'apps' });
    const minio = new MinIo(chart, 'minio');
    const registry = NetworkPolicies.of(app);
    const minioPod = { namespace: 'apps', labels: registry.all[0].podLabels };
    const consumer = (i: number) => registry.add(new Construct(chart, `app-${i}`), `app-${i}`, { name: `app-${i}`, namespace: 'apps', podSelector: { app: `a${i}` }, consumes: [minio] });
    consumer(0);
    expect(allows(policiesOf(app), { namespace: 'apps', labels: { app: 'a0' } }, minioPod, 9000)).toBe(true);
    for (let i = 1; i <= 50; i++) consumer(i);
    const from = (policy(app, 'minio').spec.ingress ?? []).flatMap((r: any) => r.from.map((f: any) => f.podSelector.matchLabels.app));
    expect(from.sort()).toEqual(Array.from({ length: 51 }, (_, i) => `a${i}`).sort());
    expect(allows(policiesOf(app), { namespace: 'apps', labels: { app: 'a50' } }, minioPod, 9000)).toBe(true);
    expect(allows(policiesOf(app), { namespace: 'apps', labels: { app: 'a51' } }, minioPod, 9000)).toBe(false);
  });

  it('applies the stack\'s settings: DNS, API server, scraper', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'apps' });
    NetworkPolicies.of(app).configure({ dns: { namespace: 'dns', labels: { app: 'coredns' } }, apiServer: { cidrs: ['172.18.0.2/32'], ports: [6443] }, scraper: { namespace: 'monitoring' } });
    const t = NetworkPolicies.of(app).add(chart, 'ctl', { name: 'ctl', namespace: 'apps', podSelector: { app: 'ctl' }, apiServer: true, metricsPorts: [8080] });
    const ctl = { namespace: 'apps', labels: t.podLabels };
    const ps = policiesOf(app);
    expect(allows(ps, ctl, { namespace: 'dns', labels: { app: 'coredns' } }, 53, 'UDP')).toBe(true);
    expect(allows(ps, ctl, { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } }, 53, 'UDP')).toBe(false);
    expect(allows(ps, ctl, { ip: '172.18.0.2' }, 6443)).toBe(true);
    expect(allows(ps, ctl, { ip: '172.18.0.3' }, 6443)).toBe(false);
    expect(allows(ps, ctl, { ip: '172.18.0.2' }, 443)).toBe(false);
    expect(allows(ps, { namespace: 'monitoring', labels: { any: 'pod' } }, ctl, 8080)).toBe(true);
    expect(allows(ps, { namespace: 'other', labels: { 'app.kubernetes.io/name': 'prometheus' } }, ctl, 8080)).toBe(false);
  });

  it('is on by default and can be switched off (and on again) for the whole stack, before synthesis', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'apps' });
    new MinIo(chart, 'minio');
    expect(policiesOf(app)).toHaveLength(1);
    NetworkPolicies.of(app).configure({ enabled: false });
    new ControlPlane(chart, 'cp', { conf: [] });
    expect(policiesOf(app)).toHaveLength(0);
    expect(NetworkPolicies.of(app).enabled).toBe(false);
    NetworkPolicies.of(app).configure({ enabled: true });
    expect(policiesOf(app).map((p) => p.metadata.name).sort()).toEqual(['control-plane', 'minio']);
  });

  it('keeps stacks apart: each construct tree has its own policies', () => {
    const a = Testing.app();
    const b = Testing.app();
    NetworkPolicies.of(a).configure({ enabled: false });
    new MinIo(new Chart(b, 'c', { namespace: 'x' }), 'minio');
    expect(NetworkPolicies.of(b).enabled).toBe(true);
    expect(policiesOf(b)).toHaveLength(1);
  });

  it('renders rules in a stable order, ports merged per peer, every port when a rule has none', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'apps' });
    const t = NetworkPolicies.of(app).add(chart, 'w', { name: 'w', namespace: 'apps', podSelector: { app: 'w' } });
    t.allowFrom({ namespace: 'b' }, [81]);
    t.allowFrom({ namespace: 'a' }, [{ port: 53, protocol: 'UDP' }]);
    t.allowFrom({ namespace: 'b' }, [80, 81]);
    t.allowTo({ labels: { app: 'z' } });
    t.allowTo({ labels: { app: 'z' } }, [1]);
    const spec = policy(app, 'w').spec as any;
    t.allowFrom({ namespace: 'c' }, [81, 80]);
    const ns = (peer: any) => peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'];
    // Peers on the same ports share a rule.
    expect((policy(app, 'w').spec as any).ingress.map((r: any) => [r.from.map(ns), r.ports])).toEqual([
      [['b', 'c'], [{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 81 }]],
      [['a'], [{ protocol: 'UDP', port: 53 }]],
    ]);
    const toZ = spec.egress.find((r: any) => r.to[0].podSelector.matchLabels?.app === 'z');
    expect(toZ).toEqual({ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'z' } } }] });
  });

  describe('bad input is named at its field', () => {
    const chart = () => new Chart(Testing.app(), 'c', { namespace: 'apps' });
    it.each<[string, () => unknown, string, RegExp]>([
      ['an endpoint with pods and cidrs', () => ModuleOutputs.of('m', {}).withEndpoints([{ pods: { namespace: 'a', labels: { x: 'y' } }, cidrs: ['10.0.0.0/8'], ports: [{ port: 1 }] }]), 'endpoints[0]', /exactly one of `pods`/],
      ['an endpoint without ports', () => ModuleOutputs.of('m', {}).withEndpoints([{ cidrs: ['10.0.0.0/8'], ports: [] }]), 'endpoints[0].ports', /non-empty list/],
      ['a port out of range', () => ModuleOutputs.of('m', {}).withEndpoints([{ cidrs: ['10.0.0.0/8'], ports: [{ port: 70000 }] }]), 'endpoints[0].ports[0].port', /port/],
      ['a bad protocol', () => ModuleOutputs.of('m', {}).withEndpoints([{ cidrs: ['10.0.0.0/8'], ports: [{ port: 1, protocol: 'ICMP' as any }] }]), 'endpoints[0].ports[0].protocol', /TCP, UDP, SCTP/],
      ['a CIDR without prefix', () => ModuleOutputs.of('m', {}).withEndpoints([{ cidrs: ['10.0.0.1'], ports: [{ port: 1 }] }]), 'endpoints[0].cidrs[0]', /is not a CIDR/],
      ['an IPv6 CIDR too long', () => ModuleOutputs.of('m', {}).withEndpoints([{ cidrs: ['2001:db8::/129'], ports: [{ port: 1 }] }]), 'endpoints[0].cidrs[0]', /is not a CIDR/],
      ['pods with no labels', () => ModuleOutputs.of('m', {}).withEndpoints([{ pods: { namespace: 'a', labels: {} }, ports: [{ port: 1 }] }]), 'endpoints[0].pods.labels', /non-empty/],
      ['pods in a bad namespace', () => ModuleOutputs.of('m', {}).withEndpoints([{ pods: { namespace: 'A_b', labels: { a: 'b' } }, ports: [{ port: 1 }] }]), 'endpoints[0].pods.namespace', /DNS-1123/],
      ['an empty peer', () => NetworkPolicies.of(chart()).configure({ scraper: {} }), 'scraper', /needs `namespace`, `labels` or `cidrs`/],
      ['a peer with cidrs and labels', () => NetworkPolicies.of(chart()).configure({ dns: { cidrs: ['10.0.0.0/8'], labels: { a: 'b' } } }), 'dns', /not both/],
      ['an unknown setting', () => NetworkPolicies.of(chart()).configure({ dsn: {} } as any), 'dsn', /unknown field/],
      ['enabled not a boolean', () => NetworkPolicies.of(chart()).configure({ enabled: 'no' as any }), 'enabled', /must be true or false/],
      ['API server ports empty', () => NetworkPolicies.of(chart()).configure({ apiServer: { ports: [] } }), 'apiServer.ports', /non-empty/],
      ['a rule that is not an object', () => { const c = chart(); NetworkPolicies.of(c).add(c, 'w', { name: 'w', namespace: 'apps', podSelector: { a: 'b' }, allowIngress: ['x' as any] }); }, 'allowIngress[0]', /must be an object/],
      ['a metrics port out of range, refused where the workload registers', () => { const c = chart(); NetworkPolicies.of(c).add(c, 'w', { name: 'w', namespace: 'apps', podSelector: { a: 'b' }, metricsPorts: [0] }); }, 'metricsPorts[0]', /port/],
      ['a label that is not valid', () => { const c = chart(); NetworkPolicies.of(c).add(c, 'w', { name: 'w', namespace: 'apps', podSelector: { 'a b': 'c' } }); }, 'networkPolicy.podSelector.a b', /./],
    ])('%s', (_, f, field, message) => {
      const e = errorOf(f);
      expect(e.field).toBe(field);
      expect(e.message).toMatch(message);
    });
  });
});
