/**
 * The servo's flags (lib/api/servo/flags.ts): the original's environment variables as fallbacks,
 * every bad value a FlagError naming its flag.
 */
import { FlagError, parseFlags, parseNamespaces, renderFlags, type FlagSpec } from '../../../lib/api/flags.js';
import { MANAGER_FLAGS } from '../../../lib/api/manager.js';
import { parseAppIdPath } from '../../../lib/api/servo/app-id.js';
import {
  MAX_SERVO_CONCURRENCY, MIN_MONITOR_MEMORY_MIB, monitorHeapMiB, SERVO_FLAGS, servoOptionsFromFlags,
} from '../../../lib/api/servo/flags.js';
import { DEFAULT_APP_ID_PATH, DEFAULT_OPTUNE_URL, DEFAULT_POD_NAMESPACES, ServoEnv } from '../../../lib/api/servo/names.js';

const BASE_ENV = { NAMESPACE: 'servo-system', OPTUNE_ACCOUNT: 'acme' };
const options = (args: string[] = [], env: Record<string, string | undefined> = BASE_ENV) => servoOptionsFromFlags(parseFlags(SERVO_FLAGS, args, env).values);

function flagErrorOf(f: () => unknown): FlagError {
  try {
    f();
  } catch (e) {
    if (e instanceof FlagError) return e;
    throw new Error(`not a FlagError: ${String(e)}`);
  }
  throw new Error('no error');
}

describe('SERVO_FLAGS', () => {
  it('the servo\'s flags, then the manager\'s; no flag carries the token', () => {
    expect(SERVO_FLAGS.slice(-MANAGER_FLAGS.length)).toEqual(MANAGER_FLAGS);
    expect(SERVO_FLAGS.map((f) => f.name).filter((n) => /token/.test(n))).toEqual(['auth-token-file']);
    expect((SERVO_FLAGS as readonly FlagSpec[]).map((f) => f.env)).not.toContain(ServoEnv.authToken);
    expect(new Set(SERVO_FLAGS.map((f) => f.name)).size).toBe(SERVO_FLAGS.length);
  });

  it('the original\'s environment variables and defaults', () => {
    const byName: Record<string, FlagSpec> = Object.fromEntries(SERVO_FLAGS.map((f) => [f.name, f]));
    expect([byName.namespaces.env, byName.namespaces.default]).toEqual(['POD_NAMESPACES', 'default']);
    expect([byName.url.env, byName.url.default]).toEqual(['OPTUNE_URL', 'https://us-central1-optune-saas-collect.cloudfunctions.net/metrics/{acct}/{app_id}/servo']);
    expect(byName.account.env).toBe('OPTUNE_ACCOUNT');
    expect([byName['app-id-path'].env, byName['app-id-path'].default]).toEqual(['OPTUNE_APP_ID', 'spec/containers/0/env/[JOBID]']);
    expect(byName['monitor-image'].env).toBe('OPTUNE_SLEEPER_IMG');
    expect([DEFAULT_OPTUNE_URL, DEFAULT_APP_ID_PATH, DEFAULT_POD_NAMESPACES]).toEqual([byName.url.default, byName['app-id-path'].default, byName.namespaces.default]);
  });
});

