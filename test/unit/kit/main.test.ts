import { jest } from '@jest/globals';
import { CONTROLLERS, main, usage } from '../../../runtime/main.js';

describe('platform-controllers entry point', () => {
  let out: string;
  let err: string;
  beforeEach(() => {
    out = '';
    err = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((s: any) => ((out += String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s: any) => ((err += String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it('--help lists the controllers', async () => {
    expect(await main(['--help'], {})).toBe(0);
    expect(out).toBe(usage());
    for (const name of Object.keys(CONTROLLERS)) expect(out).toContain(name);
  });

  it('<controller> --help lists its flags, the original ones first', async () => {
    expect(await main(['config-aggregator', '--help'], {})).toBe(0);
    for (const flag of ['--configmap-name', '--configmap-key', '--app-config-label', '--interval', '--kubeconfig', '--leader-elect', '--lease-duration']) {
      expect(out).toContain(flag);
    }
    expect(out).toContain('env NAMESPACE');
    expect(out).toContain('env POD_NAME');
    expect(out.indexOf('--configmap-name')).toBeLessThan(out.indexOf('--kubeconfig'));
  });

  it('an unknown controller or a bad flag exits 2 with a message naming it', async () => {
    expect(await main(['nope'], {})).toBe(2);
    expect(err).toContain('unknown controller "nope"');
    expect(await main(['config-aggregator', '--namespace=x'], {})).toBe(2);
    expect(err).toContain('--configmap-name: is required');
    expect(await main(['config-aggregator', '--configmap-name=a', '--namespace=x', '--interval=often'], {})).toBe(2);
    expect(err).toContain('--interval: "often" is not a duration');
  });

  it('no arguments prints usage and exits 2', async () => {
    expect(await main([], {})).toBe(2);
    expect(out).toBe(usage());
    expect(err).toBe('');
  });

  it('-h and help print usage and exit 0; an unknown controller gets usage on stderr', async () => {
    expect(await main(['-h'], {})).toBe(0);
    expect(await main(['help'], {})).toBe(0);
    expect(out).toBe(usage() + usage());
    expect(await main(['nope'], {})).toBe(2);
    expect(err).toBe(`unknown controller "nope"\n\n${usage()}`);
  });

  it('a bad flag prints the controller\'s flags after the message', async () => {
    expect(await main(['config-aggregator', '--namespace=x'], {})).toBe(2);
    expect(err.startsWith('config-aggregator: --configmap-name: is required\n\nFlags:\n')).toBe(true);
    expect(err).toContain('--configmap-key');
    expect(out).toBe('');
  });
});
