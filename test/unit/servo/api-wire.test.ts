/**
 * What the optimizer receives (lib/api/servo/wire.ts): the original's `send()` and `report()`,
 * the URL pattern with `{acct}` and `{app_id}`, and the events as JSON.
 */
import fc from 'fast-check';
import { parseAppIdPath, type AppIdPath } from '../../../lib/api/servo/app-id.js';
import { assessJob, jobAppId } from '../../../lib/api/servo/job.js';
import { encodeMonitorReport } from '../../../lib/api/servo/monitor-report.js';
import { DEFAULT_APP_ID_PATH, DEFAULT_OPTUNE_URL, GLOBAL_APP_ID, MONITOR_CONTAINER } from '../../../lib/api/servo/names.js';
import type { JobPodObject } from '../../../lib/api/servo/pod.js';
import { goodbyeEvent, helloEvent, measurementEvent, optimizerUrl, urlPatternProblems } from '../../../lib/api/servo/wire.js';

const SEED = 2616;

describe('events', () => {
  it('HELLO and GOODBYE carry the account, null without one (as the original sends them)', () => {
    expect(JSON.stringify(helloEvent('acme'))).toBe('{"event":"HELLO","param":{"account":"acme"}}');
    expect(JSON.stringify(helloEvent(undefined))).toBe('{"event":"HELLO","param":{"account":null}}');
    expect(JSON.stringify(goodbyeEvent('acme', 'signal 15'))).toBe('{"event":"GOODBYE","param":{"account":"acme","reason":"signal 15"}}');
    expect(JSON.stringify(goodbyeEvent(undefined, 'exit'))).toBe('{"event":"GOODBYE","param":{"account":null,"reason":"exit"}}');
  });

  it('HELLO and GOODBYE go to the app id _global_', () => {
    expect(GLOBAL_APP_ID).toBe('_global_');
    expect(optimizerUrl(DEFAULT_OPTUNE_URL, 'acme', GLOBAL_APP_ID)).toBe('https://us-central1-optune-saas-collect.cloudfunctions.net/metrics/acme/_global_/servo');
  });

  it('a job that never ran: the original\'s failed measurement', () => {
    expect(JSON.stringify(measurementEvent({ status: 'failed', message: 'job deleted before it ran' }))).toBe('{"event":"MEASUREMENT","param":{"status":"failed","message":"job deleted before it ran"}}');
  });

  describe('a MEASUREMENT from a pod, byte for byte', () => {
    const appIdPath = parseAppIdPath(DEFAULT_APP_ID_PATH) as AppIdPath;
    const opts = { selection: { namespaces: ['default'], appIdPath }, statsTimeoutMs: 30_000 };
    const resources = { limits: { cpu: '2', memory: '1Gi' }, requests: { cpu: '2', memory: '1Gi' } };
    const pod = (monitorMessage?: string, finishedAt = '2024-05-01T10:00:04Z'): JobPodObject => ({
      metadata: { namespace: 'default', name: 'j' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', env: [{ name: 'JOBID', value: 'app/1' }], resources }],
        ...(monitorMessage === undefined ? {} : { initContainers: [{ name: MONITOR_CONTAINER }] }),
      },
      status: {
        phase: 'Succeeded',
        containerStatuses: [{ name: 'main', containerID: 'containerd://c0ffee', state: { terminated: { exitCode: 0, startedAt: '2024-05-01T10:00:00Z', finishedAt } } }],
        ...(monitorMessage === undefined ? {} : { initContainerStatuses: [{ name: MONITOR_CONTAINER, state: { terminated: { exitCode: 0, message: monitorMessage } } }] }),
      },
    });
    const body = (p: JobPodObject) => {
      const a = assessJob(p, opts, Date.parse('2024-05-01T11:00:00Z'));
      if (a.state !== 'report') throw new Error(a.state);
      return JSON.stringify(measurementEvent(a.param));
    };
    const RESOURCES_JSON = JSON.stringify(JSON.stringify(resources));

    it('without the monitor: duration and perf, resources as JSON text, the exit code', () => {
      expect(body(pod())).toBe(
        `{"event":"MEASUREMENT","param":{"metrics":{"duration":{"value":4,"unit":"s"},"perf":{"value":0.25,"unit":"1/s"}},"annotations":{"resources":${RESOURCES_JSON},"exitcode":0}}}`,
      );
    });

    it('with the monitor\'s figures: cpu_time in s and max_memory in bytes', () => {
      const message = encodeMonitorReport({ v: 1, intervalMs: 100, samples: 40, groups: [{ cgroup: '/kubepods/podx/c0ffee', cpuSeconds: 3.5, maxMemoryBytes: 1048576, processes: 1 }] });
      expect(body(pod(message))).toBe(
        '{"event":"MEASUREMENT","param":{"metrics":{"duration":{"value":4,"unit":"s"},"perf":{"value":0.25,"unit":"1/s"},' +
          `"cpu_time":{"value":3.5,"unit":"s"},"max_memory":{"value":1048576,"unit":"bytes"}},"annotations":{"resources":${RESOURCES_JSON},"exitcode":0}}}`,
      );
    });

    it('a zero duration: no perf (the original divided by zero)', () => {
      expect(body(pod(undefined, '2024-05-01T10:00:00Z'))).toBe(`{"event":"MEASUREMENT","param":{"metrics":{"duration":{"value":0,"unit":"s"}},"annotations":{"resources":${RESOURCES_JSON},"exitcode":0}}}`);
    });
  });
});

