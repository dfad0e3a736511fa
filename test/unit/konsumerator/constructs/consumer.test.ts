/**
 * The Consumer construct: the seed's Consumer written with it synthesizes to the seed's object,
 * its stored spec is checkConsumerSpec's; given a Konsumerator in cluster mode it is applied
 * after the CRD, in guest mode it is the ConfigMap the operator reads; the spec is checked at
 * synth time (schema, CEL rules, and the template, which the API server cannot check), errors
 * naming the field.
 */
import { App, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { Consumer, Konsumerator, type ConsumerProps } from '../../../../constructs/konsumerator/index.js';
import {
  Annotations,
  checkConsumerSpec,
  ConsumerDeclaration,
  consumerContainerNames,
  consumerTemplateProblems,
  GUEST_SPEC_KEY,
  type ConsumerSpecInput,
} from '../../../../lib/api/konsumerator/index.js';
import { GitOpsLayout } from '../../../../lib/gitops/index.js';
import { parseConsumer } from '../../../fixtures/konsumerator-seed.js';
import { errorOf, refused } from '../../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const chart = (namespace?: string, app: App = Testing.app()) => new Chart(app, 'stack', namespace ? { namespace } : {});
const only = (c: Chart) => Testing.synth(c) as any[];
const seedSpec = (): ConsumerSpecInput => parseConsumer().spec;
const edit = (f: (s: any) => void): ConsumerSpecInput => {
  const s = seedSpec();
  f(s);
  return s;
};

/** The seed's Consumer spec written in TypeScript, as constructs/konsumerator/README.md shows it. */
const SEED_SPEC: ConsumerSpecInput = {
  numPartitions: 100,
  numPartitionsPerInstance: 1,
  name: 'test-consumer',
  namespace: 'default',
  autoscaler: {
    mode: 'prometheus',
    prometheus: {
      minSyncPeriod: '1m',
      tolerableLag: '5m',
      ratePerCore: 20000,
      ramPerCore: '100M',
      criticalLag: '60m',
      recoveryTime: '30m',
      address: ['http://prometheus-operator-prometheus.monitoring.svc.cluster.local:9090'],
      offset: { query: "sum(rate(kafka_messages_last_offset{topic=''}[5m])) by (partition)", partitionLabel: 'partition' },
      production: { query: "sum(rate(kafka_messages_produced_total{topic=''}[5m])) by (partition)", partitionLabel: 'partition' },
      consumption: { query: "sum(rate(kafka_messages_consumed_total{topic=''}[5m])) by (partition)", partitionLabel: 'partition' },
    },
  },
  partitionEnvKey: 'PARTITION',
  deploymentTemplate: {
    replicas: 1,
    strategy: { type: 'Recreate' },
    selector: { matchLabels: { app: 'my-dep' } },
    template: {
      metadata: { labels: { app: 'my-dep' } },
      spec: {
        containers: [
          { image: 'busybox', name: 'busybox-sidecar', command: ['/bin/sh', '-ec', 'env && sleep 3000'] },
          { image: 'busybox', name: 'busybox', command: ['/bin/sh', '-ec', 'sleep 2000'] },
        ],
      },
    },
  },
  resourcePolicy: {
    containerPolicies: [
      { containerName: 'busybox', minAllowed: { cpu: '100m', memory: '100M' }, maxAllowed: { cpu: '1', memory: '1G' } },
      { containerName: 'busybox-sidecar', minAllowed: { cpu: '100m', memory: '100M' }, maxAllowed: { cpu: '100m', memory: '100M' } },
    ],
  },
};

/** A small spec: two containers, no autoscaler (typed: the template takes DeploymentSpec fields). */
const SMALL: ConsumerSpecInput = {
  numPartitions: 6,
  numPartitionsPerInstance: 2,
  name: 'orders',
  deploymentTemplate: {
    strategy: { type: 'Recreate' },
    template: { spec: { containers: [{ name: 'consumer', image: 'ghcr.io/acme/orders:1.0' }, { name: 'sidecar', image: 'ghcr.io/acme/proxy:1.0' }] } },
  },
};

describe('the seed, written with the construct', () => {
  it('the README\'s TypeScript form is the seed\'s spec', () => {
    expect(SEED_SPEC).toEqual(parseConsumer().spec);
  });

  it('synthesizes to the seed\'s Consumer, unchanged (no defaults added); the stored spec is checkConsumerSpec\'s', () => {
    const seed = parseConsumer();
    const c = chart();
    const consumer = new Consumer(c, 'consumer-sample', { spec: SEED_SPEC });
    expect(only(c)).toEqual([{ ...seed, metadata: { name: 'consumer-sample', namespace: 'konsumerator-system' } }]);
    expect(consumer.storedSpec).toEqual(checkConsumerSpec(seed.spec));
    expect(consumer.storedSpec.autoscaler?.prometheus?.cpuIncrement).toBe('100m');
    expect([consumer.name, consumer.namespace, consumer.deploymentNamespace, consumer.guestMode]).toEqual(['consumer-sample', 'konsumerator-system', 'default', false]);
    expect(consumer.customResource?.apiVersion).toBe(ConsumerDeclaration.apiVersion());
  });

  it('in guest mode: the seed\'s ConfigMap, the spec as YAML under consumer.yaml, annotated managed', () => {
    const c = chart('default');
    const konsumerator = new Konsumerator(c, 'konsumerator', { guestMode: true });
    const consumer = new Consumer(c, 'consumer-sample', { konsumerator, spec: seedSpec() });
    const cm = only(c).find((o) => o.kind === 'ConfigMap');
    expect(cm.metadata).toEqual({ name: 'consumer-sample', namespace: 'default', annotations: { [Annotations.managed]: 'true' } });
    expect(Object.keys(cm.data)).toEqual([GUEST_SPEC_KEY]);
    expect(parse(cm.data[GUEST_SPEC_KEY])).toEqual(seedSpec());
    expect(checkConsumerSpec(parse(cm.data[GUEST_SPEC_KEY]))).toEqual(consumer.storedSpec);
    expect(only(c).filter((o) => o.kind === 'Consumer' || o.kind === 'CustomResourceDefinition')).toEqual([]);
    expect([consumer.guestMode, consumer.customResource, consumer.apiObject.kind]).toEqual([true, undefined, 'ConfigMap']);
  });
});

describe('namespace, metadata and the Konsumerator', () => {
  it('namespace: the prop, else the chart\'s, else the Konsumerator\'s, else konsumerator-system; deployments go to spec.namespace, else there', () => {
    expect(new Consumer(chart('kafka'), 'a', { spec: SMALL }).namespace).toBe('kafka');
    expect(new Consumer(chart('kafka'), 'a', { namespace: 'apps', spec: SMALL }).namespace).toBe('apps');
    const c = chart();
    const konsumerator = new Konsumerator(c, 'k', { namespace: 'ops' });
    expect(new Consumer(c, 'a', { konsumerator, spec: SMALL }).namespace).toBe('ops');
    expect(new Consumer(chart(), 'a', { spec: SMALL }).namespace).toBe('konsumerator-system');
    expect(new Consumer(chart('kafka'), 'a', { spec: SMALL }).deploymentNamespace).toBe('kafka');
    expect(new Consumer(chart('kafka'), 'a', { spec: { ...SMALL, namespace: 'apps' } }).deploymentNamespace).toBe('apps');
  });

  it('name, labels and annotations, in both forms', () => {
    const c = chart('kafka');
    new Consumer(c, 'a', { name: 'orders', labels: { team: 'shop' }, annotations: { [Annotations.disableAutoscaler]: 'true' }, spec: SMALL });
    expect(only(c)[0].metadata).toEqual({ name: 'orders', namespace: 'kafka', labels: { team: 'shop' }, annotations: { [Annotations.disableAutoscaler]: 'true' } });
    const g = chart('kafka');
    const konsumerator = new Konsumerator(g, 'k', { guestMode: true });
    new Consumer(g, 'a', { konsumerator, name: 'orders', labels: { team: 'shop' }, annotations: { [Annotations.disableAutoscaler]: 'true' }, spec: SMALL });
    expect(only(g).find((o) => o.kind === 'ConfigMap').metadata).toEqual({
      name: 'orders',
      namespace: 'kafka',
      labels: { team: 'shop' },
      annotations: { [Annotations.disableAutoscaler]: 'true', [Annotations.managed]: 'true' },
    });
  });

  it('given a Konsumerator in cluster mode: applied after its CRD, in the same chart or another; the CRD in 00-crds', () => {
    const app = new App();
    const controller = new Chart(app, 'controller', { namespace: 'ops' });
    const konsumerator = new Konsumerator(controller, 'konsumerator');
    const apps = new Chart(app, 'apps', { namespace: 'kafka' });
    const a = new Consumer(apps, 'orders', { konsumerator, spec: SMALL });
    const b = new Consumer(controller, 'payments', { konsumerator, spec: { ...SMALL, name: 'payments' } });
    expect(a.konsumerator).toBe(konsumerator);
    expect(a.apiObject.node.dependencies).toContain(konsumerator.consumerDefinition);
    expect(b.apiObject.node.dependencies).toContain(konsumerator.consumerDefinition);
    const kinds = controller.toJson().map((o: any) => `${o.kind}/${o.metadata.name}`);
    expect(kinds.indexOf(`CustomResourceDefinition/${ConsumerDeclaration.name}`)).toBeLessThan(kinds.indexOf('Consumer/payments'));
    const layout = GitOpsLayout.fromApp(app);
    expect(layout.folders).toEqual(['00-crds', 'controller', 'apps']);
    expect([...layout.files.keys()]).toEqual(expect.arrayContaining([`00-crds/customresourcedefinition-${ConsumerDeclaration.name}.yaml`, 'apps/consumer-kafka-orders.yaml']));
  });

  it('in guest mode: the Konsumerator\'s namespace, whatever the chart\'s; another one, or another spec.namespace, is refused', () => {
    const c = chart('ops');
    const konsumerator = new Konsumerator(c, 'k', { namespace: 'tenant', guestMode: true });
    expect(new Consumer(c, 'a', { konsumerator, spec: SMALL }).namespace).toBe('tenant');
    expect(new Consumer(c, 'b', { konsumerator, namespace: 'tenant', spec: { ...SMALL, namespace: 'tenant' } }).deploymentNamespace).toBe('tenant');
    refused(() => new Consumer(c, 'c', { konsumerator, namespace: 'ops', spec: SMALL }), 'stack/c', 'namespace', /"ops" is not the namespace of stack\/k, which is in guest mode .* "tenant" only/);
    refused(() => new Consumer(c, 'd', { konsumerator, spec: { ...SMALL, namespace: 'ops' } }), 'stack/d', '/spec/namespace', /stack\/k is in guest mode and manages Deployments in "tenant" only/);
    refused(() => new Consumer(c, 'e', { konsumerator, annotations: { [Annotations.managed]: 'false' }, spec: SMALL }), 'stack/e', `annotations.${Annotations.managed}`, /is set by Consumer in guest mode/);
  });

  it('two Consumers of one name and namespace are refused, naming both', () => {
    const c = chart('kafka');
    new Consumer(c, 'a', { name: 'orders', spec: SMALL });
    const err = errorOf(() => new Consumer(c, 'b', { name: 'orders', spec: SMALL }));
    expect(err.message).toMatch(/Consumer\.konsumerator\.lwolf\.org "kafka\/orders" would be synthesized twice: by stack\/b\/.* and by stack\/a\//);
  });
});

describe('the spec is checked at synth time, the error naming the field', () => {
  const C = 'stack/c';
  const make = (spec: ConsumerSpecInput, props: Partial<ConsumerProps> = {}) => () => new Consumer(chart('kafka'), 'c', { ...props, spec });
  it.each<[string, ConsumerSpecInput, string, RegExp]>([
    ['the schema: 0 partitions', edit((s) => (s.numPartitions = 0)), '/spec/numPartitions', /0/],
    ['the schema: a bad name', edit((s) => (s.name = 'Test_Consumer')), '/spec/name', /Test_Consumer/],
    ['the schema: an unknown field', edit((s) => (s.replicas = 3)), '/spec/replicas', /is not a field of the schema/],
    ['a CEL rule: more per instance than partitions', edit((s) => (s.numPartitionsPerInstance = 200)), '/spec/numPartitionsPerInstance', /must not exceed numPartitions/],
    ['a CEL rule: criticalLag below tolerableLag', edit((s) => (s.autoscaler.prometheus.criticalLag = '1m')), '/spec/autoscaler/prometheus/criticalLag', /longer than tolerableLag/],
    ['a CEL rule: min over max', edit((s) => (s.resourcePolicy.containerPolicies[0].minAllowed.cpu = '2')), '/spec/resourcePolicy/containerPolicies/0/minAllowed/cpu', /must not exceed maxAllowed.cpu/],
    ['no pod spec', edit((s) => delete s.deploymentTemplate.template.spec), '/spec/deploymentTemplate/template/spec', /must be a pod spec with containers, not undefined/],
    ['no containers', edit((s) => (s.deploymentTemplate.template.spec.containers = [])), '/spec/deploymentTemplate/template/spec/containers', /non-empty list of containers, not a list/],
    ['containers not a list', edit((s) => (s.deploymentTemplate.template.spec.containers = { name: 'x' })), '/spec/deploymentTemplate/template/spec/containers', /not an object/],
    ['a container that is a string', edit((s) => (s.deploymentTemplate.template.spec.containers[1] = 'busybox')), '/spec/deploymentTemplate/template/spec/containers/1', /must be a container object, not string "busybox"/],
    ['a container without a name', edit((s) => delete s.deploymentTemplate.template.spec.containers[1].name), '/spec/deploymentTemplate/template/spec/containers/1/name', /is required/],
    ['a container name that is not a label', edit((s) => (s.deploymentTemplate.template.spec.containers[1].name = 'Busy_Box')), '/spec/deploymentTemplate/template/spec/containers/1/name', /not a DNS-1123 label/],
    ['two containers of one name', edit((s) => (s.deploymentTemplate.template.spec.containers[1].name = 'busybox-sidecar')), '/spec/deploymentTemplate/template/spec/containers/1/name', /"busybox-sidecar" is the name of an earlier container/],
    ['a container without an image', edit((s) => delete s.deploymentTemplate.template.spec.containers[0].image), '/spec/deploymentTemplate/template/spec/containers/0/image', /is required/],
    ['a policy for no container', edit((s) => (s.resourcePolicy.containerPolicies[1].containerName = 'sidecar')), '/spec/resourcePolicy/containerPolicies/1/containerName', /"sidecar" is not a container of deploymentTemplate.template \("busybox-sidecar", "busybox"\)/],
    ['a mainContainer that is none', edit((s) => (s.mainContainer = 'main')), '/spec/mainContainer', /"main" is not a container/],
    ['a selector the template\'s labels do not match', edit((s) => (s.deploymentTemplate.template.metadata.labels.app = 'other')), '/spec/deploymentTemplate/selector/matchLabels/app', /must hold app: "my-dep"/],
  ])('%s', (_what, spec, field, reason) => {
    refused(make(spec), C, field, reason);
  });

  it('several template problems: the first, and how many more', () => {
    const spec = edit((s) => {
      s.mainContainer = 'main';
      s.resourcePolicy.containerPolicies[0].containerName = 'x';
    });
    refused(make(spec), C, '/spec/resourcePolicy/containerPolicies/0/containerName', /\(and 1 more\)$/);
    expect(consumerTemplateProblems(checkConsumerSpec(spec)).map((p) => p.pointer)).toEqual(['/resourcePolicy/containerPolicies/0/containerName', '/mainContainer']);
    expect(consumerContainerNames(checkConsumerSpec(spec))).toEqual(['busybox-sidecar', 'busybox']);
  });

  it('the seed and the small spec have none', () => {
    expect(consumerTemplateProblems(checkConsumerSpec(seedSpec()))).toEqual([]);
    expect(consumerTemplateProblems(checkConsumerSpec({ ...SMALL, mainContainer: 'consumer' }))).toEqual([]);
  });

  it.each<[string, Partial<ConsumerProps>, string, RegExp]>([
    ['a name that is not a subdomain', { name: 'Orders!' }, 'name', /not a valid Kubernetes object name/],
    ['a name that is not a string', { name: any(5) }, 'name', /must be a string, not number 5/],
    ['a namespace that is not a label', { namespace: 'Kafka' }, 'namespace', /not a DNS-1123 label/],
    ['a konsumerator that is not one', { konsumerator: any({ guestMode: true }) }, 'konsumerator', /must be a Konsumerator construct, not an object/],
    ['a label value that is not one', { labels: { team: 'a b' } }, 'labels.team', /label value/],
    ['an annotation that is a number', { annotations: { note: any(1) } }, 'annotations.note', /must be a string, not number 1/],
    ['labels that are a list', { labels: any(['a']) }, 'labels', /must be an object of label key: value strings/],
  ])('%s', (_what, props, field, reason) => {
    refused(make(SMALL, props), C, field, reason);
  });

  it('an id that is no name, and no spec', () => {
    refused(() => new Consumer(chart(), 'Orders', { spec: SMALL }), 'stack/Orders', 'name', /not given, and the construct id "Orders" is not a DNS-1123 subdomain/);
    refused(() => new Consumer(chart(), 'c', any({})), C, 'spec', /is required/);
    refused(() => new Consumer(chart(), 'c', any(undefined)), C, 'props', /must be an object with spec/);
  });
});
