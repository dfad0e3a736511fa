/**
 * The Wao construct: what it synthesizes agrees with lib/api/wao (args are the flag rendering
 * and parse back to the props, RBAC is waoRules plus the Lease, the CRDs are the declarations'),
 * the prediction endpoint has its port and Service unless turned off, and every prop is checked
 * where it enters, the error naming it.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { Wao, type WaoProps } from '../../../../constructs/wao/index.js';
import { parseFlags, renderFlags } from '../../../../lib/api/flags.js';
import { leaseRules } from '../../../../lib/api/rbac.js';
import { NodeConfigDeclaration, NodeConfigTemplateDeclaration, WAO_FLAGS, waoOptionsFromFlags, waoRules } from '../../../../lib/api/wao/index.js';
import { errorOf, refused } from '../../../fixtures/validation.js';
import { declaredRules, grantedRules } from '../../../fixtures/rbac.js';

const any = (v: unknown) => v as any;
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const containerOf = (objects: any[]) => byKind(objects, 'Deployment')[0].spec.template.spec.containers[0];

function synth(props: WaoProps = {}, namespace: string | undefined = 'wao-system') {
  const chart = new Chart(Testing.app(), 'stack', namespace ? { namespace } : {});
  const wao = new Wao(chart, 'wao', props);
  return { wao, objects: Testing.synth(chart) as any[] };
}

describe('Wao', () => {
  it('the objects: ServiceAccount, RBAC, Deployment, metrics and prediction Services, PDB, both CRDs', () => {
    const { objects } = synth();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/wao-system-wao',
      'ClusterRoleBinding/wao-system-wao',
      `CustomResourceDefinition/${NodeConfigDeclaration.name}`,
      `CustomResourceDefinition/${NodeConfigTemplateDeclaration.name}`,
      'Deployment/wao',
      'NetworkPolicy/wao',
      'PodDisruptionBudget/wao',
      'Role/wao',
      'RoleBinding/wao',
      'Service/wao',
      'Service/wao-prediction',
      'ServiceAccount/wao',
    ]);
    for (const crd of byKind(objects, 'CustomResourceDefinition')) {
      const declaration = [NodeConfigDeclaration, NodeConfigTemplateDeclaration].find((d) => d.name === crd.metadata.name)!;
      expect(crd.spec).toEqual(declaration.manifest().spec);
      expect(crd.metadata.namespace).toBeUndefined();
    }
    const dep = byKind(objects, 'Deployment')[0];
    expect(dep.spec.replicas).toBe(2);
    expect(dep.metadata.namespace).toBe('wao-system');
  });

  it('args: the rendering of WAO_FLAGS, and what the runtime makes of them is the props', () => {
    const props: WaoProps = {
      watchNamespaces: ['wao-b', 'wao-a'],
      predictionPort: 7000,
      predictionCacheTtl: Duration.minutes(2),
      predictionCacheSize: 500,
      workers: 8,
      statusInterval: Duration.seconds(30),
      metricsPort: 9090,
    };
    const { wao, objects } = synth(props);
    const args: string[] = containerOf(objects).args;
    expect(args[0]).toBe('wao');
    expect(args.slice(1)).toEqual(
      renderFlags(WAO_FLAGS, {
        namespaces: 'wao-a,wao-b',
        'prediction-port': 7000,
        'prediction-cache-ttl': 120_000,
        'prediction-cache-size': 500,
        workers: 8,
        'status-interval': 30_000,
        'metrics-port': 9090,
        'leader-election-id': 'wao',
        'lease-duration': 15_000,
        'renew-deadline': 10_000,
        'retry-period': 2_000,
      }),
    );
    const options = waoOptionsFromFlags(parseFlags(WAO_FLAGS, args.slice(1), { NAMESPACE: 'wao-system' }).values);
    expect(options).toEqual({
      namespace: 'wao-system',
      namespaces: ['wao-a', 'wao-b'],
      predictionPort: 7000,
      predictionCacheTtlMs: 120_000,
      predictionCacheSize: 500,
      workers: 8,
      statusIntervalMs: 30_000,
      metricsPort: 9090,
    });
    expect(wao.options).toEqual(options);
    expect(wao.watchNamespaces).toEqual(['wao-a', 'wao-b']);
  });

  it('the defaults are the flags\' defaults', () => {
    const { wao, objects } = synth();
    const parsed = parseFlags(WAO_FLAGS, containerOf(objects).args.slice(1), { NAMESPACE: 'wao-system' }).values;
    expect(wao.options).toEqual(waoOptionsFromFlags(parseFlags(WAO_FLAGS, [], { NAMESPACE: 'wao-system' }).values));
    expect(waoOptionsFromFlags(parsed)).toEqual(wao.options);
  });

  it('RBAC: exactly waoRules of the watched namespaces plus its Lease', () => {
    const { wao, objects } = synth({ watchNamespaces: ['wao-system', 'edge'] });
    const expected = [...waoRules(['edge', 'wao-system']), ...leaseRules('wao')];
    expect(wao.rules).toEqual(expected);
    expect(grantedRules(objects)).toEqual(declaredRules(expected, 'wao-system'));
    expect(byKind(objects, 'Role').map((r) => r.metadata.namespace).sort()).toEqual(['edge', 'wao-system']);
    expect(byKind(objects, 'ClusterRole')[0].rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
  });

  it('the prediction endpoint: a container port and a ClusterIP Service selecting the controller\'s pods', () => {
    const { wao, objects } = synth();
    expect(containerOf(objects).ports).toEqual([
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
      { name: 'prediction', containerPort: 5656, protocol: 'TCP' },
    ]);
    const svc = byKind(objects, 'Service').find((s) => s.metadata.name === 'wao-prediction');
    expect(svc.metadata.namespace).toBe('wao-system');
    expect(svc.spec).toEqual({
      type: 'ClusterIP',
      selector: byKind(objects, 'Deployment')[0].spec.selector.matchLabels,
      ports: [{ name: 'prediction', port: 5656, targetPort: 'prediction', protocol: 'TCP' }],
    });
    expect(wao.predictionPort).toBe(5656);
    expect(wao.predictionService?.name).toBe('wao-prediction');
    expect(wao.predictionUrl).toBe('http://wao-prediction.wao-system.svc:5656/predict');
  });

  it.each([0, false] as const)('predictionPort %p turns the endpoint and its Service off', (off) => {
    const { wao, objects } = synth({ predictionPort: off });
    expect(containerOf(objects).args).toContain('--prediction-port=0');
    expect(containerOf(objects).ports.map((p: any) => p.name)).toEqual(['metrics']);
    expect(byKind(objects, 'Service').map((s) => s.metadata.name)).toEqual(['wao']);
    expect([wao.predictionPort, wao.predictionService, wao.predictionUrl, wao.options.predictionPort]).toEqual([undefined, undefined, undefined, 0]);
  });

  it('namespace: the chart\'s, else wao-system; the watched namespaces default to it', () => {
    expect(synth({}, 'ops').wao.namespace).toBe('ops');
    expect(synth({}, 'ops').wao.watchNamespaces).toEqual(['ops']);
    const { wao, objects } = synth({}, undefined);
    expect(wao.namespace).toBe('wao-system');
    expect(wao.watchNamespaces).toEqual(['wao-system']);
    expect(byKind(objects, 'Deployment')[0].metadata.namespace).toBe('wao-system');
    expect(synth({ namespace: 'power' }, 'ops').wao.watchNamespaces).toEqual(['power']);
  });

  it('name, replicas, lease, image and resources reach the workload', () => {
    const { objects } = synth({ name: 'power', replicas: 3, leaseDuration: Duration.seconds(30), image: { registry: 'ghcr.io/acme', tag: '1.0.0' }, resources: { memoryLimit: '512Mi' } });
    const dep = byKind(objects, 'Deployment')[0];
    expect([dep.metadata.name, dep.spec.replicas]).toEqual(['power', 3]);
    const c = dep.spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/acme/platform-controllers:1.0.0');
    expect(c.resources.limits.memory).toBe('512Mi');
    expect(c.args).toEqual(expect.arrayContaining(['--leader-election-id=power', '--lease-duration=30s']));
    expect(byKind(objects, 'Service').map((s) => s.metadata.name)).toEqual(['power', 'power-prediction']);
  });

  it('its CRD constructs, for the custom resources that must be applied after them', () => {
    const { wao } = synth();
    expect(wao.nodeConfigDefinition.name).toBe(NodeConfigDeclaration.name);
    expect(wao.nodeConfigTemplateDefinition.name).toBe(NodeConfigTemplateDeclaration.name);
    expect([...wao.customResourceDefinitions.keys()]).toEqual([NodeConfigDeclaration.name, NodeConfigTemplateDeclaration.name]);
  });
});

describe('Wao props are checked, the error naming the prop', () => {
  const W = 'stack/wao';
  it.each<[string, WaoProps, string, RegExp]>([
    ['a namespace that is not a DNS-1123 label', { namespace: 'Wao_System' }, 'namespace', /not a DNS-1123 label/],
    ['watchNamespaces not a list', { watchNamespaces: any('a,b') }, 'watchNamespaces', /must be a list of namespaces, not string "a,b"/],
    ['watchNamespaces empty', { watchNamespaces: [] }, 'watchNamespaces', /is empty: WAO reads Secrets/],
    ['a watched namespace that is not a label', { watchNamespaces: ['ok', 'Not OK'] }, 'watchNamespaces[1]', /not a DNS-1123 label/],
    ['a name that is not a Service name', { name: '1wao' }, 'name', /not a valid Service name/],
    ['a name too long for the prediction Service', { name: `w${'x'.repeat(55)}` }, 'name', /too long or invalid for the prediction Service name/],
    ['replicas', { replicas: 0 }, 'replicas', /0 is not a positive integer/],
    ['a lease of 1.5 s', { leaseDuration: Duration.millis(1500) }, 'leaseDuration', /in whole seconds/],
    ['an image tag with a space', { image: { tag: 'bad tag' } }, 'image.tag', /not a valid image tag/],
    ['a resource that is not a quantity', { resources: { cpuLimit: 'lots' } }, 'resources.cpuLimit', /not a Kubernetes quantity/],
    ['a privileged metrics port', { metricsPort: 80 }, 'metricsPort', /80 is not a port from 1024 to 65535/],
    ['a privileged prediction port', { predictionPort: 443 }, 'predictionPort', /443 is not a port from 1024 to 65535/],
    ['a prediction port that is not a number', { predictionPort: any('5656') }, 'predictionPort', /string "5656"/],
    ['prediction port true', { predictionPort: any(true) }, 'predictionPort', /true/],
    ['the prediction port on the metrics port', { predictionPort: 9090, metricsPort: 9090 }, 'predictionPort', /9090 is the metricsPort/],
    ['the default prediction port on the metrics port', { metricsPort: 5656 }, 'predictionPort', /5656 is the metricsPort/],
    ['a cache TTL that is not a Duration', { predictionCacheTtl: any('30s') }, 'predictionCacheTtl', /must be a Duration/],
    ['a cache TTL under 1 s', { predictionCacheTtl: Duration.millis(500) }, 'predictionCacheTtl', /at least 1 second/],
    ['a cache size of 0', { predictionCacheSize: 0 }, 'predictionCacheSize', /0 is not an integer from 1 to 1000000/],
    ['a cache size over the bound', { predictionCacheSize: 2_000_000 }, 'predictionCacheSize', /from 1 to 1000000/],
    ['workers 0', { workers: 0 }, 'workers', /from 1 to 64/],
    ['workers 1.5', { workers: 1.5 }, 'workers', /1.5 is not an integer from 1 to 64/],
    ['a status interval under 1 s', { statusInterval: Duration.millis(10) }, 'statusInterval', /at least 1 second/],
    ['a status interval that is a number', { statusInterval: any(10_000) }, 'statusInterval', /must be a Duration .* not number 10000/],
  ])('%s', (_what, props, field, reason) => {
    refused(() => synth(props), W, field, reason);
  });

  it('the props object itself', () => {
    refused(() => new Wao(new Chart(Testing.app(), 'stack'), 'wao', any('wao')), W, 'props', /must be an object/);
    expect(() => new Wao(new Chart(Testing.app(), 'stack'), 'wao', any(undefined))).not.toThrow();
  });

  it('a second Wao in one app is refused (its CRDs would be synthesized twice), naming both', () => {
    const chart = new Chart(Testing.app(), 'stack');
    new Wao(chart, 'wao');
    const err = errorOf(() => new Wao(chart, 'other', { namespace: 'elsewhere' }));
    expect(err.source).toMatch(/^stack\/other\//);
    expect(err.message).toMatch(/CustomResourceDefinition\.apiextensions\.k8s\.io "nodeconfigs\.wao\.bitmedia\.co\.jp" would be synthesized twice/);
    expect(err.message).toMatch(/stack\/wao\//);
  });
});
