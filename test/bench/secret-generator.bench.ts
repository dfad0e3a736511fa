/**
 * Secret generator: time to fill N declared Secrets on a real API server (apply the declared
 * manifests, the controller generates and writes the data) versus a baseline that creates the
 * same Secrets directly with their data (what Terraform's `random_password` / `tls_*` resources
 * plus `kubernetes_secret` do: generate outside the cluster, then one create per Secret).
 * Both sides use the same concurrency for their API calls; the controller runs from the esbuild
 * bundle, as in the image, as its synthesized ServiceAccount. Never fails on time.
 *
 *   npm run bench -- secret-generator
 *   npx tsx test/bench/secret-generator.bench.ts --rounds=5
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { GeneratedSecret, SecretValue } from '../../constructs/secret-generator/index.js';
import type { CertificateSpec } from '../../lib/api/secret-generator/index.js';
import { validateGenerateSpec } from '../../lib/api/secret-generator/index.js';
import { issueCertificate } from '../../runtime/secret-generator/pki.js';
import { randomString } from '../../runtime/secret-generator/generate.js';
import { startCluster, type Cluster, type KubeObject } from '../cluster/index.js';
import { bundleControllers, type ControllerProcess } from '../integration/config-aggregator.support.js';
import { deployGenerator } from '../integration/secret-generator.support.js';
import { median, printTable, ratio } from './support.js';

const ROUNDS = Number(process.argv.find((a) => a.startsWith('--rounds='))?.split('=')[1] ?? process.env.SECRET_GENERATOR_BENCH_ROUNDS ?? 3);
const CONCURRENCY = 8;
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

interface Scenario {
  readonly name: string;
  readonly count: number;
  /** The declared Secret i (what the stack synthesizes). */
  declare(chart: Chart, i: number): void;
  /** The same Secret with its data, generated here (the baseline). */
  direct(namespace: string, i: number): KubeObject;
  /** Is the Secret as the API returns it filled? */
  filled(s: any): boolean;
}

const creds: (count: number) => Scenario = (count) => ({
  name: `${count} Secrets, random credentials (user, 32-char password, templated URI)`,
  count,
  declare: (chart, i) =>
    void new GeneratedSecret(chart, `creds-${i}`, {
      data: {
        username: SecretValue.value('admin'),
        password: SecretValue.random({ length: 32 }),
        uri: SecretValue.template('mongodb://{{key:username}}:{{key:password}}@mongodb:27017/'),
      },
    }),
  direct: (namespace, i) => {
    const password = randomString(32, 'alphanumeric');
    return secret(namespace, `creds-${i}`, { username: 'admin', password, uri: `mongodb://admin:${password}@mongodb:27017/` });
  },
  filled: (s) => s?.data?.uri !== undefined,
});

const CERT: CertificateSpec = { commonName: 'svc.bench.svc.cluster.local', dnsNames: ['svc'] };
const certs: Scenario = {
  name: '10 Secrets, RSA-2048 self-signed certificates (tls.crt, tls.key, ca.crt)',
  count: 10,
  declare: (chart, i) =>
    void new GeneratedSecret(chart, `cert-${i}`, {
      data: { 'tls.crt': SecretValue.certificate('cert'), 'tls.key': SecretValue.certificate('key'), 'ca.crt': SecretValue.certificate('ca') },
      certificate: { commonName: CERT.commonName, dnsNames: [...CERT.dnsNames!] },
    }),
  direct: (namespace, i) => {
    const spec = validateGenerateSpec({ keys: { c: { certificate: 'cert' } }, certificate: CERT }).certificate!;
    const pair = issueCertificate(spec);
    return secret(namespace, `cert-${i}`, { 'tls.crt': pair.certPem, 'tls.key': pair.keyPem, 'ca.crt': pair.certPem });
  },
  filled: (s) => s?.data?.['ca.crt'] !== undefined,
};

function secret(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) };
}

