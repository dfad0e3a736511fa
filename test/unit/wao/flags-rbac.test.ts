/** WAO's flags (typed, shared by construct and runtime) and its least RBAC. */
import { FlagError, parseFlags, renderFlags } from '../../../lib/api/flags.js';
import { leaseRules, ruleProblems } from '../../../lib/api/rbac.js';
import { parseNamespaces } from '../../../lib/api/flags.js';
import { WAO_FLAGS, WAO_GROUP, waoOptionsFromFlags, waoRules } from '../../../lib/api/wao/index.js';

const env = { NAMESPACE: 'wao-system' };
const options = (...args: string[]) => waoOptionsFromFlags(parseFlags(WAO_FLAGS, args, env).values);

describe('flags', () => {
  it('defaults: wao-system watched, the manager\'s metrics port, the prediction server and its cache', () => {
    expect(options()).toEqual({
      namespace: 'wao-system',
      namespaces: ['wao-system'],
      predictionPort: 5656,
      predictionCacheTtlMs: 30_000,
      predictionCacheSize: 10_000,
      workers: 4,
      statusIntervalMs: 10_000,
      metricsPort: 8080,
    });
  });

  it('several namespaces, trimmed, unique and sorted; the prediction server can be turned off', () => {
    const o = options('--namespaces= wao-b,wao-a ,wao-b', '--prediction-port=0', '--prediction-cache-ttl=2m', '--prediction-cache-size=5');
    expect([o.namespaces, o.predictionPort, o.predictionCacheTtlMs, o.predictionCacheSize]).toEqual([['wao-a', 'wao-b'], 0, 120_000, 5]);
  });

  it('what a construct renders parses back to the same values', () => {
    const values = { namespaces: 'a,b', 'prediction-port': 9000, 'prediction-cache-ttl': 45_000, 'metrics-port': 8081, namespace: 'wao' } as const;
    const parsed = parseFlags(WAO_FLAGS, renderFlags(WAO_FLAGS, values)).values;
    expect(parsed).toMatchObject(values);
  });

  it.each([
    [['--namespaces=,'], 'namespaces', /at least one namespace/],
    [['--namespaces=Bad_NS'], 'namespaces', /not a DNS-1123 label/],
    [['--prediction-port=70000'], 'prediction-port', /not a port/],
    [['--prediction-port=8080'], 'prediction-port', /same as --metrics-port/],
    [['--metrics-port=70000'], 'metrics-port', /not a port/],
    [['--prediction-cache-ttl=0s'], 'prediction-cache-ttl', /more than 0/],
    [['--prediction-cache-size=0'], 'prediction-cache-size', /from 1 to/],
    [['--workers=0'], 'workers', /from 1 to 64/],
  ])('%j is refused, naming the flag', (args, flag, reason) => {
    let err: unknown;
    try {
      options(...args);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagError);
    expect((err as FlagError).flag).toBe(flag);
    expect((err as FlagError).message).toMatch(reason);
  });

  it('parseNamespaces names its flag', () => {
    expect(() => parseNamespaces('', 'watch')).toThrow('--watch: needs at least one namespace');
  });
});

describe('RBAC', () => {
  const rules = waoRules(['wao-system']);

  it('every rule is well formed', () => {
    for (const r of rules) expect([r, ruleProblems(r)]).toEqual([r, []]);
  });

  it('nodes: read-only, cluster-wide; nothing else cluster-wide', () => {
    expect(rules.filter((r) => r.scope === 'cluster')).toEqual([{ scope: 'cluster', apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
  });

  it('Secrets and ConfigMaps: get only, in the watched namespaces', () => {
    const secrets = rules.filter((r) => r.resources.includes('secrets'));
    expect(secrets).toEqual([{ scope: 'namespace', namespaces: ['wao-system'], apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    expect(rules.filter((r) => r.resources.includes('configmaps')).map((r) => r.verbs)).toEqual([['get']]);
  });

  it('its custom resources and their status, Events', () => {
    const verbs = (resource: string) => rules.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs);
    expect(verbs('nodeconfigtemplates')).toEqual(['get', 'list', 'watch']);
    expect(verbs('nodeconfigs')).toEqual(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']);
    expect(verbs('nodeconfigs/status')).toEqual(['get', 'update', 'patch']);
    expect(verbs('nodeconfigtemplates/status')).toEqual(['get', 'update', 'patch']);
    expect(verbs('events')).toEqual(['create', 'patch']);
    expect(rules.filter((r) => r.apiGroups.includes(WAO_GROUP)).every((r) => r.scope === 'namespace')).toBe(true);
  });

  it('several namespaces; the Lease when asked (PlatformController adds it otherwise)', () => {
    expect(waoRules(['b', 'a', 'b'])[1].namespaces).toEqual(['a', 'b']);
    expect(waoRules(['wao-system'], { leaseName: 'wao' }).slice(-2)).toEqual(leaseRules('wao'));
    expect(rules.some((r) => r.resources.includes('leases'))).toBe(false);
    expect(() => waoRules([])).toThrow(/at least one/);
  });
});
