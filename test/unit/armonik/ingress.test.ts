/**
 * Issue #19 item 1: ArmoniK's ingress as ArmoniK.Infra 0.15.1 deploys it (`armonik/ingress/`):
 * objects, the nginx configuration's locations and headers, TLS and mTLS material generated in
 * the cluster (never in the manifests) or referenced, the restricted pod, and bad input refused
 * naming the field. The configuration itself is checked by the real nginx in
 * test/integration/armonik-ingress.test.ts.
 */
import { Chart, Testing } from 'cdk8s';
import { ArmoniK, ArmoniKIngress, IngressClientCa, IngressTls, INGRESS_IMAGE } from '../../../constructs/armonik/index.js';
import { GENERATE_LABEL, SPEC_ANNOTATION } from '../../../lib/api/secret-generator/index.js';
import { ModuleOutputs } from '../../../lib/contract/index.js';
import { refused } from '../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const W = 'ArmoniKIngress test/ingress';
const CP = 'control-plane.armonik.svc.cluster.local:5001';
const synth = (props: Record<string, unknown> = {}) => {
  const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
  const ingress = new ArmoniKIngress(c, 'ingress', any({ controlPlane: CP, ...props }));
  return { ingress, objects: Testing.synth(c) };
};
const find = (objects: any[], kind: string, name?: string) => objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const specOf = (s: any) => JSON.parse(s.metadata.annotations[SPEC_ANNOTATION]);
const mtls = { clientCertificates: { submitter: {}, monitoring: { commonName: 'ops-monitoring' } } };

