import { jest } from '@jest/globals';
import { CONTROLLERS, main, parseRunArgs, runUsage, usage } from '../../../runtime/main.js';

describe('platform-controllers run: several controllers in one process', () => {
  let out: string;
  let err: string;
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => ((out += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => ((err += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('gives the process flags once and each controller its own flags and leader election', () => {
    const args = parseRunArgs(
      [
        '--namespace=ops', '--metrics-port', '9090',
        'config-aggregator', '--configmap-name', 'agg', '--lease-duration=30s', '--leader-election-id', 'secret-generator',
        'secret-generator', '--namespaces=a,b', '--leader-elect=false',
      ],
      { POD_NAME: 'pod-7' },
    );
    expect(args.process).toMatchObject({ namespace: 'ops', 'metrics-port': 9090, 'pod-name': 'pod-7' });
    expect(args.controllers.map((c) => c.name)).toEqual(['config-aggregator', 'secret-generator']);
    const [agg, gen] = args.controllers;
    // A flag's value that happens to be a controller's name stays a value.
    expect(agg.values).toMatchObject({ 'configmap-name': 'agg', 'lease-duration': 30_000, 'leader-election-id': 'secret-generator', 'leader-elect': true, namespace: 'ops' });
    expect(gen.values).toMatchObject({ namespaces: 'a,b', 'lease-duration': 15_000, 'leader-elect': false, namespace: 'ops', 'metrics-port': 9090 });
    expect(gen.values).not.toHaveProperty('configmap-name');
  });

  it('refuses a process flag after a controller, an unknown word, a controller twice, or none; errors name the controller', async () => {
    expect(await main(['run', '--namespace=ops', 'config-aggregator', '--configmap-name=a', '--metrics-port=1'], {})).toBe(2);
    expect(err).toContain('--metrics-port: config-aggregator: unknown flag');
    expect(await main(['run', '--namespace=ops', 'config-aggregator', '--configmap-name=a', 'nope'], {})).toBe(2);
    expect(err).toContain('unexpected argument "nope"');
    expect(await main(['run', '--namespace=ops', 'secret-generator', 'secret-generator'], {})).toBe(2);
    expect(err).toContain('controller "secret-generator" given twice');
    expect(await main(['run', '--namespace=ops'], {})).toBe(2);
    expect(err).toContain('names no controller');
    expect(await main(['run', '--namespace=ops', 'config-aggregator'], {})).toBe(2);
    expect(err).toContain('--configmap-name: config-aggregator: is required');
    expect(await main(['run', 'secret-generator'], {})).toBe(2);
    expect(err).toContain('--namespace: is required (or env NAMESPACE)');
  });

  it('--help documents the process flags and each controller with its election flags', async () => {
    expect(await main(['run', '--help'], {})).toBe(0);
    expect(out).toBe(runUsage());
    const processPart = out.slice(out.indexOf('Process flags'), out.indexOf('Controller flags'));
    for (const f of ['--kubeconfig', '--namespace', '--metrics-port', '--pod-name', '--watch-timeout']) expect(processPart).toContain(f);
    expect(processPart).not.toContain('--lease-duration');
    const controllersPart = out.slice(out.indexOf('Controller flags'));
    for (const name of Object.keys(CONTROLLERS)) expect(controllersPart).toContain(`  ${name}\n`);
    expect(controllersPart.split('--leader-election-id').length - 1).toBe(Object.keys(CONTROLLERS).length);
    expect(controllersPart).not.toContain('--metrics-port');
    expect(usage()).toContain('platform-controllers run [process flags] <controller> [flags]');
  });
});
