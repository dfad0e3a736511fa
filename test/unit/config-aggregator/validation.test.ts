/**
 * Issue #14 for the config aggregator: its props and AppConfig's checked where they enter; the
 * keys `.`, `..` and `..data` refused by one rule (lib/api/config-aggregator) at synth time, by
 * the runtime's flags and by the aggregator for application ConfigMaps.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { AppConfig, AppConfigSchema, ConfigAggregator, NUMALOGIC_APP_CONFIG_SCHEMA } from '../../../constructs/config-aggregator/index.js';
import { appConfigKeyReason, checkAppConfigKey } from '../../../lib/api/config-aggregator/index.js';
import { FlagError } from '../../../lib/api/flags.js';
import { Aggregator, compileSchema } from '../../../runtime/config-aggregator/aggregate.js';
import { CONFIG_AGGREGATOR_FLAGS, optionsFromFlags } from '../../../runtime/config-aggregator/flags.js';
import { parseFlags } from '../../../runtime/kit/flags.js';
import { refused } from '../../fixtures/validation.js';

const CONFIG = {
  metric_configs: [{ metric: 'rollout_error_rate', composite_keys: ['namespace'] }],
  unified_configs: [{ unified_metric_name: 'u', unified_metrics: ['rollout_error_rate'] }],
};
const any = (v: unknown) => v as any;
const chart = () => new Chart(Testing.app(), 'stack', { namespace: 'numalogic' });
const aggregator = (props: Partial<ConstructorParameters<typeof ConfigAggregator>[2]> = {}, c = chart(), id = 'agg') =>
  new ConfigAggregator(c, id, { configmapName: 'aggregate', ...props });


describe('ConfigAggregator props', () => {
  it('a missing props object or configmapName is named, never a TypeError', () => {
    refused(() => new ConfigAggregator(chart(), 'x', any(undefined)), 'stack/x', 'props', /must be an object with configmapName, not undefined/);
    refused(() => new ConfigAggregator(chart(), 'x', {} as any), 'stack/x', 'configmapName', /undefined is not a valid ConfigMap name/);
    refused(() => new ConfigAggregator(chart(), 'x', any({ configmapName: 42 })), 'stack/x', 'configmapName', /number 42/);
  });

  it('resyncInterval: Duration.millis(500) is refused at the prop, saying what is accepted', () => {
    const { message } = refused(() => aggregator({ resyncInterval: Duration.millis(500) }), 'stack/agg', 'resyncInterval');
    expect(message).toBe('stack/agg: resyncInterval: 500 millis is not a Duration of at least 1 second (e.g. Duration.seconds(1))');
    refused(() => aggregator({ resyncInterval: any(180) }), 'stack/agg', 'resyncInterval', /must be a Duration of at least 1 second .*, not number 180/);
    refused(() => aggregator({ resyncInterval: any('3m') }), 'stack/agg', 'resyncInterval', /string "3m"/);
    // Fractions of a second above the minimum are fine: the flag carries milliseconds.
    expect(() => aggregator({ resyncInterval: Duration.millis(1500) })).not.toThrow();
  });

  it('leaseDuration that is not whole seconds is refused at the prop (not inside cdk8s)', () => {
    refused(() => aggregator({ leaseDuration: Duration.millis(15_500) }), 'stack/agg', 'leaseDuration', /in whole seconds/);
  });

  it('aggregate keys: ".", ".." and "..data" are refused like any invalid key', () => {
    for (const key of ['.', '..', '..data', '..2026_01_01']) {
      refused(() => aggregator({ configmapKey: key }), 'stack/agg', 'configmapKey', /must not be '\.' or start with '\.\.'/);
    }
    refused(() => aggregator({ configmapKey: 'a/b' }), 'stack/agg', 'configmapKey', /not a valid ConfigMap\/Secret key/);
    expect(() => aggregator({ configmapKey: '.hidden.yaml' })).not.toThrow();
  });

  it('appConfigLabel, schema, replicas, ports, names', () => {
    refused(() => aggregator({ appConfigLabel: any(true) }), 'stack/agg', 'appConfigLabel', /must be a label as key=value, not boolean true/);
    refused(() => aggregator({ appConfigLabel: 'no-value-here' }), 'stack/agg', 'appConfigLabel', /"no-value-here" is not key=value/);
    refused(() => aggregator({ schema: any(NUMALOGIC_APP_CONFIG_SCHEMA) }), 'stack/agg', 'schema', /AppConfigSchema\.of\(jsonSchema\)/);
    refused(() => aggregator({ replicas: -1 }), 'stack/agg', 'replicas', /-1 is not a positive integer/);
    refused(() => aggregator({ metricsPort: 70000 }), 'stack/agg', 'metricsPort', /70000/);
    refused(() => aggregator({ name: 'Config.Aggregator' }), 'stack/agg', 'name', /DNS-1035/);
    refused(() => aggregator({ resources: { cpuRequest: '0.5', cpuLimit: '100m' } }), 'stack/agg', 'resources.cpuRequest', /above cpuLimit/);
  });

  it('two aggregators writing the same objects are refused, naming both', () => {
    const c = chart();
    aggregator({}, c, 'one');
    const { message } = refused(() => aggregator({ name: 'other' }, c, 'two'), 'stack/two', 'name', /ConfigMap "numalogic\/application-config-schema" would be synthesized twice/);
    expect(message).toMatch(/by stack\/two\/\S+ and by stack\/one\//);
    // In two namespaces they are fine.
    expect(() => aggregator({ namespace: 'other' }, c, 'three')).not.toThrow();
  });
});

describe('AppConfig props', () => {
  it('a missing props object, a wrong aggregator or schema', () => {
    refused(() => new AppConfig(chart(), 'app', any(undefined)), 'stack/app', 'props', /with config/);
    refused(() => new AppConfig(chart(), 'app', any({ config: CONFIG, aggregator: {} })), 'stack/app', 'aggregator', /must be a ConfigAggregator, not an object/);
    refused(() => new AppConfig(chart(), 'app', any({ config: CONFIG, schema: NUMALOGIC_APP_CONFIG_SCHEMA })), 'stack/app', 'schema', /AppConfigSchema/);
    refused(() => new AppConfig(chart(), 'app', any({ config: CONFIG, label: 5 })), 'stack/app', 'label', /number 5/);
  });

  it('keys ".", ".." and "..data" are refused at construct time', () => {
    for (const key of ['.', '..', '..data']) {
      refused(() => new AppConfig(chart(), 'app', { config: CONFIG, key }), 'stack/app', 'key', /must not be '\.' or start with '\.\.'/);
    }
  });

  it('two AppConfigs of one name in one namespace are refused', () => {
    const c = chart();
    new AppConfig(c, 'a', { config: CONFIG, name: 'app-config' });
    refused(() => new AppConfig(c, 'b', { config: CONFIG, name: 'app-config' }), 'stack/b', 'name', /ConfigMap "numalogic\/app-config" would be synthesized twice/);
    expect(() => new AppConfig(c, 'c', { config: CONFIG, schema: AppConfigSchema.numalogic() })).not.toThrow();
  });
});

describe('the same key rule at run time', () => {
  it('the shared validator: one reason for constructs and the runtime', () => {
    expect(appConfigKeyReason('config.yaml')).toBeUndefined();
    expect(appConfigKeyReason('..data')).toBe(`"..data" is not a valid ConfigMap/Secret key (must not be '.' or start with '..')`);
    refused(() => checkAppConfigKey('src', 'key', '..'), 'src', 'key', /must not be/);
  });

  it('--configmap-key=..data is a flag error with the same reason', () => {
    const { values } = parseFlags(CONFIG_AGGREGATOR_FLAGS, ['--configmap-name=agg', '--configmap-key=..data'], { NAMESPACE: 'ns', POD_NAME: 'p' });
    expect(() => optionsFromFlags(values)).toThrow(FlagError);
    expect(() => optionsFromFlags(values)).toThrow(`--configmap-key: ${appConfigKeyReason('..data')}`);
  });

  it('an application ConfigMap with such a key: the entry is left out and reported with the same reason', () => {
    const compiled = compileSchema(JSON.stringify(NUMALOGIC_APP_CONFIG_SCHEMA));
    if (!compiled.ok) throw new Error(compiled.reason);
    const yaml = 'metric_configs: []\nunified_configs: []\n';
    const agg = new Aggregator().build([{ metadata: { namespace: 'app', name: 'cm', uid: 'u', resourceVersion: '1' }, data: { '..data': yaml, config: yaml } }], compiled.schema);
    expect(agg.entries).toBe(1);
    expect(agg.invalid).toEqual([expect.objectContaining({ namespace: 'app', name: 'cm', key: '..data', pointer: '', reason: `is refused: ${appConfigKeyReason('..data')}` })]);
  });
});
