import YAML from 'yaml';
import {
  Aggregator,
  CONFIGMAP_MAX_BYTES,
  checkEntry,
  compileSchema,
  configMapDataSize,
  toLabelSelector,
  type CompiledSchema,
  type SourceConfigMap,
} from '../../../runtime/config-aggregator/aggregate.js';
import { NUMALOGIC_APP_CONFIG_SCHEMA } from '../../../constructs/config-aggregator/index.js';

const SEED_APP_CONFIG = `service: test1
metric_configs:
  - metric: "rollout_error_rate"
    composite_keys: ["namespace", "name", "hash_id"]
    static_threshold: 3
  - metric: "rollout_latency"
    composite_keys: ["namespace", "name", "hash_id"]
    static_threshold: 3
unified_configs:
  - unified_metric_name: "unified_anomaly"
    unified_metrics: ["rollout_error_rate", "rollout_latency"]
`;

/** The original's placeholder schema, from the seed. */
const SEED_SCHEMA = JSON.stringify({
  title: 'Numalogic application configuration',
  type: 'object',
  properties: {
    service: { type: 'string' },
    metric_configs: { type: 'array', items: { type: 'object' } },
    unified_configs: { type: 'array', items: { type: 'object' } },
  },
  required: ['metric_configs', 'unified_configs'],
});

function schema(text = JSON.stringify(NUMALOGIC_APP_CONFIG_SCHEMA)): CompiledSchema {
  const r = compileSchema(text);
  if (!r.ok) throw new Error(r.reason);
  return r.schema;
}

const cm = (namespace: string, name: string, data: Record<string, string>, rv = '1'): SourceConfigMap => ({
  metadata: { namespace, name, uid: `${namespace}-${name}`, resourceVersion: rv },
  data,
});

describe('toLabelSelector', () => {
  it('accepts the original "key: value" form and key=value', () => {
    expect(toLabelSelector('numaprom.numaproj.io/component: argo-rollouts')).toBe('numaprom.numaproj.io/component=argo-rollouts');
    expect(toLabelSelector('numaprom.numaproj.io/component=argo-rollouts')).toBe('numaprom.numaproj.io/component=argo-rollouts');
    expect(toLabelSelector('a=b,c in (d)')).toBe('a=b,c in (d)');
    expect(() => toLabelSelector(' ')).toThrow(/empty/);
  });
});

describe('compileSchema', () => {
  it('accepts the seed schema and the shipped default', () => {
    expect(compileSchema(SEED_SCHEMA).ok).toBe(true);
    expect(compileSchema(JSON.stringify(NUMALOGIC_APP_CONFIG_SCHEMA)).ok).toBe(true);
  });
  it.each([
    [undefined, /missing/],
    ['{ not json', /not valid JSON/],
    ['[1,2]', /must be a JSON object/],
    ['{"type": "objekt"}', /not a valid JSON Schema/],
    ['{"required": "x"}', /not a valid JSON Schema/],
  ])('rejects %j', (text, re) => {
    const r = compileSchema(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(re);
  });
});

describe('checkEntry', () => {
  const s = schema();
  it('accepts the seed example', () => {
    const r = checkEntry(SEED_APP_CONFIG, s);
    expect(r.ok).toBe(true);
  });
  it.each([
    ['non-YAML data', 'service: [unclosed', '', /not valid YAML/],
    ['YAML that is a list', '- a\n- b', '', /must be a YAML mapping, got a list/],
    ['YAML that is a scalar', 'just text', '', /must be a YAML mapping, got string/],
    ['an empty value', '', '', /empty/],
    ['two documents', 'a: 1\n---\nb: 2', '', /more than one YAML document/],
    ['a missing required field', 'metric_configs: []', '/unified_configs', /is required/],
    ['a wrong type deep inside', 'metric_configs: [{metric: m, composite_keys: [a], static_threshold: high}]\nunified_configs: []', '/metric_configs/0/static_threshold', /must be number/],
    ['a missing metric name', 'metric_configs: [{composite_keys: [a]}]\nunified_configs: []', '/metric_configs/0/metric', /is required/],
    ['duplicate keys', 'a: 1\na: 2', '', /not valid YAML/],
  ])('%s is invalid with pointer and reason', (_what, text, pointer, reason) => {
    const r = checkEntry(text, s);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.pointer).toBe(pointer);
      expect(r.reason).toMatch(reason);
    }
  });
  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const r = checkEntry(bomb, s);
    expect(r.ok).toBe(false);
  });
});