describe('servoOptionsFromFlags', () => {
  it('defaults: the original\'s URL and app id path, namespace default, no monitor', () => {
    expect(options()).toEqual({
      namespace: 'servo-system',
      namespaces: ['default'],
      url: DEFAULT_OPTUNE_URL,
      account: 'acme',
      appIdPath: parseAppIdPath(DEFAULT_APP_ID_PATH),
      statsTimeoutMs: 30_000,
      sendTimeoutMs: 10_000,
      maxBackoffMs: 300_000,
      concurrency: 16,
      workers: 4,
    });
  });

  it('the original\'s environment variables take effect', () => {
    const o = options([], {
      NAMESPACE: 'servo-system',
      POD_NAMESPACES: 'jobs-b,jobs-a',
      OPTUNE_URL: 'https://opt.example.com/{acct}/{app_id}',
      OPTUNE_ACCOUNT: 'team-1',
      OPTUNE_APP_ID: 'metadata/labels/app-id',
      OPTUNE_SLEEPER_IMG: 'ghcr.io/pc/platform-controllers:2',
    });
    expect(o).toMatchObject({ namespaces: ['jobs-a', 'jobs-b'], url: 'https://opt.example.com/{acct}/{app_id}', account: 'team-1' });
    expect(o.appIdPath).toEqual(parseAppIdPath('metadata/labels/app-id'));
    expect(o.monitor).toEqual({ image: 'ghcr.io/pc/platform-controllers:2', imagePullPolicy: 'IfNotPresent', intervalMs: 100, cpu: '50m', memory: '64Mi', heapMiB: 24 });
  });

  it('flags win over the environment; an empty variable is as good as unset', () => {
    const env = { ...BASE_ENV, POD_NAMESPACES: 'from-env', OPTUNE_URL: 'https://env.example.com/{app_id}', OPTUNE_APP_ID: '' };
    const o = options(['--namespaces=from-flag', '--url=https://flag.example.com/{app_id}', '--account=flag-acct'], env);
    expect([o.namespaces, o.url, o.account, o.appIdPath.text]).toEqual([['from-flag'], 'https://flag.example.com/{app_id}', 'flag-acct', DEFAULT_APP_ID_PATH]);
  });

  it('no account is fine for a URL without {acct}; an empty account is no account', () => {
    expect(options(['--url=https://h/{app_id}'], { NAMESPACE: 'n' }).account).toBeUndefined();
    expect(options(['--url=https://h/{app_id}', '--account='], { NAMESPACE: 'n' })).not.toHaveProperty('account');
  });

  it('the monitor: its settings from the flags, its heap from its memory', () => {
    const o = options(['--monitor-image=pc:1', '--monitor-image-pull-policy=Always', '--monitor-interval=250ms', '--monitor-cpu=100m', '--monitor-memory=1Gi']);
    expect(o.monitor).toEqual({ image: 'pc:1', imagePullPolicy: 'Always', intervalMs: 250, cpu: '100m', memory: '1Gi', heapMiB: 984 });
  });

  it('the rest: auth token file, timeouts, concurrency, workers', () => {
    const o = options(['--auth-token-file=/var/run/secrets/optune/token', '--stats-timeout=1m', '--send-timeout=2s', '--max-backoff=10m', `--concurrency=${MAX_SERVO_CONCURRENCY}`, '--workers=64']);
    expect(o).toMatchObject({ authTokenFile: '/var/run/secrets/optune/token', statsTimeoutMs: 60_000, sendTimeoutMs: 2000, maxBackoffMs: 600_000, concurrency: 256, workers: 64 });
  });

  it('the least values accepted', () => {
    const o = options(['--monitor-image=pc:1', '--monitor-interval=10ms', `--monitor-memory=${MIN_MONITOR_MEMORY_MIB}Mi`, '--monitor-cpu=1m', '--stats-timeout=1s', '--send-timeout=100ms', '--max-backoff=1s', '--concurrency=1', '--workers=1']);
    expect([o.monitor?.intervalMs, o.monitor?.memory, o.monitor?.heapMiB, o.statsTimeoutMs, o.sendTimeoutMs, o.maxBackoffMs, o.concurrency, o.workers]).toEqual([10, '48Mi', 16, 1000, 100, 1000, 1, 1]);
  });

  it('watched namespaces: trimmed, deduplicated and sorted by parseNamespaces', () => {
    expect(options(['--namespaces= b , a,b,,a ']).namespaces).toEqual(['a', 'b']);
    expect(options([], { ...BASE_ENV, POD_NAMESPACES: 'x,x,x' }).namespaces).toEqual(['x']);
    expect(parseNamespaces('c,a,b,a')).toEqual(['a', 'b', 'c']);
  });

  it('what a construct renders parses back to the same options', () => {
    const values = { namespaces: 'a,b', url: 'https://h/{acct}/{app_id}', account: 'acme', 'monitor-image': 'pc:1', 'monitor-interval': 500, 'stats-timeout': 45_000, namespace: 'servo' } as const;
    const o = servoOptionsFromFlags(parseFlags(SERVO_FLAGS, renderFlags(SERVO_FLAGS, values)).values);
    expect([o.namespaces, o.url, o.account, o.monitor?.image, o.monitor?.intervalMs, o.statsTimeoutMs, o.namespace]).toEqual([['a', 'b'], values.url, 'acme', 'pc:1', 500, 45_000, 'servo']);
  });

  it.each([
    [['--namespaces=,'], 'namespaces', /at least one namespace/],
    [['--namespaces=jobs,Bad_NS'], 'namespaces', /not a DNS-1123 label/],
    [['--url=https://h/{foo}/{app_id}'], 'url', /placeholder \{foo\}/],
    [['--url=not a url'], 'url', /is not a URL/],
    [['--url=ftp://h/{app_id}'], 'url', /must be http or https/],
    [['--url=https://user:pw@h/{app_id}'], 'url', /must not carry credentials/],
    [['--app-id-path=spec/[JOBID'], 'app-id-path', /without closing it/],
    [['--app-id-path=/'], 'app-id-path', /has no element/],
    [['--monitor-interval=5ms'], 'monitor-interval', /at least 10ms/],
    [['--monitor-interval=soon'], 'monitor-interval', /not a duration/],
    [['--monitor-memory=lots'], 'monitor-memory', /not a Kubernetes quantity/],
    [['--monitor-memory=0'], 'monitor-memory', /greater than zero/],
    [['--monitor-memory=47Mi'], 'monitor-memory', /below the 48Mi/],
    [['--monitor-memory=50M'], 'monitor-memory', /below the 48Mi/],
    [['--monitor-cpu=0'], 'monitor-cpu', /greater than zero/],
    [['--monitor-cpu=fast'], 'monitor-cpu', /not a Kubernetes quantity/],
    [['--monitor-image-pull-policy=Sometimes'], 'monitor-image-pull-policy', /not Always, IfNotPresent or Never/],
    [['--stats-timeout=999ms'], 'stats-timeout', /at least 1s/],
    [['--send-timeout=99ms'], 'send-timeout', /at least 100ms/],
    [['--max-backoff=500ms'], 'max-backoff', /at least 1s/],
    [['--concurrency=0'], 'concurrency', /from 1 to 256/],
    [['--concurrency=257'], 'concurrency', /from 1 to 256/],
    [['--concurrency=many'], 'concurrency', /not an integer/],
    [['--workers=0'], 'workers', /from 1 to 64/],
    [['--workers=65'], 'workers', /from 1 to 64/],
  ])('%j is refused, naming the flag', (args, flag, reason) => {
    const err = flagErrorOf(() => options(args));
    expect([err.flag, err.message]).toEqual([flag, expect.stringMatching(reason)]);
    expect(err.message.startsWith(`--${flag}: `)).toBe(true);
  });

  it('{acct} in the URL without an account names account', () => {
    const err = flagErrorOf(() => options([], { NAMESPACE: 'n' }));
    expect([err.flag, err.message]).toEqual(['account', '--account: must be set: the URL uses {acct} (OPTUNE_ACCOUNT)']);
    expect(flagErrorOf(() => options(['--account='], { NAMESPACE: 'n' })).flag).toBe('account');
  });

  it('a bad value from the environment names the flag it stands for', () => {
    expect(flagErrorOf(() => options([], { ...BASE_ENV, POD_NAMESPACES: 'UPPER' })).flag).toBe('namespaces');
    expect(flagErrorOf(() => options([], { ...BASE_ENV, OPTUNE_URL: 'https://u:p@h/{app_id}' })).flag).toBe('url');
    expect(flagErrorOf(() => options([], { ...BASE_ENV, OPTUNE_APP_ID: 'a/[b' })).flag).toBe('app-id-path');
  });

  it('the controller\'s own namespace is required', () => {
    expect(flagErrorOf(() => options([], { OPTUNE_ACCOUNT: 'a' })).flag).toBe('namespace');
  });

  // Regression: servoOptionsFromFlags picks the flag by `urlProblem.includes('account')`, and the problem quotes
  // the user's URL: a {account} placeholder (a likely typo of {acct}) or "account" anywhere in a bad URL names --account.
  it.each([
    ['https://h/{account}/{app_id}'],
    ['ftp://h/account/{app_id}'],
  ])('--url=%s is refused naming url, not account', (url) => {
    expect(flagErrorOf(() => options([`--url=${url}`])).flag).toBe('url');
  });

  // Regression: --monitor-image (and OPTUNE_SLEEPER_IMG) is not checked at all; this value would be injected into
  // every job pod as a native sidecar that can never be pulled, so no job pod would start.
  it('a monitor image that is not an image reference is refused, naming monitor-image', () => {
    expect(flagErrorOf(() => options(['--monitor-image=platform controllers:1'])).flag).toBe('monitor-image');
  });
});

describe('monitorHeapMiB', () => {
  it('the memory less 40 MiB for Node itself, at least 16 MiB', () => {
    expect([48, 56, 57, 64, 64.9, 1024].map(monitorHeapMiB)).toEqual([16, 16, 17, 24, 24, 984]);
  });

  it('always below the monitor\'s memory from the least accepted', () => {
    for (let mib = MIN_MONITOR_MEMORY_MIB; mib < 4096; mib += 7) expect([mib, monitorHeapMiB(mib) < mib]).toEqual([mib, true]);
  });
});
