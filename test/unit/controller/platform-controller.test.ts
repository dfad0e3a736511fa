import { Chart, Duration, Testing } from 'cdk8s';
import {
  AppConfig,
  AppConfigSchema,
  ConfigAggregator,
} from '../../../constructs/config-aggregator/index.js';
import { ControllerWorkload, PlatformController, WebhookCertificate, type PlatformControllerProps } from '../../../constructs/controller/index.js';
import { SecretGenerator } from '../../../constructs/secret-generator/index.js';
import { CONFIG_AGGREGATOR_FLAGS, configAggregatorRules, describeAppConfigProblem } from '../../../lib/api/config-aggregator/index.js';
import { parseFlags, type FlagSpec } from '../../../lib/api/flags.js';
import { MANAGER_FLAGS } from '../../../lib/api/manager.js';
import { leaseRules, type ControllerRule } from '../../../lib/api/rbac.js';
import { SECRET_GENERATOR_FLAGS, secretGeneratorRules } from '../../../lib/api/secret-generator/index.js';
import type { AdmissionWebhookSpec } from '../../../lib/api/webhook.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import { checkEntry, compileSchema } from '../../../runtime/config-aggregator/aggregate.js';
import { NUMALOGIC_APP_CONFIG_SCHEMA } from '../../../constructs/config-aggregator/index.js';
import { Widget } from '../../fixtures/widget-crd.js';
import { declaredRules, grantedRules } from '../../fixtures/rbac.js';

const chart = () => new Chart(Testing.app(), 'stack', { namespace: 'platform' });
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const containerOf = (objects: any[]) => objects.find((o) => o.kind === 'Deployment' || o.kind === 'DaemonSet').spec.template.spec.containers[0];

describe('controller constructs agree with their lib/api folder', () => {
  it('ConfigAggregator: args parse with the runtime spec, RBAC equals the API rules plus the Lease', () => {
    const c = chart();
    const agg = new ConfigAggregator(c, 'agg', { configmapName: 'aggregate', appConfigLabel: 'team/config: yes', resyncInterval: Duration.seconds(90) });
    const objects = Testing.synth(c);
    const args: string[] = containerOf(objects).args;
    expect(args[0]).toBe('config-aggregator');
    const { values } = parseFlags(CONFIG_AGGREGATOR_FLAGS, args.slice(1), { NAMESPACE: 'platform' });
    expect(values).toMatchObject({ 'configmap-name': 'aggregate', 'app-config-label': 'team/config=yes', interval: 90_000, 'lease-duration': 15_000, 'metrics-port': 8080 });
    expect(grantedRules(objects)).toEqual(declaredRules([...configAggregatorRules('aggregate'), ...leaseRules('config-aggregator')], 'platform'));
    expect(agg.rules).toEqual([...configAggregatorRules('aggregate'), ...leaseRules('config-aggregator')]);
  });

  it.each([
    [undefined, ['platform']],
    [['team-b', 'team-a'], ['team-a', 'team-b']],
    [['*'], []],
  ])('SecretGenerator watching %j: args parse, RBAC equals the API rules', (watch, namespaces) => {
    const c = chart();
    new SecretGenerator(c, 'gen', { watchNamespaces: watch as string[] | undefined, workers: 3 });
    const objects = Testing.synth(c);
    const { values } = parseFlags(SECRET_GENERATOR_FLAGS, containerOf(objects).args.slice(1), { NAMESPACE: 'platform' });
    expect(values.namespaces).toBe(namespaces.join(','));
    expect(values.workers).toBe(3);
    expect(grantedRules(objects)).toEqual(declaredRules([...secretGeneratorRules(namespaces), ...leaseRules('secret-generator')], 'platform'));
  });

  it('a bad application config reads the same at synth time and in the controller Event', () => {
    const bad = { metric_configs: [{ metric: 'x', composite_keys: ['a'], static_threshold: 'high' }], unified_configs: [] };
    let synthMessage = '';
    try {
      new AppConfig(chart(), 'app', { config: bad as never, schema: AppConfigSchema.numalogic() });
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      synthMessage = (err as Error).message;
    }
    const compiled = compileSchema(JSON.stringify(NUMALOGIC_APP_CONFIG_SCHEMA));
    if (!compiled.ok) throw new Error(compiled.reason);
    const check = checkEntry(JSON.stringify(bad), compiled.schema);
    expect(check.ok).toBe(false);
    const runtimeWords = describeAppConfigProblem(check as { pointer: string; reason: string });
    expect(runtimeWords).toBe('at /metric_configs/0/static_threshold: must be number');
    expect(synthMessage).toBe(`stack/app: config: ${runtimeWords}`);
  });
});

