/**
 * The Konsumerator construct: what it synthesizes agrees with lib/api/konsumerator (args are the
 * flag rendering and parse back to the props, RBAC is konsumeratorRules plus the Lease in both
 * modes, the CRD is the declaration's and is emitted in cluster mode only), and every prop is
 * checked where it enters, the error naming it.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { Konsumerator, KONSUMERATOR_DEFAULT_NAMESPACE, type KonsumeratorProps } from '../../../../constructs/konsumerator/index.js';
import { parseFlags, renderFlags } from '../../../../lib/api/flags.js';
import { ConsumerDeclaration, KONSUMERATOR_FLAGS, konsumeratorOptionsFromFlags, konsumeratorRules } from '../../../../lib/api/konsumerator/index.js';
import { leaseRules } from '../../../../lib/api/rbac.js';
import { declaredRules, grantedRules } from '../../../fixtures/rbac.js';
import { errorOf, refused } from '../../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const byKind = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind);
const containerOf = (objects: any[]) => byKind(objects, 'Deployment')[0].spec.template.spec.containers[0];

function synth(props: KonsumeratorProps = {}, namespace: string | null = 'streaming') {
  const chart = new Chart(Testing.app(), 'stack', namespace ? { namespace } : {});
  const konsumerator = new Konsumerator(chart, 'konsumerator', props);
  return { konsumerator, objects: Testing.synth(chart) as any[] };
}

const refs = (objects: any[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('Konsumerator', () => {
  it('cluster mode: ServiceAccount, ClusterRole, Lease Role, Deployment, metrics Service, PDB and the Consumer CRD', () => {
    const { konsumerator, objects } = synth();
    expect(refs(objects)).toEqual([
      'ClusterRole/streaming-konsumerator',
      'ClusterRoleBinding/streaming-konsumerator',
      `CustomResourceDefinition/${ConsumerDeclaration.name}`,
      'Deployment/konsumerator',
      'NetworkPolicy/konsumerator',
      'PodDisruptionBudget/konsumerator',
      'Role/konsumerator',
      'RoleBinding/konsumerator',
      'Service/konsumerator',
      'ServiceAccount/konsumerator',
    ]);
    const crd = byKind(objects, 'CustomResourceDefinition')[0];
    expect(crd.spec).toEqual(ConsumerDeclaration.manifest().spec);
    expect(crd.metadata.namespace).toBeUndefined();
    const dep = byKind(objects, 'Deployment')[0];
    expect([dep.spec.replicas, dep.metadata.namespace]).toEqual([2, 'streaming']);
    expect(konsumerator.guestMode).toBe(false);
    expect(konsumerator.consumerDefinition?.name).toBe(ConsumerDeclaration.name);
    expect([...konsumerator.customResourceDefinitions.keys()]).toEqual([ConsumerDeclaration.name]);
  });

  it('the CRD declares every field of apps/v1 DeploymentSpec under deploymentTemplate (Terraform\'s kubernetes_manifest refuses undeclared ones)', () => {
    const spec = (ConsumerDeclaration.manifest().spec as any).versions[0].schema.openAPIV3Schema.properties.spec;
    expect(Object.keys(spec.properties.deploymentTemplate.properties).sort()).toEqual(
      ['minReadySeconds', 'paused', 'progressDeadlineSeconds', 'replicas', 'revisionHistoryLimit', 'selector', 'strategy', 'template'],
    );
  });

  it('guest mode: no CRD, no ClusterRole, only Roles in its namespace', () => {
    const { konsumerator, objects } = synth({ guestMode: true });
    expect(refs(objects)).toEqual([
      'Deployment/konsumerator',
      'NetworkPolicy/konsumerator',
      'PodDisruptionBudget/konsumerator',
      'Role/konsumerator',
      'RoleBinding/konsumerator',
      'Service/konsumerator',
      'ServiceAccount/konsumerator',
    ]);
    expect(byKind(objects, 'Role').map((r) => r.metadata.namespace)).toEqual(['streaming']);
    expect(konsumerator.guestMode).toBe(true);
    expect(konsumerator.consumerDefinition).toBeUndefined();
    expect(konsumerator.customResourceDefinitions.size).toBe(0);
  });

  it.each([false, true])('RBAC (guest mode %p): exactly konsumeratorRules plus its Lease', (guestMode) => {
    const { konsumerator, objects } = synth({ guestMode });
    const expected = [...(guestMode ? konsumeratorRules({ guestNamespace: 'streaming' }) : konsumeratorRules()), ...leaseRules('konsumerator')];
    expect(konsumerator.rules).toEqual(expected);
    expect(grantedRules(objects)).toEqual(declaredRules(expected, 'streaming'));
    // The same as the rules lib/api gives with the Lease included.
    expect(konsumerator.rules).toEqual(konsumeratorRules({ ...(guestMode ? { guestNamespace: 'streaming' } : {}), leaseName: 'konsumerator' }));
  });

  it('args: the rendering of KONSUMERATOR_FLAGS, and what the runtime makes of them is the props', () => {
    const { konsumerator, objects } = synth({ guestMode: true, workers: 8, prometheusTimeout: Duration.seconds(3), metricsPort: 9090 });
    const args: string[] = containerOf(objects).args;
    expect(args[0]).toBe('konsumerator');
    expect(args.slice(1)).toEqual(
      renderFlags(KONSUMERATOR_FLAGS, {
        'guest-mode': true,
        workers: 8,
        'prometheus-timeout': 3_000,
        'metrics-port': 9090,
        'leader-election-id': 'konsumerator',
        'lease-duration': 15_000,
        'renew-deadline': 10_000,
        'retry-period': 2_000,
      }),
    );
    const options = konsumeratorOptionsFromFlags(parseFlags(KONSUMERATOR_FLAGS, args.slice(1), { NAMESPACE: 'streaming' }).values);
    expect(options).toEqual({ namespace: 'streaming', guestMode: true, workers: 8, prometheusTimeoutMs: 3_000 });
    expect(konsumerator.options).toEqual(options);
  });

  it('the defaults are the flags\' defaults', () => {
    const { konsumerator, objects } = synth();
    const parsed = parseFlags(KONSUMERATOR_FLAGS, containerOf(objects).args.slice(1), { NAMESPACE: 'streaming' }).values;
    expect(konsumerator.options).toEqual(konsumeratorOptionsFromFlags(parseFlags(KONSUMERATOR_FLAGS, [], { NAMESPACE: 'streaming' }).values));
    expect(konsumeratorOptionsFromFlags(parsed)).toEqual(konsumerator.options);
    expect(konsumerator.options).toEqual({ namespace: 'streaming', guestMode: false, workers: 4, prometheusTimeoutMs: 10_000 });
  });

  it('namespace: the prop, else the chart\'s, else konsumerator-system', () => {
    expect(synth({}, 'ops').konsumerator.namespace).toBe('ops');
    expect(synth({ namespace: 'kafka' }, 'ops').konsumerator.namespace).toBe('kafka');
    const { konsumerator, objects } = synth({}, null);
    expect(konsumerator.namespace).toBe(KONSUMERATOR_DEFAULT_NAMESPACE);
    expect(KONSUMERATOR_DEFAULT_NAMESPACE).toBe('konsumerator-system');
    expect(byKind(objects, 'Deployment')[0].metadata.namespace).toBe('konsumerator-system');
    expect(konsumerator.options.namespace).toBe('konsumerator-system');
  });

  it('guest mode in another namespace: the Role is there', () => {
    const { objects } = synth({ guestMode: true, namespace: 'tenant-a' }, 'ops');
    expect(byKind(objects, 'Role').map((r) => r.metadata.namespace)).toEqual(['tenant-a']);
    expect(byKind(objects, 'Role')[0].rules.map((r: any) => r.resources[0]).sort()).toEqual(['configmaps', 'deployments', 'events', 'leases', 'leases']);
  });

  it('name, replicas, lease, image and resources reach the workload', () => {
    const { objects } = synth({ name: 'lag', replicas: 3, leaseDuration: Duration.seconds(30), image: { registry: 'ghcr.io/acme', tag: '1.0.0' }, resources: { memoryLimit: '512Mi' } });
    const dep = byKind(objects, 'Deployment')[0];
    expect([dep.metadata.name, dep.spec.replicas]).toEqual(['lag', 3]);
    const c = dep.spec.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/acme/platform-controllers:1.0.0');
    expect(c.resources.limits.memory).toBe('512Mi');
    expect(c.args).toEqual(expect.arrayContaining(['--leader-election-id=lag', '--lease-duration=30s']));
    expect(byKind(objects, 'Service').map((s) => s.metadata.name)).toEqual(['lag']);
  });
});

describe('Konsumerator props are checked, the error naming the prop', () => {
  const K = 'stack/konsumerator';
  it.each<[string, KonsumeratorProps, string, RegExp]>([
    ['a namespace that is not a DNS-1123 label', { namespace: 'Kafka_Apps' }, 'namespace', /not a DNS-1123 label/],
    ['a name that is not a Service name', { name: '1konsumerator' }, 'name', /not a valid Service name/],
    ['guestMode not a boolean', { guestMode: any('yes') }, 'guestMode', /must be true or false, not string "yes"/],
    ['replicas', { replicas: 0 }, 'replicas', /0 is not a positive integer/],
    ['a lease of 1.5 s', { leaseDuration: Duration.millis(1500) }, 'leaseDuration', /in whole seconds/],
    ['an image tag with a space', { image: { tag: 'bad tag' } }, 'image.tag', /not a valid image tag/],
    ['a resource that is not a quantity', { resources: { cpuLimit: 'lots' } }, 'resources.cpuLimit', /not a Kubernetes quantity/],
    ['a privileged metrics port', { metricsPort: 80 }, 'metricsPort', /80 is not a port from 1024 to 65535/],
    ['workers 0', { workers: 0 }, 'workers', /from 1 to 64/],
    ['workers 65', { workers: 65 }, 'workers', /from 1 to 64/],
    ['workers 1.5', { workers: 1.5 }, 'workers', /1.5 is not an integer from 1 to 64/],
    ['a Prometheus timeout under 100 ms', { prometheusTimeout: Duration.millis(50) }, 'prometheusTimeout', /at least 100 ms/],
    ['a Prometheus timeout that is a string', { prometheusTimeout: any('10s') }, 'prometheusTimeout', /must be a Duration .* not string "10s"/],
  ])('%s', (_what, props, field, reason) => {
    refused(() => synth(props), K, field, reason);
  });

  it('the props object itself', () => {
    refused(() => new Konsumerator(new Chart(Testing.app(), 'stack'), 'konsumerator', any('k')), K, 'props', /must be an object/);
    expect(() => new Konsumerator(new Chart(Testing.app(), 'stack'), 'konsumerator', any(undefined))).not.toThrow();
  });

  it('a second cluster-mode Konsumerator in one app is refused (its CRD would be synthesized twice), naming both; a guest-mode one is fine', () => {
    const chart = new Chart(Testing.app(), 'stack');
    new Konsumerator(chart, 'konsumerator');
    const err = errorOf(() => new Konsumerator(chart, 'other', { namespace: 'elsewhere' }));
    expect(err.source).toMatch(/^stack\/other\//);
    expect(err.message).toMatch(/CustomResourceDefinition\.apiextensions\.k8s\.io "consumers\.konsumerator\.lwolf\.org" would be synthesized twice/);
    expect(err.message).toMatch(/stack\/konsumerator\//);
    expect(() => new Konsumerator(chart, 'guest', { namespace: 'tenant', guestMode: true })).not.toThrow();
  });
});