describe('Aggregator', () => {
  it('renders the original format: configs list, namespace first, sorted by namespace, name, key', () => {
    const agg = new Aggregator().build(
      [
        cm('sandbox-demo2', 'app', { config: SEED_APP_CONFIG.replace('test1', 'test2') }),
        cm('sandbox-demo1', 'b', { z: SEED_APP_CONFIG, a: SEED_APP_CONFIG.replace('test1', 'test1a') }),
        cm('sandbox-demo1', 'a', { config: `namespace: spoofed\n${SEED_APP_CONFIG.replace('test1', 'test0')}` }),
      ],
      schema(SEED_SCHEMA),
    );
    expect(agg.invalid).toEqual([]);
    expect(agg.entries).toBe(4);
    const parsed = YAML.parse(agg.text);
    expect(parsed.configs.map((c: any) => `${c.namespace}:${c.service}`)).toEqual([
      'sandbox-demo1:test0',
      'sandbox-demo1:test1a',
      'sandbox-demo1:test1',
      'sandbox-demo2:test2',
    ]);
    expect(Object.keys(parsed.configs[0])[0]).toBe('namespace');
    expect(parsed.configs[3]).toEqual({ namespace: 'sandbox-demo2', ...YAML.parse(SEED_APP_CONFIG.replace('test1', 'test2')) });
    // Byte-identical to a plain YAML rendering of the same document.
    expect(agg.text).toBe(YAML.stringify(parsed, { lineWidth: 0 }));
  });

  it('leaves invalid entries out and reports each', () => {
    const agg = new Aggregator().build(
      [cm('a', 'good', { config: SEED_APP_CONFIG }), cm('b', 'bad', { config: '- x', other: SEED_APP_CONFIG })],
      schema(),
    );
    expect(agg.entries).toBe(2);
    expect(agg.invalid).toEqual([
      expect.objectContaining({ namespace: 'b', name: 'bad', key: 'config', pointer: '', reason: expect.stringMatching(/mapping/) }),
    ]);
  });

  it('is deterministic whatever the input order, and empty is an empty list', () => {
    const items = [cm('b', 'x', { c: SEED_APP_CONFIG }), cm('a', 'y', { c: SEED_APP_CONFIG }), cm('a', 'x', { c: SEED_APP_CONFIG })];
    const one = new Aggregator().build(items, schema()).text;
    const two = new Aggregator().build([...items].reverse(), schema()).text;
    expect(one).toBe(two);
    expect(new Aggregator().build([], schema()).text).toBe('configs: []\n');
  });

  it('parses an unchanged source only once across builds', () => {
    const a = new Aggregator();
    const real = schema();
    let calls = 0;
    const counted = Object.assign(
      (data: unknown) => {
        calls++;
        const ok = real.validate(data);
        counted.errors = real.validate.errors;
        return ok;
      },
      { errors: null as unknown },
    );
    const s = { hash: real.hash, validate: counted } as unknown as CompiledSchema;
    const items = [cm('a', 'x', { c: SEED_APP_CONFIG }), cm('b', 'x', { c: SEED_APP_CONFIG })];
    const first = a.build(items, s);
    expect(calls).toBe(2);
    expect(a.build(items, s).text).toBe(first.text);
    expect(calls).toBe(2);
    const changed = a.build([items[0], cm('b', 'x', { c: SEED_APP_CONFIG.replace('test1', 'tX') }, '2')], s);
    expect(calls).toBe(3);
    expect(changed.text).not.toBe(first.text);
  });

  it('counts ConfigMap size the way the API server does', () => {
    expect(configMapDataSize({ ab: 'cde' })).toBe(5);
    expect(configMapDataSize({ k: 'é' })).toBe(3);
    expect(CONFIGMAP_MAX_BYTES).toBe(1048576);
  });
});