describe('optimizerUrl', () => {
  it('replaces {acct} and {app_id}, every occurrence', () => {
    expect(optimizerUrl(DEFAULT_OPTUNE_URL, 'acme', 'job-1')).toBe('https://us-central1-optune-saas-collect.cloudfunctions.net/metrics/acme/job-1/servo');
    expect(optimizerUrl('https://h/{acct}/{app_id}?a={acct}&id={app_id}', 'a', 'b')).toBe('https://h/a/b?a=a&id=b');
  });

  it('percent-encodes both: an app id with / stays one path segment', () => {
    expect(optimizerUrl(DEFAULT_OPTUNE_URL, 'my acct/1', 'team/job 1?x=1#f')).toBe(
      'https://us-central1-optune-saas-collect.cloudfunctions.net/metrics/my%20acct%2F1/team%2Fjob%201%3Fx%3D1%23f/servo',
    );
  });

  it('a value holding the other placeholder or replacement patterns is not expanded', () => {
    expect(optimizerUrl('https://h/{acct}/{app_id}', '{app_id}', '$&$1{acct}')).toBe('https://h/%7Bapp_id%7D/%24%26%241%7Bacct%7D');
  });

  it('no account: {acct} becomes empty (refused earlier by the flags)', () => {
    expect(optimizerUrl('https://h/{acct}/{app_id}', undefined, 'x')).toBe('https://h//x');
  });

  const segments = (url: string) => new URL(url).pathname.split('/');

  it('the app id and the account are exactly one path segment each once the URL is parsed (property)', () => {
    const value = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(value, value, (acct, appId) => {
        const parts = segments(optimizerUrl(DEFAULT_OPTUNE_URL, acct, appId));
        expect(parts).toHaveLength(5);
        expect([parts[1], decodeURIComponent(parts[2]), decodeURIComponent(parts[3]), parts[4]]).toEqual(['metrics', acct, appId, 'servo']);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  // Regression: encodeURIComponent leaves "." and "..", which the URL parser (fetch) resolves as dot segments (so
  // does %2E): app id ".." posts to .../metrics/servo instead of .../metrics/acme/../servo, "." to .../metrics/acme/servo.
  // Neither jobAppId refuses such an app id nor optimizerUrl.
  it.each(['..', '.'])('the app id %j is never posted elsewhere: not a job, refused, or one path segment', (appId) => {
    const pod: JobPodObject = { metadata: { namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', env: [{ name: 'JOBID', value: appId }] }] } };
    const appIdPath = parseAppIdPath(DEFAULT_APP_ID_PATH) as AppIdPath;
    let oneSegment: boolean;
    try {
      const parts = segments(optimizerUrl(DEFAULT_OPTUNE_URL, 'acme', appId));
      oneSegment = parts.length === 5 && parts[2] === 'acme' && parts[4] === 'servo';
    } catch {
      oneSegment = true; // refused
    }
    expect({ isJob: jobAppId(pod, { namespaces: ['default'], appIdPath }) !== undefined, oneSegment }).not.toEqual({ isJob: true, oneSegment: false });
  });
});

describe('urlPatternProblems', () => {
  it('the original\'s default is fine with an account', () => {
    expect(urlPatternProblems(DEFAULT_OPTUNE_URL, 'acme')).toEqual([]);
    expect(urlPatternProblems('http://optimizer.svc:8080/{app_id}', undefined)).toEqual([]);
  });

  it.each([
    [DEFAULT_OPTUNE_URL, undefined, /must be set: the URL uses \{acct\}/],
    [DEFAULT_OPTUNE_URL, '', /must be set: the URL uses \{acct\}/],
    ['https://h/{foo}/{app_id}', 'a', /placeholder \{foo\}: only \{acct\} and \{app_id\}/],
    ['https://h/{}', 'a', /placeholder \{\}/],
    ['https://h/{0}', 'a', /placeholder \{0\}/],
    ['not a url', 'a', /"not a url" is not a URL/],
    ['/metrics/{app_id}', 'a', /is not a URL/],
    ['ftp://h/{app_id}', 'a', /must be http or https/],
    ['file:///tmp/{app_id}', 'a', /must be http or https/],
    ['https://user:secret@h/{app_id}', 'a', /must not carry credentials/],
    ['https://token@h/{app_id}', 'a', /must not carry credentials/],
    ['https://{acct}@h/{app_id}', 'a', /must not carry credentials/],
  ])('%j (account %j): %s', (pattern, account, reason) => {
    const problems = urlPatternProblems(pattern, account);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.reason).join('\n')).toMatch(reason);
    expect(problems.every((p) => p.field === (String(reason).includes('acct') && String(reason).includes('must be set') ? 'account' : 'url'))).toBe(true);
  });

  it('every problem is listed', () => {
    expect(urlPatternProblems('ftp://u:p@h/{acct}/{x}', undefined)).toEqual([
      { field: 'url', reason: 'has the placeholder {x}: only {acct} and {app_id} are replaced' },
      { field: 'account', reason: 'must be set: the URL uses {acct} (OPTUNE_ACCOUNT)' },
      { field: 'url', reason: '"ftp://u:p@h/{acct}/{x}" must be http or https' },
      { field: 'url', reason: 'must not carry credentials: give the token as a Secret (OPTUNE_AUTH_TOKEN)' },
    ]);
  });

  // A placeholder with other characters ({app-id}) or an unclosed one ({acct) would reach every POST's URL literally.
  it.each(['https://h/{app-id}/servo', 'https://h/{acct/{app_id}/servo'])('%j is refused', (pattern) => {
    expect(urlPatternProblems(pattern, 'acme')).not.toEqual([]);
  });
});