const SAMPLE_FLAGS = [
  { name: 'target', type: 'string', required: true, description: 'What to watch.' },
  { name: 'period', type: 'duration', default: '30s', description: 'How often.' },
  ...MANAGER_FLAGS,
] as const satisfies readonly FlagSpec[];
const SAMPLE_RULES: ControllerRule[] = [{ scope: 'cluster', apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }];
const MUTATE_PODS: AdmissionWebhookSpec = {
  type: 'mutating',
  name: 'pods.sample.platform-constructs.io',
  path: '/mutate-pods',
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  namespaceSelector: { matchLabels: { 'sample/inject': 'true' } },
};
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function sample(props: Partial<PlatformControllerProps<typeof SAMPLE_FLAGS>> = {}) {
  const c = chart();
  const ctl = new PlatformController(c, 'sample', { controller: 'sample', flags: SAMPLE_FLAGS, args: { target: 'x' }, rules: SAMPLE_RULES, ...props });
  return { ctl, objects: Testing.synth(c) as any[] };
}

describe('PlatformController', () => {
  it('a per-node DaemonSet: NODE_NAME, no leader election, no Lease RBAC, no PDB', () => {
    const { ctl, objects } = sample({ workload: ControllerWorkload.daemonSet() });
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'DaemonSet', 'NetworkPolicy', 'Service', 'ServiceAccount']);
    const ctr = containerOf(objects);
    expect(ctr.env.find((e: any) => e.name === 'NODE_NAME').valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
    expect(parseFlags(SAMPLE_FLAGS, ctr.args.slice(1), { NAMESPACE: 'platform' }).values['leader-elect']).toBe(false);
    expect(ctl.leaseName).toBeUndefined();
    expect(ctl.rules).toEqual(SAMPLE_RULES);
  });

  it('a Deployment: leader election timing scaled from the lease duration, heap from the memory limit', () => {
    const { objects } = sample({ workload: ControllerWorkload.deployment({ replicas: 3, leaseDuration: Duration.seconds(30) }), resources: { memoryLimit: '1Gi' } });
    const ctr = containerOf(objects);
    const { values } = parseFlags(SAMPLE_FLAGS, ctr.args.slice(1), { NAMESPACE: 'platform' });
    expect([values['lease-duration'], values['renew-deadline'], values['retry-period']]).toEqual([30_000, 20_000, 4_000]);
    expect(ctr.env.find((e: any) => e.name === 'NODE_OPTIONS').value).toBe('--max-old-space-size=512');
    expect(byKind(objects, 'Deployment')[0].spec.replicas).toBe(3);
    expect(byKind(objects, 'PodDisruptionBudget')).toHaveLength(1);
    expect(byKind(objects, 'Role')[0].rules.map((r: any) => r.resources[0])).toEqual(['leases', 'leases']);
  });

  it('admission webhooks from a given Secret: Service, mount, CA bundle, its own namespace excluded', () => {
    const { objects } = sample({ webhooks: { webhooks: [MUTATE_PODS], certificate: WebhookCertificate.fromSecret('sample-tls', CA) } });
    const [mwc] = byKind(objects, 'MutatingWebhookConfiguration');
    expect(mwc.metadata.name).toBe('platform-sample');
    const [hook] = mwc.webhooks;
    expect(hook).toMatchObject({
      name: 'pods.sample.platform-constructs.io',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      failurePolicy: 'Fail',
      timeoutSeconds: 5,
      clientConfig: { service: { name: 'sample-webhook', namespace: 'platform', path: '/mutate-pods', port: 443 } },
    });
    expect(Buffer.from(hook.clientConfig.caBundle, 'base64').toString()).toBe(CA);
    expect(hook.namespaceSelector).toEqual({
      matchLabels: { 'sample/inject': 'true' },
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['platform'] }],
    });
    const svc = byKind(objects, 'Service').find((s) => s.metadata.name === 'sample-webhook');
    expect(svc.spec.ports[0]).toMatchObject({ port: 443, targetPort: 'webhook' });
    const pod = byKind(objects, 'Deployment')[0].spec.template.spec;
    expect(pod.volumes).toEqual([{ name: 'webhook-cert', secret: { secretName: 'sample-tls', defaultMode: 0o440 } }]);
    const { values } = parseFlags(SAMPLE_FLAGS, pod.containers[0].args.slice(1), { NAMESPACE: 'platform' });
    expect(values['webhook-cert-dir']).toBe(pod.containers[0].volumeMounts[0].mountPath);
    expect(pod.containers[0].ports.find((p: any) => p.name === 'webhook').containerPort).toBe(values['webhook-port']);
    expect(byKind(objects, 'ValidatingWebhookConfiguration')).toEqual([]);
  });

  it('admission webhooks from cert-manager: a Certificate and CA injection', () => {
    const validate: AdmissionWebhookSpec = { ...MUTATE_PODS, type: 'validating', name: 'v.sample.platform-constructs.io', path: '/validate' };
    const { objects } = sample({ webhooks: { webhooks: [validate], certificate: WebhookCertificate.fromCertManager({ name: 'ca', kind: 'ClusterIssuer' }) } });
    const [cert] = byKind(objects, 'Certificate');
    expect(cert.spec).toMatchObject({ secretName: 'sample-webhook-cert', dnsNames: ['sample-webhook.platform.svc', 'sample-webhook.platform.svc.cluster.local'], issuerRef: { name: 'ca', kind: 'ClusterIssuer' } });
    const [vwc] = byKind(objects, 'ValidatingWebhookConfiguration');
    expect(vwc.metadata.annotations).toEqual({ 'cert-manager.io/inject-ca-from': 'platform/sample-webhook' });
    expect(vwc.webhooks[0].clientConfig.caBundle).toBeUndefined();
    expect(vwc.webhooks[0].reinvocationPolicy).toBeUndefined();
  });

  it('emits the CRDs of the custom resources it owns, cluster-scoped, with its labels', () => {
    const { ctl, objects } = sample({ customResources: [Widget] });
    const [crd] = byKind(objects, 'CustomResourceDefinition');
    expect(crd.metadata.name).toBe(Widget.name);
    expect(crd.metadata.namespace).toBeUndefined();
    expect(crd.metadata.labels['app.kubernetes.io/instance']).toBe('sample');
    expect(crd.spec).toEqual(Widget.manifest().spec);
    expect([...ctl.customResourceDefinitions.keys()]).toEqual([Widget.name]);
    expect(() => sample({ customResources: [Widget, Widget] })).toThrow(/customResources: widgets\.examples\.platform-constructs\.io is given twice/);
  });

  it('more ports: declared on the container, a ClusterIP Service for those that ask, selecting its pods', () => {
    const { ctl, objects } = sample({
      ports: [
        { name: 'api', port: 9000, service: {} },
        { name: 'grpc', port: 9001, service: { name: 'sample-rpc', port: 80 } },
        { name: 'debug', port: 9002 },
      ],
    });
    expect(containerOf(objects).ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'api', containerPort: 9000, protocol: 'TCP' },
      { name: 'grpc', containerPort: 9001, protocol: 'TCP' },
      { name: 'debug', containerPort: 9002, protocol: 'TCP' },
    ]);
    const services = byKind(objects, 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(['sample', 'sample-api', 'sample-rpc']);
    const selector = byKind(objects, 'Deployment')[0].spec.selector.matchLabels;
    for (const s of services) expect(s.spec.selector).toEqual(selector);
    expect(services[1].spec).toEqual({ type: 'ClusterIP', selector, ports: [{ name: 'api', port: 9000, targetPort: 'api', protocol: 'TCP' }] });
    expect(services[2].spec.ports).toEqual([{ name: 'grpc', port: 80, targetPort: 'grpc', protocol: 'TCP' }]);
    expect([...ctl.portServices.keys()]).toEqual(['api', 'grpc']);
    expect(ctl.portServices.get('api')!.name).toBe('sample-api');
  });

  it('a ServiceMonitor when asked', () => {
    const { objects } = sample({ serviceMonitor: { interval: Duration.seconds(15), labels: { release: 'prom' } } });
    const [sm] = byKind(objects, 'ServiceMonitor');
    expect(sm.metadata.labels.release).toBe('prom');
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
    expect(sm.spec.selector.matchLabels).toEqual(byKind(objects, 'Service')[0].spec.selector);
  });

  it.each<[string, Partial<PlatformControllerProps<typeof SAMPLE_FLAGS>>, RegExp]>([
    ['a missing required flag', { args: {} }, /^stack\/sample: args\.target: is required by the controller$/],
    ['a flag of the wrong type', { args: { target: 'x', period: '30s' as never } }, /^stack\/sample: args\.period: "30s" is not a duration/],
    ['an unknown flag', { args: { target: 'x', bogus: 1 } as never }, /^stack\/sample: args\.bogus: unknown flag/],
    ['a manager flag in args', { args: { target: 'x', 'metrics-port': 9000 } }, /args\.metrics-port: is set by PlatformController/],
    ['resourceNames with create', { rules: [{ scope: 'namespace', apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'], verbs: ['create'] }] }, /rules\[0\]: limits create by resourceNames/],
    ['a webhook name of two labels', { webhooks: { webhooks: [{ ...MUTATE_PODS, name: 'pods.sample' }], certificate: WebhookCertificate.fromSecret('s', CA) } }, /webhooks\[0\]\.name: "pods\.sample" must be a DNS subdomain of at least three labels/],
    ['a webhook timeout of 60 s', { webhooks: { webhooks: [{ ...MUTATE_PODS, timeoutSeconds: 60 }], certificate: WebhookCertificate.fromSecret('s', CA) } }, /webhooks\[0\]\.timeoutSeconds: 60 must be an integer from 1 to 30/],
    ['a CA bundle that is not PEM', { webhooks: { webhooks: [MUTATE_PODS], certificate: WebhookCertificate.fromSecret('s', 'abc') } }, /webhookCertificate\.caBundle: must be the PEM/],
    ['the webhook port on the metrics port', { metricsPort: 9443, webhooks: { webhooks: [MUTATE_PODS], certificate: WebhookCertificate.fromSecret('s', CA) } }, /webhooks\.port: 9443 is the metrics port/],
    ['a privileged metrics port', { metricsPort: 80 }, /metricsPort: 80 is not a port from 1024 to 65535/],
    ['an extra port on the metrics port', { ports: [{ name: 'api', port: 8080 }] }, /ports\[0\]\.port: 8080 is already the port of metricsPort/],
    ['an extra port on the webhook port', { ports: [{ name: 'api', port: 9443 }], webhooks: { webhooks: [MUTATE_PODS], certificate: WebhookCertificate.fromSecret('s', CA) } }, /ports\[0\]\.port: 9443 is already the port of webhooks\.port/],
    ['an extra port named metrics', { ports: [{ name: 'metrics', port: 9000 }] }, /ports\[0\]\.name: "metrics" is a port of PlatformController itself/],
    ['an extra Service named as the webhook Service', { ports: [{ name: 'api', port: 9000, service: { name: 'sample-webhook' } }], webhooks: { webhooks: [MUTATE_PODS], certificate: WebhookCertificate.fromSecret('s', CA) } }, /ports\[0\]\.service\.name: "sample-webhook" is already the name of the webhook Service/],
  ])('rejects %s, naming the field', (_what, props, message) => {
    expect(() => sample(props)).toThrow(ValidationError);
    expect(() => sample(props)).toThrow(message);
  });
});
