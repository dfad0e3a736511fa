/**
 * The ingress's configuration on the real nginx (Debian 12's nginx 1.22, test/peers/nginx.sh),
 * with the TLS material the secret generator makes from the construct's own Secrets
 * (runtime/secret-generator's `fillSecret`, the code the controller runs):
 * - `nginx -t` accepts the rendered configuration for each shape (no TLS, TLS, mTLS with trusted
 *   names, CORS, the GUI, Grafana and Seq, a client CA of one's own), and refuses a broken one;
 * - served on loopback in front of an h2c stand-in of the control plane and an HTTP stand-in of the
 *   GUI: a client with a generated certificate (trusting the ingress with the `ca.crt` of its own
 *   Secret) reaches the gRPC API and Core receives its common name and fingerprint; a caller's own
 *   identity headers are ignored unless its name is trusted; no certificate, or one of another
 *   CA, is refused by nginx; `/admin/` redirects to the GUI's language and is proxied to it; a CORS
 *   preflight is answered.
 * The one change to what the pod runs: mount paths under a temp dir, loopback ports, and the
 * resolver 127.0.0.1 (nginx resolves the resolver's own name when it loads its configuration;
 * the upstreams are IP addresses here, which nginx never resolves).
 */
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ArmoniKIngress, IngressClientCa, IngressTls, type ArmoniKIngressProps } from '../../constructs/armonik/index.js';
import { parseGenerateSpec, SPEC_ANNOTATION } from '../../lib/api/secret-generator/index.js';
import { fillSecret } from '../../runtime/secret-generator/generate.js';
import { freePorts } from '../cluster/process.js';
import { nginxSite, nginxTest, nginxUnavailable, startNginx, type NginxSite } from '../peers/nginx.js';
import { makePeerTls } from '../peers/tls.js';

const why = nginxUnavailable();
if (why) process.stderr.write(`armonik-ingress: skipped, nginx unavailable: ${why}\n`);
const suite = why ? describe.skip : describe;

function build(props: Partial<ArmoniKIngressProps>) {
  const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
  const ingress = new ArmoniKIngress(c, 'ingress', { controlPlane: 'control-plane.armonik.svc.cluster.local:5001', resolver: '127.0.0.1', ...props });
  return { ingress, objects: Testing.synth(c) as any[] };
}

/** The generated Secrets' data, as the secret generator fills them (issuers first, as it waits for them). */
function generate(objects: any[]): Map<string, Record<string, string>> {
  const secrets = objects.filter((o) => o.kind === 'Secret' && o.metadata.annotations?.[SPEC_ANNOTATION]);
  const filled = new Map<string, Record<string, Buffer>>();
  for (let round = 0; round < secrets.length && filled.size < secrets.length; round++) {
    for (const s of secrets) {
      if (filled.has(s.metadata.name)) continue;
      const spec = parseGenerateSpec(s.metadata.annotations[SPEC_ANNOTATION], { selfName: s.metadata.name });
      const result = fillSecret({ spec, data: {}, secrets: (n) => (filled.has(n) ? { data: filled.get(n)!, generating: true } : undefined) });
      if (result.waiting.size === 0) filled.set(s.metadata.name, { ...result.added });
    }
  }
  expect([...filled.keys()].sort()).toEqual(secrets.map((s) => s.metadata.name).sort());
  return new Map([...filled].map(([n, d]) => [n, Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.toString('utf8')]))]));
}

/** The config with the pod's mount paths under the site and its listen ports replaced. */
function siteOf(config: string, ports: Record<number, number> = {}): NginxSite {
  const site = nginxSite('');
  let text = config.replaceAll('/ingress/', `${site.dir}/ingress/`);
  for (const [from, to] of Object.entries(ports)) text = text.replace(new RegExp(`listen (\\[::\\]:)?${from}\\b`, 'g'), (_m, v6) => (v6 ? `listen [::1]:${to}` : `listen 127.0.0.1:${to}`));
  site.write('conf.d/armonik.conf', text);
  return site;
}

/** Writes the files the Deployment mounts from the Secrets. */
function mountMaterial(site: NginxSite, ingress: ArmoniKIngress, data: Map<string, Record<string, string>>, clientCaPem?: string): void {
  if (ingress.tlsSecretName) {
    const tls = data.get(ingress.tlsSecretName)!;
    site.write('ingress/tls/tls.crt', tls['tls.crt']);
    site.write('ingress/tls/tls.key', tls['tls.key']);
  }
  if (ingress.mtls) site.write('ingress/client-ca/ca.crt', clientCaPem ?? data.get(ingress.clientCaSecretName!)!['tls.crt']);
}

