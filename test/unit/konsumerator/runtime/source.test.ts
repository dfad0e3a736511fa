import { Annotations } from '../../../../lib/api/konsumerator/index.js';
import { isManagedConfigMap, viewOfConfigMap, viewOfConsumer, type ConfigMapObject } from '../../../../runtime/konsumerator/source.js';
import { NS, consumer, specInput } from './fixtures.js';

const SPEC_YAML = `numPartitions: 3
name: "test-consumer"
autoscaler:
  mode: ""
deploymentTemplate:
  replicas: 1
  template:
    spec:
      containers:
        - name: c
          image: busybox
`;

function configMap(data: Record<string, string> | undefined, annotations: Record<string, string> = { [Annotations.managed]: 'true' }): ConfigMapObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: NS, uid: 'cm-uid', annotations }, ...(data ? { data } : {}) };
}

describe('viewOfConsumer', () => {
  it('a valid spec: the checked spec with defaults, and the object\'s identity', () => {
    const c = consumer(specInput(), { annotations: { a: 'b' }, finalizers: ['f'], generation: 7 });
    const v = viewOfConsumer(c);
    expect(v.specError).toBeUndefined();
    expect(v).toMatchObject({ kind: 'Consumer', apiVersion: 'konsumerator.lwolf.org/v1', namespace: NS, name: 'orders', uid: 'consumer-uid-1', generation: 7, annotations: { a: 'b' }, finalizers: ['f'], deleting: false });
    expect(v.object).toBe(c);
    expect(v.spec).toMatchObject({
      numPartitions: 4,
      numPartitionsPerInstance: 1,
      partitionEnvKey: 'KONSUMERATOR_PARTITION',
      maxConcurrentUpdates: 10,
      autoscaler: { mode: 'prometheus', pendingScaleUpDuration: '5m', pendingScaleDownDuration: '15m', prometheus: { minSyncPeriod: '1m', tolerableLag: '5m', recoveryTime: '30m', cpuIncrement: '100m' } },
    });
    expect(v.spec!.autoscaler!.prometheus!.offset.partitionLabel).toBe('partition');
  });

  it('a deletionTimestamp makes it deleting; no annotations or finalizers read as empty', () => {
    const v = viewOfConsumer(consumer(specInput(), { deletionTimestamp: '2026-01-02T00:00:00Z' }));
    expect(v.deleting).toBe(true);
    expect(v.annotations).toEqual({});
    expect(v.finalizers).toEqual([]);
  });

  it('an invalid spec: no spec, and specError names the Consumer and the field', () => {
    const v = viewOfConsumer(consumer(specInput({ numPartitions: 0 })));
    expect(v.spec).toBeUndefined();
    expect(v.specError).toContain(`Consumer ${NS}/orders`);
    expect(v.specError).toContain('/spec/numPartitions');
  });

  it('a CEL-style rule broken: the field named', () => {
    const v = viewOfConsumer(consumer(specInput({ numPartitions: 2, numPartitionsPerInstance: 3 })));
    expect(v.spec).toBeUndefined();
    expect(v.specError).toContain('/spec/numPartitionsPerInstance');
  });

  it('criticalLag not over tolerableLag is refused at /spec/autoscaler/prometheus/criticalLag', () => {
    const v = viewOfConsumer(consumer(specInput({ autoscaler: { mode: 'prometheus', prometheus: { ...specInput().autoscaler!.prometheus, criticalLag: '1m' } } })));
    expect(v.specError).toContain('/spec/autoscaler/prometheus/criticalLag');
  });

  it('no spec at all is an error, not a throw', () => {
    for (const spec of [undefined, null, 'numPartitions: 3']) {
      const v = viewOfConsumer({ ...consumer(), spec });
      expect(v.spec).toBeUndefined();
      expect(v.specError).toContain(`Consumer ${NS}/orders`);
    }
  });
});

describe('isManagedConfigMap', () => {
  it('any value of the managed annotation counts; none does not', () => {
    expect(isManagedConfigMap(configMap({}, { [Annotations.managed]: '' }))).toBe(true);
    expect(isManagedConfigMap(configMap({}, {}))).toBe(false);
  });
});

describe('viewOfConfigMap', () => {
  it('reads consumer.yaml, even next to other keys', () => {
    const v = viewOfConfigMap(configMap({ 'consumer.yaml': SPEC_YAML, 'other.yaml': 'numPartitions: 999', notes: 'x' }));
    expect(v.specError).toBeUndefined();
    expect(v).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', namespace: NS, name: 'cm', uid: 'cm-uid' });
    expect(v.spec).toMatchObject({ numPartitions: 3, name: 'test-consumer', numPartitionsPerInstance: 1 });
  });

  it('a single key under another name is accepted (unambiguous)', () => {
    const v = viewOfConfigMap(configMap({ 'spec.yml': SPEC_YAML }));
    expect(v.specError).toBeUndefined();
    expect(v.spec?.numPartitions).toBe(3);
  });

  it('several keys without consumer.yaml: an ambiguity error listing them, not a random pick', () => {
    const v = viewOfConfigMap(configMap({ 'a.yaml': SPEC_YAML, 'b.yaml': SPEC_YAML.replace('numPartitions: 3', 'numPartitions: 5') }));
    expect(v.spec).toBeUndefined();
    expect(v.specError).toContain('consumer.yaml');
    expect(v.specError).toContain('a.yaml, b.yaml');
    expect(v.specError).toContain('ambiguous');
    expect(v.specError).toContain(`ConfigMap ${NS}/cm`);
  });

  it('no data: an error saying so', () => {
    for (const data of [undefined, {}]) {
      const v = viewOfConfigMap(configMap(data));
      expect(v.spec).toBeUndefined();
      expect(v.specError).toContain('consumer.yaml is missing');
      expect(v.specError).toContain('no data');
    }
  });

  it('bad YAML: an error naming the key', () => {
    const v = viewOfConfigMap(configMap({ 'consumer.yaml': 'numPartitions: [1, 2\nname: x' }));
    expect(v.spec).toBeUndefined();
    expect(v.specError).toContain('consumer.yaml is not YAML');
    expect(v.specError).toContain(`ConfigMap ${NS}/cm`);
  });

  it('YAML that is not a valid spec: the field named', () => {
    const v = viewOfConfigMap(configMap({ 'consumer.yaml': SPEC_YAML.replace('numPartitions: 3', 'numPartitions: -1') }));
    expect(v.spec).toBeUndefined();
    expect(v.specError).toContain('/spec/numPartitions');
  });
});