async function pool<T>(items: readonly T[], fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

async function waitAllFilled(cluster: Cluster, namespace: string, sc: Scenario, timeoutMs = 300_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const list = (await cluster.request('GET', `/api/v1/namespaces/${namespace}/secrets?labelSelector=platform-constructs.io/generate%3Dtrue`)).body;
    if (list.items.filter((s: any) => sc.filled(s)).length === sc.count) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${namespace}: not filled within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'secret-generator-bench-'));
  const bundle = await bundleControllers(work);
  const cluster = await startCluster();
  let ctrl: ControllerProcess | undefined;
  try {
    const scenarios = [creds(10), creds(100), certs];
    // One controller watching every benchmark namespace: the namespaces exist before it starts.
    const home = await cluster.createNamespace('secgen');
    const namespaces = new Map<string, string[]>();
    for (const sc of scenarios) namespaces.set(sc.name, await Promise.all(Array.from({ length: ROUNDS }, () => cluster.createNamespace('bench'))));
    const watched = [...namespaces.values()].flat();
    const gen = await deployGenerator(cluster, home, { watchNamespaces: watched, workers: 2 });
    ctrl = await gen.start('bench-0', [], bundle);
    await ctrl.waitReady();
    for (const t0 = Date.now(); !(await ctrl.isLeader()); ) {
      if (Date.now() - t0 > 60_000) throw new Error('no leadership');
      await new Promise((r) => setTimeout(r, 100));
    }

    const rows: string[][] = [['scenario', 'controller: declared -> filled', 'baseline: generate + create with data', 'controller / baseline', 'per Secret (controller)']];
    for (const sc of scenarios) {
      const ctl: number[] = [];
      const base: number[] = [];
      for (const [round, ns] of namespaces.get(sc.name)!.entries()) {
        // Controller: apply the declared manifests (as a GitOps sync), wait until every one is filled.
        const chart = new Chart(Testing.app(), 'bench', { namespace: ns });
        for (let i = 0; i < sc.count; i++) sc.declare(chart, i);
        const objects = chart.toJson() as KubeObject[];
        let t = performance.now();
        await pool(objects, (o) => cluster.request('PATCH', `/api/v1/namespaces/${ns}/secrets/${o.metadata!.name}?fieldManager=platform-constructs`, o, { contentType: 'application/apply-patch+yaml' }));
        await waitAllFilled(cluster, ns, sc);
        ctl.push(performance.now() - t);
        // Baseline: generate here, create with data, into a sibling namespace.
        const baseNs = await cluster.createNamespace('baseline');
        t = performance.now();
        await pool(Array.from({ length: sc.count }, (_, i) => i), (i) => cluster.request('POST', `/api/v1/namespaces/${baseNs}/secrets`, sc.direct(baseNs, i)));
        base.push(performance.now() - t);
        log(`${sc.name} round ${round + 1}: controller ${ctl.at(-1)!.toFixed(0)} ms, baseline ${base.at(-1)!.toFixed(0)} ms`);
      }
      const c = median(ctl);
      const b = median(base);
      rows.push([sc.name, `${c.toFixed(0)} ms`, `${b.toFixed(0)} ms`, ratio(c, b), `${(c / sc.count).toFixed(1)} ms`]);
    }
    const writes = await ctrl.metric('secret_generator_writes_total');
    const rss = await ctrl.metric('process_resident_memory_bytes');
    console.log(`secret-generator: medians of ${ROUNDS} rounds, ${CONCURRENCY} API calls in flight on each side, controller with 2 workers from the bundle`);
    printTable(rows);
    console.log(`controller: ${writes} writes for ${scenarios.reduce((s, x) => s + x.count, 0) * ROUNDS} Secrets (one per Secret), RSS ${(rss / 1024 / 1024).toFixed(0)} MB at the end`);
  } finally {
    await ctrl?.stop();
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    // A benchmark reports; it does not fail the run on time. A broken setup is still an error.
    process.stderr.write(`secret-generator bench failed: ${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
