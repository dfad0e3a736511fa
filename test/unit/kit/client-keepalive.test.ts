/**
 * The kit's requests to the API server reuse their TLS connections: client-node's
 * applyToHTTPSOptions makes a new https.Agent per call, which cost every request a TCP and TLS
 * handshake (about a tenth of WAO's CPU at 30 status writes a second).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { rawRequest } from '../../../runtime/kit/client.js';
import { makePeerTls, type PeerTls } from '../../peers/tls.js';

let tls: PeerTls;
let dir: string;
let server: Server;
let connections = 0;
let port = 0;
const auth: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kit-keepalive-'));
  tls = await makePeerTls(dir, 'apiserver');
  server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    auth.push(req.headers.authorization ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url }));
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function kubeConfig(token: string, ca = tls.caPem): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `https://127.0.0.1:${port}`, caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

test('sequential requests share one TLS connection, and each carries the current credentials', async () => {
  const before = connections;
  const kc = kubeConfig('first');
  for (let i = 0; i < 5; i++) expect(await rawRequest(kc, `/api/v1/namespaces/n${i}`)).toEqual({ path: `/api/v1/namespaces/n${i}` });
  expect(connections - before).toBe(1);
  // Another kubeconfig with the same CA and server (a rotated token): the same pool, the new token sent.
  await rawRequest(kubeConfig('second'), '/api');
  expect(connections - before).toBe(1);
  expect(auth.slice(-6)).toEqual([...Array(5).fill('Bearer first'), 'Bearer second']);
});

test('a different CA gets its own agent: its verification still applies', async () => {
  const other = mkdtempSync(join(tmpdir(), 'kit-keepalive-other-'));
  try {
    const stranger = await makePeerTls(other, 'stranger');
    await expect(rawRequest(kubeConfig('t', stranger.caPem), '/api')).rejects.toThrow(/certificate/);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});

test('a kept-alive connection closed by the server as a request leaves: the request is sent once more (not a POST)', async () => {
  const other = mkdtempSync(join(tmpdir(), 'kit-keepalive-reset-'));
  const t = await makePeerTls(other, 'reset');
  const seen: string[] = [];
  const perSocket = new WeakMap<object, number>();
  const s = createServer({ cert: t.certPem, key: t.keyPem }, (req, res) => {
    const n = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, n);
    seen.push(`${req.method} ${n}`);
    // The second request on a connection: the server drops it unanswered, as an idle timeout would.
    if (n === 2) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  try {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: `https://127.0.0.1:${(s.address() as { port: number }).port}`, caData: Buffer.from(t.caPem).toString('base64') }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    await rawRequest(kc, '/a', { method: 'PATCH', body: {} });
    await expect(rawRequest(kc, '/b', { method: 'PATCH', body: {} })).resolves.toEqual({});
    expect(seen).toEqual(['PATCH 1', 'PATCH 2', 'PATCH 1']);
    // A POST is not sent twice: the caller sees the failure.
    await rawRequest(kc, '/c', { method: 'PATCH', body: {} });
    await expect(rawRequest(kc, '/d', { method: 'POST', body: {} })).rejects.toThrow();
  } finally {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
    rmSync(other, { recursive: true, force: true });
  }
});
