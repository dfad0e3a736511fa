import { Chart, Duration, Testing } from 'cdk8s';
import {
  AppConfig,
  AppConfigError,
  AppConfigSchema,
  ConfigAggregator,
  NUMALOGIC_APP_CONFIG_SCHEMA,
} from '../../../constructs/config-aggregator/index.js';
import { memoryQuantityToMiB } from '../../../lib/k8s/quantity.js';
import { CONFIG_AGGREGATOR_FLAGS, optionsFromFlags } from '../../../runtime/config-aggregator/flags.js';
import { parseFlags } from '../../../runtime/kit/flags.js';

const SEED_CONFIG = {
  service: 'test1',
  metric_configs: [
    { metric: 'rollout_error_rate', composite_keys: ['namespace', 'name', 'hash_id'], static_threshold: 3 },
    { metric: 'rollout_latency', composite_keys: ['namespace', 'name', 'hash_id'], static_threshold: 3 },
  ],
  unified_configs: [{ unified_metric_name: 'unified_anomaly', unified_metrics: ['rollout_error_rate', 'rollout_latency'] }],
};

function synthAggregator(props: Partial<ConstructorParameters<typeof ConfigAggregator>[2]> = {}) {
  const chart = Testing.chart();
  const agg = new ConfigAggregator(chart, 'agg', { configmapName: 'numalogic-argorollouts-config', namespace: 'numalogic', ...props });
  return { agg, objects: Testing.synth(chart) as any[] };
}

const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);

describe('ConfigAggregator construct', () => {
  it('synthesizes deployment, RBAC, service, PDB and schema ConfigMap with secure defaults', () => {
    const { objects } = synthAggregator();
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort(),
    );
    const [dep] = byKind(objects, 'Deployment');
    expect(dep.metadata.namespace).toBe('numalogic');
    expect(dep.spec.replicas).toBe(2);
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).toBe('config-aggregator');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '500m', memory: '256Mi', 'ephemeral-storage': '1Gi' },
    });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.image).toMatch(/^platform-controllers:/);
    expect(c.args).toEqual([
      'config-aggregator',
      '--configmap-name=numalogic-argorollouts-config',
      '--configmap-key=config.yaml',
      '--app-config-label=numaprom.numaproj.io/component=argo-rollouts',
      '--interval=3m0s',
      '--schema-configmap=application-config-schema',
      '--metrics-port=8080',
      '--leader-election-id=config-aggregator',
      '--lease-duration=15s',
      '--renew-deadline=10s',
      '--retry-period=2s',
    ]);
    expect(c.env.map((e: any) => e.name)).toEqual(['NAMESPACE', 'POD_NAME', 'NODE_OPTIONS']);
    expect(c.env[2].value).toBe('--max-old-space-size=128');
    expect(dep.metadata.labels['app.kubernetes.io/managed-by']).toBe('platform-constructs');
    const [cm] = byKind(objects, 'ConfigMap');
    expect(cm.metadata.name).toBe('application-config-schema');
    expect(JSON.parse(cm.data['schema.json'])).toEqual(NUMALOGIC_APP_CONFIG_SCHEMA);
  });

  it('the synthesized args parse with the controller flags (construct and runtime agree)', () => {
    const { objects } = synthAggregator({ resyncInterval: Duration.minutes(2), appConfigLabel: 'team/config: yes' });
    const args: string[] = byKind(objects, 'Deployment')[0].spec.template.spec.containers[0].args;
    const parsed = parseFlags(CONFIG_AGGREGATOR_FLAGS, args.slice(1), { NAMESPACE: 'numalogic', POD_NAME: 'p' });
    expect(optionsFromFlags(parsed.values)).toMatchObject({
      namespace: 'numalogic',
      configmapName: 'numalogic-argorollouts-config',
      labelSelector: 'team/config=yes',
      resyncIntervalMs: 120_000,
    });
  });

  it('grants least privilege: read ConfigMaps everywhere, write only the aggregate and its Lease', () => {
    const { objects } = synthAggregator();
    const [cr] = byKind(objects, 'ClusterRole');
    expect(cr.rules).toEqual([
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    const [role] = byKind(objects, 'Role');
    expect(role.metadata.namespace).toBe('numalogic');
    for (const rule of role.rules) {
      if (rule.verbs.some((v: string) => ['update', 'patch', 'get'].includes(v))) expect(rule.resourceNames).toHaveLength(1);
      expect(rule.verbs).not.toContain('delete');
      expect(rule.verbs).not.toContain('*');
    }
    expect(role.rules).toContainEqual({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['numalogic-argorollouts-config'],
      verbs: ['get', 'update', 'patch'],
    });
    const [crb] = byKind(objects, 'ClusterRoleBinding');
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'config-aggregator', namespace: 'numalogic' }]);
  });

  it('caps the Node heap at half the memory limit', () => {
    const env = (objects: any[]) => byKind(objects, 'Deployment')[0].spec.template.spec.containers[0].env;
    expect(env(synthAggregator({ resources: { memoryLimit: '1Gi' } }).objects)[2].value).toBe('--max-old-space-size=512');
    expect(memoryQuantityToMiB('500M')).toBeCloseTo(476.8, 1);
    expect(memoryQuantityToMiB('lots')).toBeUndefined();
    // A limit that is not a quantity is refused where it enters (the API server would refuse it).
    expect(() => synthAggregator({ resources: { memoryLimit: 'lots' } })).toThrow(/resources\.memoryLimit: "lots" is not a Kubernetes quantity/);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(synthAggregator().objects)).toBe(JSON.stringify(synthAggregator().objects));
  });

  it('takes the chart namespace and validates its props, naming the field', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'from-chart' });
    expect(new ConfigAggregator(chart, 'a', { configmapName: 'x' }).namespace).toBe('from-chart');
    expect(() => new ConfigAggregator(Testing.chart(), 'a', { configmapName: 'x' })).toThrow(/namespace: not given/);
    expect(() => synthAggregator({ configmapName: 'Bad_Name' })).toThrow(/configmapName: "Bad_Name"/);
    expect(() => synthAggregator({ appConfigLabel: 'no label' })).toThrow(/appConfigLabel/);
    expect(() => synthAggregator({ replicas: 0 })).toThrow(/replicas/);
    expect(() => synthAggregator({ schema: AppConfigSchema.of({ type: 'objekt' }) })).toThrow(/schema.*not a valid JSON Schema/);
  });
});

