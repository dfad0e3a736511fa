import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { jest } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  NotLeaderError,
  runControllers,
  silentLogger,
  type ControllerContext,
  type Lease,
  type LeaseClient,
  type Runnable,
} from '../../../runtime/kit/index.js';
import { until } from './fake-lister-watcher.js';

/** Leases by name; a lease's requests can be made to hang (a partition) until healed, then fail like a timeout. */
class Leases {
  readonly leases = new Map<string, Lease>();
  private readonly hanging = new Map<string, Array<() => void>>();
  private rv = 0;
  hang(name: string): void {
    this.hanging.set(name, []);
  }
  heal(name: string): void {
    const waiting = this.hanging.get(name) ?? [];
    this.hanging.delete(name);
    waiting.forEach((fail) => fail());
  }
  client(name: string): LeaseClient {
    const gate = () => {
      const waiting = this.hanging.get(name);
      return waiting ? new Promise<never>((_, reject) => waiting.push(() => reject(new Error('request timed out')))) : Promise.resolve();
    };
    return {
      get: async () => {
        await gate();
        return this.leases.has(name) ? structuredClone(this.leases.get(name)) : undefined;
      },
      create: async (l) => {
        await gate();
        const stored = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        this.leases.set(name, stored);
        return structuredClone(stored);
      },
      replace: async (l) => {
        await gate();
        const stored = { ...structuredClone(l), metadata: { ...l.metadata, resourceVersion: String(++this.rv) } };
        this.leases.set(name, stored);
        return structuredClone(stored);
      },
    };
  }
}

jest.setTimeout(30_000);

const kc = new KubeConfig();
kc.loadFromOptions({
  clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
  users: [{ name: 'u' }],
  contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
  currentContext: 'x',
});

const election = { 'leader-elect': true, 'leader-election-id': undefined, 'lease-duration': 1500, 'renew-deadline': 1000, 'retry-period': 200 };

function recording(log: string[], name: string, needLeaderElection: boolean): Runnable {
  return {
    name,
    needLeaderElection,
    start: () => void log.push(`start ${name}`),
    stop: async () => void log.push(`stop ${name}`),
  };
}

