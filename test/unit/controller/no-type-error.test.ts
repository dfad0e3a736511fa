/**
 * Issue #14: plain-JavaScript users get a ValidationError naming the construct, never a
 * TypeError, whatever they pass as a prop of the controller constructs.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { AppConfig, ConfigAggregator } from '../../../constructs/config-aggregator/index.js';
import { GeneratedSecret, SecretGenerator, SecretValue } from '../../../constructs/secret-generator/index.js';
import { NodeConfig, NodeConfigTemplate, Wao } from '../../../constructs/wao/index.js';
import { Consumer, Konsumerator } from '../../../constructs/konsumerator/index.js';
import { JobMeasurement } from '../../../constructs/servo/index.js';
import { WebhookCertificate } from '../../../constructs/controller/index.js';
import { isPlainObject, ValidationError } from '../../../lib/k8s/validation.js';
const chart = () => new Chart(Testing.app(), 'stack', { namespace: 'ns' });
const WEIRD: unknown[] = [null, 0, -1, NaN, 70000, '', 'x', '..', 'A b', [], {}, [1], { a: 1 }, true, () => 1, new Map(), Duration.millis(500)];
const CONFIG = { metric_configs: [], unified_configs: [] };
const CONSUMER = { numPartitions: 2, name: 'c', deploymentTemplate: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } };
const FAKE = { metricsCollector: { inletTemp: { type: 'Fake' }, deltaP: { type: 'Fake' } } };
const cases: Array<[string, (c: Chart, p: any) => unknown, Record<string, unknown>, string[]]> = [
  ['ConfigAggregator', (c, p) => new ConfigAggregator(c, 'm', p), { configmapName: 'agg' }, ['configmapName', 'configmapKey', 'appConfigLabel', 'resyncInterval', 'schema', 'namespace', 'name', 'replicas', 'image', 'resources', 'metricsPort', 'leaseDuration']],
  ['SecretGenerator', (c, p) => new SecretGenerator(c, 'm', p), {}, ['namespace', 'watchNamespaces', 'name', 'replicas', 'image', 'resources', 'metricsPort', 'workers', 'resyncInterval', 'leaseDuration']],
  ['AppConfig', (c, p) => new AppConfig(c, 'm', p), { config: CONFIG }, ['config', 'aggregator', 'schema', 'label', 'name', 'namespace', 'key']],
  ['GeneratedSecret', (c, p) => new GeneratedSecret(c, 'm', p), { data: { password: SecretValue.random() } }, ['name', 'namespace', 'type', 'data', 'certificate', 'labels', 'annotations']],
  ['Wao', (c, p) => new Wao(c, 'm', p), {}, ['namespace', 'watchNamespaces', 'name', 'replicas', 'leaseDuration', 'image', 'resources', 'metricsPort', 'predictionPort', 'predictionCacheTtl', 'predictionCacheSize', 'workers', 'statusInterval']],
  ['NodeConfig', (c, p) => new NodeConfig(c, 'm', p), { spec: { nodeName: 'n', ...FAKE } }, ['spec', 'wao', 'name', 'namespace', 'labels', 'annotations']],
  ['NodeConfigTemplate', (c, p) => new NodeConfigTemplate(c, 'm', p), { spec: { nodeSelector: {}, ...FAKE } }, ['spec', 'wao', 'name', 'namespace', 'labels', 'annotations']],
  ['Konsumerator', (c, p) => new Konsumerator(c, 'm', p), {}, ['namespace', 'name', 'guestMode', 'replicas', 'leaseDuration', 'image', 'resources', 'metricsPort', 'workers', 'prometheusTimeout']],
  ['Consumer', (c, p) => new Consumer(c, 'm', p), { spec: CONSUMER }, ['spec', 'konsumerator', 'name', 'namespace', 'labels', 'annotations']],
  ['JobMeasurement', (c, p) => new JobMeasurement(c, 'm', p), { account: 'acme', webhookCertificate: WebhookCertificate.fromCertManager({ name: 'ca' }) }, ['namespaces', 'url', 'account', 'authTokenSecret', 'appIdPath', 'monitorImage', 'monitorInterval', 'monitorResources', 'webhookCertificate', 'namespace', 'name', 'replicas', 'leaseDuration', 'image', 'resources', 'metricsPort', 'workers', 'concurrency', 'statsTimeout', 'sendTimeout', 'maxBackoff']],
  ['Consumer (guest mode)', (c, p) => new Consumer(c, 'm', { konsumerator: new Konsumerator(c, 'k', { guestMode: true }), ...p }), { spec: CONSUMER }, ['spec', 'name', 'namespace', 'labels', 'annotations']],
];
it.each(cases)('%s: every prop, every odd value: it works or it is a ValidationError', (kind, make, base, props) => {
  for (const prop of props) for (const value of WEIRD) {
    try {
      make(chart(), { ...base, [prop]: value });
      if (prop === 'image' && value !== null) expect(isPlainObject(value) && Object.keys(value as object).length === 0).toBe(true);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw new Error(`${kind} ${prop}=${String(value)}: ${(e as Error).name}: ${(e as Error).message}`);
      expect((e as ValidationError).source).toMatch(/stack\/m/);
    }
  }
});