describe('AppConfig construct', () => {
  it('renders a labelled ConfigMap with the config as YAML', () => {
    const chart = Testing.chart();
    const agg = new ConfigAggregator(chart, 'agg', { configmapName: 'agg', namespace: 'numalogic', appConfigLabel: 'team=cfg' });
    new AppConfig(chart, 'app', { config: SEED_CONFIG, aggregator: agg, namespace: 'sandbox', name: 'my-app-config' });
    const cm = (Testing.synth(chart) as any[]).find((o) => o.metadata.name === 'my-app-config');
    expect(cm.metadata).toMatchObject({ namespace: 'sandbox', labels: { team: 'cfg' } });
    expect(cm.data.config).toContain('metric: rollout_error_rate');
  });

  it('uses the default label and schema without an aggregator', () => {
    const chart = Testing.chart();
    new AppConfig(chart, 'app', { config: SEED_CONFIG, namespace: 'sandbox' });
    const [cm] = Testing.synth(chart) as any[];
    expect(cm.metadata.labels).toEqual({ 'numaprom.numaproj.io/component': 'argo-rollouts' });
  });

  it('fails synthesis with the construct path and the JSON pointer of a bad field', () => {
    const chart = Testing.chart();
    const bad = { ...SEED_CONFIG, metric_configs: [{ metric: 'x', composite_keys: ['a'], static_threshold: 'high' }] };
    expect(() => new AppConfig(chart, 'app', { config: bad as never })).toThrow(AppConfigError);
    expect(() => new AppConfig(chart, 'app2', { config: bad as never })).toThrow(/app2: config: at \/metric_configs\/0\/static_threshold: must be number/);
    expect(() => new AppConfig(chart, 'app3', { config: { metric_configs: [] } as never })).toThrow(/at \/unified_configs: is required/);
  });

  it('validates against a custom schema', () => {
    const schema = AppConfigSchema.of({ type: 'object', required: ['owner'], properties: { owner: { type: 'string' } } });
    const chart = Testing.chart();
    new AppConfig<{ owner: string }>(chart, 'ok', { config: { owner: 'me' }, schema });
    expect(() => new AppConfig(chart, 'bad', { config: {}, schema })).toThrow(/bad: config: at \/owner: is required/);
  });
});