describe('defaults: TLS with a certificate generated in the cluster, Infra\'s ports, a LoadBalancer', () => {
  const { ingress, objects } = synth();
  const pod = find(objects, 'Deployment').spec.template.spec;
  const container = pod.containers[0];

  it('a ConfigMap, a Deployment, a Service and two generated Secrets (CA and server certificate), nothing secret inline', () => {
    expect(objects.map((o: any) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/ingress', 'Deployment/ingress', 'NetworkPolicy/ingress', 'Secret/ingress-server-ca', 'Secret/ingress-server-tls', 'Service/ingress',
    ]);
    for (const s of objects.filter((o: any) => o.kind === 'Secret')) {
      expect(s.data).toBeUndefined();
      expect(s.stringData).toBeUndefined();
      expect(s.metadata.labels[GENERATE_LABEL]).toBe('true');
    }
    expect(specOf(find(objects, 'Secret', 'ingress-server-ca')).certificate.isCA).toBe(true);
    const server = specOf(find(objects, 'Secret', 'ingress-server-tls'));
    expect(server.certificate).toMatchObject({ issuer: 'ingress-server-ca', commonName: 'ingress.armonik.svc.cluster.local' });
    expect(server.certificate.dnsNames).toEqual(['ingress', 'ingress.armonik', 'ingress.armonik.svc', 'ingress.armonik.svc.cluster.local']);
    expect(Object.keys(server.keys).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(ingress.endpoint).toBe('https://ingress.armonik.svc.cluster.local:5001');
  });

  it('the Service: http 5000 and grpc 5001 to nginx\'s 8443 and 9443, type LoadBalancer', () => {
    const service = find(objects, 'Service');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([['http', 5000, 8443], ['grpc', 5001, 9443]]);
  });

  it('the pod: nginx-unprivileged of ArmoniK 2.23.0, restricted (uid 10001), the config, /tmp and only the server certificate mounted', () => {
    expect(container.image).toBe(INGRESS_IMAGE);
    expect(INGRESS_IMAGE).toBe('nginxinc/nginx-unprivileged:1.29.5-alpine-slim');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(container.volumeMounts.map((m: any) => m.mountPath)).toEqual(['/etc/nginx/conf.d', '/tmp', '/var/cache/nginx', '/ingress/tls']);
    expect(pod.volumes.find((v: any) => v.name === 'tls').secret).toEqual({ secretName: 'ingress-server-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 8081 });
    expect(find(objects, 'ConfigMap').data['armonik.conf']).toBe(ingress.config);
  });

  it('the configuration: TLS on 8443 and 9443, gRPC to the control plane through a variable, identity headers dropped without mTLS', () => {
    const conf = ingress.config;
    expect(conf).toContain('listen 8443 ssl http2;');
    expect(conf).toContain('listen 9443 ssl http2;');
    expect(conf).toContain('ssl_certificate     /ingress/tls/tls.crt;');
    expect(conf).toContain(`set $armonik_upstream ${CP};`);
    expect(conf).toContain('grpc_pass grpc://$armonik_upstream;');
    expect(conf).toContain('resolver kube-dns.kube-system.svc.cluster.local valid=30s ipv6=off;');
    expect(conf).toContain('grpc_set_header X-Certificate-Client-CN "";');
    expect(conf).not.toContain('ssl_verify_client on');
    expect(conf).not.toContain('Access-Control-Allow-Origin');
    expect(conf).not.toContain('/admin/');
  });

  it('a changed configuration rolls the pods (its hash is in the pod template)', () => {
    const other = synth({ resolver: '10.96.0.10' }).objects;
    const hash = (o: any[]) => find(o, 'Deployment').spec.template.metadata.annotations['platform-constructs.io/module-env-hash'];
    expect(hash(objects)).toBeDefined();
    expect(hash(other)).not.toBe(hash(objects));
  });
});

describe('mTLS: a client CA and client certificates generated in the cluster', () => {
  const { ingress, objects } = synth({ mtls });

  it('one Secret per user, signed by the client CA, carrying the server CA to trust the ingress', () => {
    expect(ingress.clientCertificates).toEqual([
      { username: 'submitter', commonName: 'armonik-submitter', secretName: 'ingress-client-submitter' },
      { username: 'monitoring', commonName: 'ops-monitoring', secretName: 'ingress-client-monitoring' },
    ]);
    expect(specOf(find(objects, 'Secret', 'ingress-client-ca')).certificate.isCA).toBe(true);
    const sub = specOf(find(objects, 'Secret', 'ingress-client-submitter'));
    expect(sub.certificate).toMatchObject({ commonName: 'armonik-submitter', issuer: 'ingress-client-ca' });
    expect(sub.keys['ca.crt']).toEqual({ template: '{{secret:ingress-server-ca/tls.crt}}' });
  });

  it('nginx gets only the client CA\'s certificate, never its key; verifies clients and passes their identity to Core', () => {
    const pod = find(objects, 'Deployment').spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === 'client-ca').secret).toEqual({ secretName: 'ingress-client-ca', items: [{ key: 'tls.crt', path: 'ca.crt' }] });
    const conf = ingress.config;
    expect(conf).toContain('ssl_verify_client on;');
    expect(conf).toContain('ssl_client_certificate /ingress/client-ca/ca.crt;');
    expect(conf).toContain('grpc_set_header X-Certificate-Client-CN $client_cn;');
    expect(conf).toContain('grpc_set_header X-Certificate-Client-Fingerprint $client_fingerprint;');
    // No trusted names: a client's own headers never win.
    expect(conf).not.toContain('$http_x_certificate_client_cn;');
  });

  it('trusted common names may forward the caller\'s identity (regex-escaped)', () => {
    const conf = synth({ mtls: { ...mtls, trustedCommonNames: ['lb.armonik', 'x+y'] } }).ingress.config;
    expect(conf).toContain('"~^(.+)\\|(lb\\.armonik|x\\+y)$" $http_x_certificate_client_cn;');
  });

  it('an existing client CA: mounted by its key, no certificate generated', () => {
    const { objects: o } = synth({ mtls: { clientCa: IngressClientCa.fromSecret('corp-ca', 'bundle.pem') } });
    expect(o.filter((x: any) => x.kind === 'Secret').map((x: any) => x.metadata.name).sort()).toEqual(['ingress-server-ca', 'ingress-server-tls']);
    expect(find(o, 'Deployment').spec.template.spec.volumes.find((v: any) => v.name === 'client-ca').secret).toEqual({ secretName: 'corp-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] });
  });
});

describe('other settings', () => {
  it('no TLS: Infra\'s 8080 and 9080 (h2c), no Secret', () => {
    const { ingress, objects } = synth({ tls: false, service: { type: 'ClusterIP' } });
    expect(objects.some((o: any) => o.kind === 'Secret')).toBe(false);
    expect(ingress.config).toContain('listen 9080 http2;');
    expect(ingress.config).not.toContain('ssl');
    expect(find(objects, 'Service').spec.ports.map((p: any) => p.targetPort)).toEqual([8080, 9080]);
    expect(ingress.endpoint).toBe('http://ingress.armonik.svc.cluster.local:5001');
  });

  it('a certificate from a Secret or cert-manager', () => {
    const fromSecret = synth({ tls: IngressTls.fromSecret('my-tls') });
    expect(fromSecret.objects.some((o: any) => o.kind === 'Secret')).toBe(false);
    expect(fromSecret.ingress.tlsSecretName).toBe('my-tls');
    const cm = synth({ tls: IngressTls.fromCertManager({ name: 'letsencrypt', kind: 'ClusterIssuer' }, { dnsNames: ['armonik.example.com'] }) });
    const cert = find(cm.objects, 'Certificate');
    expect(cert.spec).toMatchObject({ secretName: 'ingress-server-tls', issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer', group: 'cert-manager.io' } });
    expect(cert.spec.dnsNames).toContain('armonik.example.com');
  });

  it('the GUI (with its languages), Grafana and Seq behind it; CORS as Infra\'s when asked', () => {
    const { ingress } = synth({ adminGui: { url: 'http://gui.armonik.svc.cluster.local:1080' }, grafana: 'http://grafana.monitoring:3000', seq: 'http://seq.monitoring:8080', langs: ['fr', 'en'], cors: {} });
    const conf = ingress.config;
    expect(conf).toContain('set $admin_app_upstream http://gui.armonik.svc.cluster.local:1080;');
    expect(conf).toContain('location = /admin/fr {');
    expect(conf).toContain('default en;');
    expect(conf).toContain('set $grafana_upstream http://grafana.monitoring:3000;');
    expect(conf).toContain('set $seq_upstream http://seq.monitoring:8080;');
    expect(conf).toContain('add_header Access-Control-Allow-Origin * always;');
    expect(conf).toContain('add_header Access-Control-Allow-Methods GET,POST,OPTIONS always;');
    expect(conf).toContain('x-grpc-web');
  });

  it('Service annotations and ports, replicas, pod settings', () => {
    const { objects } = synth({ service: { type: 'NodePort', annotations: { 'x/y': 'z' } }, httpPort: 443, grpcPort: 8443, replicas: 2, nodeSelector: { pool: 'edge' } });
    const service = find(objects, 'Service');
    expect(service.spec.type).toBe('NodePort');
    expect(service.metadata.annotations).toEqual({ 'x/y': 'z' });
    expect(service.spec.ports.map((p: any) => p.port)).toEqual([443, 8443]);
    const d = find(objects, 'Deployment').spec;
    expect(d.replicas).toBe(2);
    expect(d.template.spec.nodeSelector).toEqual({ pool: 'edge' });
  });
});

describe('bad input, at synth time, naming the field', () => {
  it('upstreams', () => {
    refused(() => synth({ controlPlane: 'control-plane' }), W, 'controlPlane', /is not host:port/);
    refused(() => synth({ controlPlane: 'cp:5001; evil' }), W, 'controlPlane');
    refused(() => synth({ adminGui: 'http://gui:1080/admin' }), W, 'adminGui', /no path/);
    refused(() => synth({ grafana: 'ftp://g' }), W, 'grafana');
    refused(() => synth({ seq: 'http://seq;return 200' }), W, 'seq');
  });

  it('TLS and mTLS', () => {
    refused(() => synth({ tls: false, mtls }), W, 'mtls', /needs TLS/);
    refused(() => synth({ tls: 'yes' }), W, 'tls');
    refused(() => synth({ mtls: {} }), W, 'mtls.clientCertificates', /nobody can connect/);
    refused(() => synth({ mtls: { clientCa: IngressClientCa.fromSecret('corp'), clientCertificates: { a: {} } } }), W, 'mtls.clientCertificates', /cannot sign/);
    refused(() => synth({ mtls: { clientCertificates: { a: { commonName: 'x' }, b: { commonName: 'x' } } } }), W, 'mtls.clientCertificates.b.commonName', /"x" is "a"'s certificate's name already/);
    refused(() => synth({ mtls: { clientCertificates: { Bad_User: {} } } }), W, 'mtls.clientCertificates.Bad_User');
    refused(() => synth({ mtls: { clientCertificates: { a: { commonName: 'a,b' } } } }), W, 'mtls.clientCertificates.a.commonName');
    refused(() => synth({ mtls: { ...mtls, trustedCommonNames: ['a b'] } }), W, 'mtls.trustedCommonNames[0]');
    refused(() => synth({ tls: IngressTls.generated({ dnsNames: ['Not A Name'] }) }), W, 'tls.dnsNames[0]');
    refused(() => synth({ tls: IngressTls.fromCertManager(any({ name: 'x', kind: 'Other' })) }), W, 'tls.issuer.kind');
  });

  it('ports, Service, CORS, languages, resolver, unknown fields', () => {
    refused(() => synth({ grpcPort: 5000 }), W, 'grpcPort', /httpPort too/);
    refused(() => synth({ httpPort: 0 }), W, 'httpPort');
    refused(() => synth({ service: { type: 'ExternalName' } }), W, 'service.type');
    refused(() => synth({ cors: { allowedHost: '* ; add_header X 1' } }), W, 'cors.allowedHost');
    refused(() => synth({ cors: { allowedMethods: ['get'] } }), W, 'cors.allowedMethods[0]');
    refused(() => synth({ cors: { allowedHeaders: ['X-Ok', 'bad header'] } }), W, 'cors.allowedHeaders[1]');
    refused(() => synth({ langs: ['fr'] }), W, 'langs', /must contain "en"/);
    refused(() => synth({ langs: ['en', 'de'] }), W, 'langs[1]', /not a language of the GUI/);
    refused(() => synth({ resolver: '10.0.0.1 8.8.8.8' }), W, 'resolver');
    refused(() => synth({ tsl: false }), W, 'tsl', /unknown field/);
    refused(() => synth({ name: 'x'.repeat(41) }), W, 'name', /at most 40/);
  });
});

describe('in ArmoniK: the ingress in front of its control plane and GUI, its certificates stored for their users', () => {
  const umbrella = (extra: Record<string, unknown>) => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    const a = new ArmoniK(c, 'a', any({ controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {}, podDeletionCost: false, ...extra }));
    return { a, objects: Testing.synth(c) as any[] };
  };

  it('upstreams are the control plane\'s endpoint and the GUI\'s URL; the init stores the generated certificates', () => {
    const { a, objects } = umbrella({
      adminGui: {},
      ingress: { mtls: { clientCertificates: { submitter: {}, monitoring: {} } } },
      authentication: {},
    });
    expect(a.ingress!.config).toContain('set $armonik_upstream control-plane.armonik.svc.cluster.local:5001;');
    expect(a.ingress!.config).toContain('set $admin_app_upstream http://gui.armonik.svc.cluster.local:1080;');
    const env = Object.fromEntries(objects.find((o) => o.kind === 'Job').spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    const certs = Object.keys(env).filter((k) => k.startsWith('InitServices__Authentication__UserCertificates__')).map((k) => JSON.parse(env[k]));
    expect(certs).toEqual([
      { User: 'submitter', Cn: 'armonik-submitter', Fingerprint: null },
      { User: 'monitoring', Cn: 'armonik-monitoring', Fingerprint: null },
    ]);
  });

  it('a certificate for nobody, or the ingress\'s own fields, are refused naming the ArmoniK field', () => {
    expect(() => umbrella({ ingress: { mtls: { clientCertificates: { carol: {} } } }, authentication: {} })).toThrow(/ArmoniK test\/a: ingress\.mtls\.clientCertificates\.carol: "carol" is not a user/);
    expect(() => umbrella({ ingress: { controlPlane: 'x:1' } })).toThrow(/ArmoniK test\/a: ingress\.controlPlane: unknown field/);
    expect(() => umbrella({ ingress: {}, authentication: { users: { a: { roles: ['Submitter'], certificates: [{ commonName: 'a' }] } } } })).toThrow(/ArmoniK test\/a: ingress\.mtls: authentication is required, so the ingress needs mTLS/);
    expect(() => umbrella({ ingress: {}, authentication: { requireAuthentication: false } })).not.toThrow();
  });

  it('Prometheus Operator monitors of the control plane, the polling agents and the metrics exporter', () => {
    const { objects } = umbrella({ prometheusMonitors: { labels: { release: 'prometheus' }, interval: '30s' } });
    const monitors = objects.filter((o) => o.apiVersion === 'monitoring.coreos.com/v1');
    expect(monitors.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['PodMonitor/armonik-control-plane', 'PodMonitor/armonik-polling-agent', 'ServiceMonitor/armonik-metrics-exporter']);
    for (const m of monitors) expect(m.metadata.labels.release).toBe('prometheus');
    expect(() => umbrella({ prometheusMonitors: { interval: 'often' } })).toThrow(/prometheusMonitors\.interval/);
  });
});

test('the production example of constructs/armonik/README.md synthesizes', () => {
  const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
  const [queue, objects, tables, shared] = ['queue', 'objects', 'tables', 'shared'].map((m) => ModuleOutputs.of(m, { env: { [`${m}__Host`]: m } }));
  const a = new ArmoniK(c, 'armonik', {
    controlPlane: { conf: [queue, objects, tables] },
    computePlane: { partitions: { default: {} }, nodeSelector: { pool: 'compute' } },
    pollingAgent: { conf: [queue, objects, tables] },
    worker: { conf: [shared], securityContext: { readOnlyRootFilesystem: false } },
    metricsExporter: { conf: [tables] },
    adminGui: {},
    ingress: {
      mtls: { clientCertificates: { submitter: {}, monitoring: {}, alice: { commonName: 'alice@acme' } } },
      service: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } },
      tls: IngressTls.generated({ dnsNames: ['armonik.acme.example'] }),
    },
    authentication: {
      roles: { Reader: ['Sessions:ListSessions', 'Tasks:ListTasks', 'Results:DownloadResultData'] },
      users: { alice: { roles: ['Reader'] } },
    },
    prometheusMonitors: { labels: { release: 'prometheus' } },
    logging: { level: 'Information' },
  });
  const out = Testing.synth(c) as any[];
  expect(a.ingress!.clientCertificates.map((x) => x.secretName)).toEqual(['ingress-client-submitter', 'ingress-client-monitoring', 'ingress-client-alice']);
  expect(out.filter((o) => o.kind === 'Secret').every((s) => s.data === undefined && s.stringData === undefined)).toBe(true);
});