describe('manager: several controllers in one process', () => {
  it('runs every-replica runnables at once and leader-only ones per controller lease; a hung renew stops one controller only, and its writes at once', async () => {
    const leases = new Leases();
    const log: string[] = [];
    const ctxs = new Map<string, ControllerContext>();
    const stop = new AbortController();
    let port = 0;
    const done = runControllers(
      'platform-controllers',
      { kubeconfig: undefined, namespace: 'ops', 'pod-name': 'pod-0', 'metrics-port': 0, 'watch-timeout': 300_000, 'webhook-port': 0, 'webhook-cert-dir': '/nonexistent', 'webhook-ca-inject': undefined },
      ['alpha', 'beta'].map((name) => ({
        name,
        flags: election,
        setup: (ctx: ControllerContext) => {
          ctxs.set(name, ctx);
          ctx.add(recording(log, `${name}-worker`, true));
          ctx.add(recording(log, `${name}-collector`, false));
          ctx.addReadinessCheck('ready', () => undefined);
        },
      })),
      { signal: stop.signal, kubeConfig: kc, leaseClient: (_ns, name) => leases.client(name), logger: silentLogger(), onListening: (p) => (port = p) },
    );
    await until(() => log.includes('start alpha-worker') && log.includes('start beta-worker'), 5000, 'both lead');
    // Collectors start before any election is won.
    expect(log.indexOf('start alpha-collector')).toBeLessThan(log.indexOf('start alpha-worker'));
    expect(log.indexOf('start beta-collector')).toBeLessThan(log.indexOf('start beta-worker'));
    // Each controller has its own Lease.
    expect([...leases.leases.keys()].sort()).toEqual(['alpha', 'beta']);
    expect(leases.leases.get('alpha')!.spec!.holderIdentity).toBe('pod-0');
    const alpha = ctxs.get('alpha')!;
    const beta = ctxs.get('beta')!;
    expect(alpha.isLeader() && beta.isLeader()).toBe(true);
    // One port for the process; checks named per controller.
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).text();
    expect(ready).toContain('[+]alpha/ready ok');
    expect(ready).toContain('[+]beta/ready ok');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/kit_leader\{lease="alpha"\} 1/);
    expect(metrics).toMatch(/kit_leader\{lease="beta"\} 1/);

    // alpha's renewals hang: at its renew deadline its client refuses writes and its worker stops.
    leases.hang('alpha');
    await until(() => !alpha.isLeader(), 5000, 'alpha steps down');
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ops' } };
    await expect(alpha.client.apply({ apiVersion: 'v1', resource: 'configmaps' }, cm)).rejects.toBeInstanceOf(NotLeaderError);
    await until(() => log.includes('stop alpha-worker'), 5000, 'alpha worker stopped');
    expect(log).not.toContain('stop alpha-collector');
    expect(log).not.toContain('stop beta-worker');
    expect(beta.isLeader()).toBe(true);

    // Back online, alpha leads again: its worker is started again.
    leases.heal('alpha');
    await until(() => log.filter((l) => l === 'start alpha-worker').length === 2, 10_000, 'alpha leads again');

    // Shutdown: leases released, every runnable stopped.
    stop.abort();
    await done;
    for (const r of ['alpha-worker', 'beta-worker', 'alpha-collector', 'beta-collector']) expect(log).toContain(`stop ${r}`);
    expect(leases.leases.get('alpha')!.spec!.holderIdentity).toBe('');
    expect(leases.leases.get('beta')!.spec!.holderIdentity).toBe('');
  });

  it('without leader election, leader-only runnables run until shutdown and writes are allowed', async () => {
    const log: string[] = [];
    const stop = new AbortController();
    let ctx: ControllerContext | undefined;
    const done = runControllers(
      'solo',
      { kubeconfig: undefined, namespace: 'ops', 'pod-name': undefined, 'metrics-port': 0, 'watch-timeout': 300_000, 'webhook-port': 0, 'webhook-cert-dir': '/nonexistent', 'webhook-ca-inject': undefined },
      [{ name: 'solo', flags: { ...election, 'leader-elect': false }, setup: (c) => { ctx = c; c.add(recording(log, 'worker', true)); } }],
      { signal: stop.signal, kubeConfig: kc, logger: silentLogger() },
    );
    await until(() => log.includes('start worker'));
    expect(ctx!.isLeader()).toBe(true);
    expect(ctx!.watchTimeoutSeconds).toBe(300);
    stop.abort();
    await done;
    expect(log).toEqual(['start worker', 'stop worker']);
    expect(ctx!.isLeader()).toBe(false);
  });

  it('one webhook server per process, from --webhook-port and the certificate in --webhook-cert-dir, serving every controller', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-webhook-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
    const stop = new AbortController();
    const servers: unknown[] = [];
    const done = runControllers(
      'hooks',
      { kubeconfig: undefined, namespace: 'ops', 'pod-name': undefined, 'metrics-port': 0, 'watch-timeout': 300_000, 'webhook-port': 0, 'webhook-cert-dir': dir, 'webhook-ca-inject': undefined },
      ['alpha', 'beta'].map((name) => ({
        name,
        flags: { ...election, 'leader-elect': false },
        setup: (c: ControllerContext) => {
          servers.push(c.webhooks());
          c.webhooks().validating(`/validate-${name}`, () => ({ allowed: false, message: `denied by ${name}` }));
        },
      })),
      { signal: stop.signal, kubeConfig: kc, logger: silentLogger() },
    );
    try {
      let failure: unknown;
      done.catch((err) => (failure = err));
      await until(() => servers.length === 2 || failure !== undefined, 5000, 'both controllers set up');
      expect(failure).toBeUndefined();
      expect(new Set(servers).size).toBe(1);
      const server = servers[0] as { port?: number };
      await until(() => server.port !== undefined, 5000, 'webhook server listening');
      for (const name of ['alpha', 'beta']) {
        const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `u-${name}`, operation: 'CREATE', object: {} } };
        const body = await postInsecure(server.port!, `/validate-${name}`, JSON.stringify(review));
        expect(JSON.parse(body).response).toMatchObject({ uid: `u-${name}`, allowed: false, status: { message: `denied by ${name}` } });
      }
    } finally {
      stop.abort();
      await done;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('manager: a webhook certificate the process waits for, and its CA injection', () => {
  const flags = (dir: string, inject?: string) => ({
    kubeconfig: undefined,
    namespace: 'ops',
    'pod-name': undefined,
    'metrics-port': 0,
    'watch-timeout': 300_000,
    'webhook-port': 0,
    'webhook-cert-dir': dir,
    'webhook-ca-inject': inject,
  });

  it('a bad --webhook-ca-inject fails before anything starts, naming the flag', async () => {
    await expect(runControllers('hooks', flags('/nonexistent', 'mutating'), [], { signal: AbortSignal.abort(), kubeConfig: kc, logger: silentLogger() })).rejects.toThrow(
      /--webhook-ca-inject: "mutating" is not <mutating\|validating>:<configuration name>/,
    );
  });

  it('/readyz says the webhook certificate is not present yet; the injector reads ca.crt of --webhook-cert-dir and retries, without crashing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-webhook-wait-'));
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(chunk.toString())), cb()) }));
    const stop = new AbortController();
    let port = 0;
    const done = runControllers(
      'hooks',
      flags(dir, 'mutating:ops-hooks'),
      [{ name: 'hooks', flags: { ...election, 'leader-elect': false }, setup: (c: ControllerContext) => void c.webhooks().mutating('/m', () => ({ allowed: true })) }],
      { signal: stop.signal, kubeConfig: kc, logger, onListening: (p) => (port = p) },
    );
    try {
      await until(() => lines.some((l) => l.msg === 'cannot inject the webhook CA; retrying'), 5000, 'an injection attempt');
      expect(lines.find((l) => l.msg === 'cannot inject the webhook CA; retrying').configuration).toBe('mutating/ops-hooks');
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toContain('webhook certificate not present yet');
    } finally {
      stop.abort();
      await done;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** POST over HTTPS to a server with a self-signed certificate. */
function postInsecure(port: number, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}