suite('the ingress configuration on the real nginx', () => {
  const sites: NginxSite[] = [];
  afterAll(() => sites.forEach((s) => s.remove()));

  test('nginx -t accepts every shape of the rendered configuration, and refuses a broken one', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ingress-ca-'));
    try {
      const corp = await makePeerTls(other, 'corp');
      const shapes: Array<[string, Partial<ArmoniKIngressProps>]> = [
        ['no TLS', { tls: false, adminGui: 'http://gui.armonik.svc.cluster.local:1080' }],
        ['TLS generated', {}],
        ['mTLS, trusted names, CORS, GUI in two languages, Grafana, Seq', {
          mtls: { clientCertificates: { submitter: {}, loadbalancer: { commonName: 'lb.armonik' } }, trustedCommonNames: ['lb.armonik'] },
          cors: { allowedHost: 'https://armonik.example.com', allowedHeaders: ['X-Trace'] },
          adminGui: 'http://gui.armonik.svc.cluster.local:1080', langs: ['en', 'fr'],
          grafana: 'http://grafana.monitoring.svc.cluster.local:3000', seq: 'http://seq.monitoring.svc.cluster.local:8080',
        }],
        ['a client CA of one\'s own', { tls: IngressTls.generated({ dnsNames: ['armonik.example.com'] }), mtls: { clientCa: IngressClientCa.fromSecret('corp-ca') } }],
      ];
      for (const [name, props] of shapes) {
        const { ingress, objects } = build(props);
        const site = siteOf(ingress.config);
        sites.push(site);
        mountMaterial(site, ingress, generate(objects), corp.caPem);
        const result = nginxTest(site);
        expect({ name, ...result }).toMatchObject({ name, ok: true });
        expect(result.output).toContain('test is successful');
      }
      const broken = siteOf(build({ tls: false }).ingress.config.replace('grpc_pass grpc://$armonik_upstream;', 'grpc_pass grpc://$armonik_upstream'));
      sites.push(broken);
      expect(nginxTest(broken).ok).toBe(false);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  }, 60_000);

  describe('served: mTLS in front of a stand-in control plane and GUI', () => {
    const seen: Array<Record<string, string | string[] | undefined>> = [];
    let grpcServer: http2.Http2Server;
    let guiServer: http.Server;
    let nginx: ReturnType<typeof startNginx> | undefined;
    let ports: number[];
    let data: Map<string, Record<string, string>>;
    let ingress: ArmoniKIngress;
    let foreign: { certPem: string; keyPem: string };
    const work = mkdtempSync(join(tmpdir(), 'ingress-served-'));

    beforeAll(async () => {
      ports = await freePorts(5);
      const [upstream, gui, https, grpcs, health] = ports;
      grpcServer = http2.createServer();
      grpcServer.on('stream', (stream, headers) => {
        seen.push({ ...headers });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        // One empty gRPC message: no compression, length 0.
        stream.end(Buffer.alloc(5));
      });
      await new Promise<void>((r) => grpcServer.listen(upstream, '127.0.0.1', r));
      guiServer = http.createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`gui ${req.url}`);
      });
      await new Promise<void>((r) => guiServer.listen(gui, '127.0.0.1', r));

      const built = build({
        controlPlane: `127.0.0.1:${upstream}`,
        adminGui: `http://127.0.0.1:${gui}`,
        langs: ['en', 'fr'],
        cors: {},
        mtls: { clientCertificates: { submitter: {}, loadbalancer: { commonName: 'lb.armonik' } }, trustedCommonNames: ['lb.armonik'] },
      });
      ingress = built.ingress;
      data = generate(built.objects);
      const site = siteOf(ingress.config, { 8443: https, 9443: grpcs, 8081: health });
      sites.push(site);
      mountMaterial(site, ingress, data);
      foreign = await makePeerTls(work, 'intruder');
      nginx = startNginx(site);
      const deadline = Date.now() + 20_000;
      for (;;) {
        nginx.assertRunning();
        const ok = await new Promise<boolean>((resolve) => {
          http.get(`http://127.0.0.1:${health}/healthz`, (res) => { res.resume(); resolve(res.statusCode === 200); }).on('error', () => resolve(false));
        });
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`nginx did not answer /healthz:\n${nginx.logTail()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 60_000);

    afterAll(async () => {
      await nginx?.stop();
      grpcServer?.close();
      guiServer?.close();
      rmSync(work, { recursive: true, force: true });
    });

    /** One HTTP/2 request to the ingress's gRPC port as a client holding `identity` (or none), trusting the ingress with `ca`. */
    async function call(path: string, options: { user?: string; cert?: { certPem: string; keyPem: string }; headers?: Record<string, string>; method?: string } = {}) {
      const own = options.user ? data.get(`ingress-client-${options.user}`)! : undefined;
      const ca = data.get('ingress-client-submitter')!['ca.crt'];
      const session = http2.connect(`https://127.0.0.1:${ports[3]}`, {
        ca,
        servername: 'ingress.armonik.svc.cluster.local',
        ...(own ? { cert: own['tls.crt'], key: own['tls.key'] } : {}),
        ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}),
      });
      try {
        return await new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
          session.on('error', reject);
          const req = session.request({
            ':method': options.method ?? 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...options.headers,
          });
          let headers: http2.IncomingHttpHeaders = {};
          let body = '';
          req.on('response', (h) => { headers = h; });
          req.on('data', (d) => { body += d.toString('utf8'); });
          req.on('end', () => resolve({ status: Number(headers[':status']), headers, body }));
          req.on('error', reject);
          req.end(options.method === 'GET' || options.method === 'OPTIONS' ? undefined : Buffer.alloc(5));
        });
      } finally {
        session.close();
      }
    }
    const LIST = '/armonik.api.grpc.v1.sessions.Sessions/ListSessions';
    const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint.replaceAll(':', '').toLowerCase();

    test('the generated server certificate verifies against the CA each client Secret carries, for the ingress Service\'s name', () => {
      const dir = mkdtempSync(join(tmpdir(), 'ingress-verify-'));
      try {
        const site = nginxSite('');
        sites.push(site);
        const ca = site.write('ca.pem', data.get('ingress-client-submitter')!['ca.crt']);
        const cert = site.write('cert.pem', data.get('ingress-server-tls')!['tls.crt']);
        expect(execFileSync('openssl', ['verify', '-CAfile', ca, '-verify_hostname', 'ingress.armonik.svc', cert], { encoding: 'utf8' })).toContain('OK');
        const clientCa = site.write('client-ca.pem', data.get('ingress-client-ca')!['tls.crt']);
        const client = site.write('client.pem', data.get('ingress-client-submitter')!['tls.crt']);
        expect(execFileSync('openssl', ['verify', '-CAfile', clientCa, '-purpose', 'sslclient', client], { encoding: 'utf8' })).toContain('OK');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a client with its generated certificate reaches the control plane, which learns its name and fingerprint', async () => {
      seen.length = 0;
      const res = await call(LIST, { user: 'submitter' });
      expect(res.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(seen[0][':path']).toBe(LIST);
      expect(seen[0]['x-certificate-client-cn']).toBe('armonik-submitter');
      expect(seen[0]['x-certificate-client-fingerprint']).toBe(fingerprintOf(data.get('ingress-client-submitter')!['tls.crt']));
    });

    test('a client cannot claim another identity; a trusted name (the load balancer) may forward one', async () => {
      seen.length = 0;
      await call(LIST, { user: 'submitter', headers: { 'x-certificate-client-cn': 'admin', 'x-certificate-client-fingerprint': 'f'.repeat(40) } });
      expect(seen[0]['x-certificate-client-cn']).toBe('armonik-submitter');
      expect(seen[0]['x-certificate-client-fingerprint']).toBe(fingerprintOf(data.get('ingress-client-submitter')!['tls.crt']));
      await call(LIST, { user: 'loadbalancer', headers: { 'x-certificate-client-cn': 'alice', 'x-certificate-client-fingerprint': 'a'.repeat(40) } });
      expect(seen[1]['x-certificate-client-cn']).toBe('alice');
      expect(seen[1]['x-certificate-client-fingerprint']).toBe('a'.repeat(40));
    });

    test('no client certificate, or one another CA signed: refused by nginx, the control plane never called', async () => {
      seen.length = 0;
      expect((await call(LIST)).status).toBe(400);
      expect((await call(LIST, { cert: foreign })).status).toBe(400);
      expect(seen).toEqual([]);
    });

    test('the GUI: / and /admin/ redirect to the browser\'s language, /admin/<lang>/ is the GUI\'s', async () => {
      const root = await call('/', { user: 'submitter', method: 'GET', headers: { 'accept-language': 'fr-FR,fr;q=0.9' } });
      expect(root.status).toBe(302);
      expect(root.headers.location).toMatch(/\/admin\/fr\/$/);
      const admin = await call('/admin/', { user: 'submitter', method: 'GET' });
      expect(admin.headers.location).toMatch(/\/admin\/en\/$/);
      const page = await call('/admin/en/', { user: 'submitter', method: 'GET' });
      expect(page.status).toBe(200);
      expect(page.body).toBe('gui /admin/en/');
    });

    test('a CORS preflight on the API is answered by nginx (Infra\'s defaults: any origin)', async () => {
      seen.length = 0;
      const res = await call(LIST, { user: 'submitter', method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(String(res.headers['access-control-allow-headers'])).toContain('x-grpc-web');
      expect(seen).toEqual([]);
    });
  });
});
