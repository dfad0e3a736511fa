/**
 * The platform-controllers image, proven to run without Docker: its layers unpacked into a root
 * filesystem, the entrypoint run in it (test/e2e/sandbox.ts: unshare + chroot, uid 65532, root
 * read-only, only /proc, a minimal /dev and the ServiceAccount token mounted), and the config
 * aggregator, configured exactly as its construct's Deployment says, connects to the harness
 * API server with the in-cluster credentials of the synthesized ServiceAccount (token, ca.crt,
 * KUBERNETES_SERVICE_HOST/PORT, as a kubelet provides them) and writes the aggregate.
 *
 * The image is built first when dist/image does not hold a build of the current sources.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { DEFAULT_OUT, ensureImage, type BuildInfo } from '../../runtime/image/build.js';
import { readTar } from '../../runtime/image/tar.js';
import { readLayout, unpackImage, verifyRootfs } from '../../runtime/image/verify.js';
import { connectToTestCluster, freePort, randomSuffix } from '../cluster/index.js';
import { startSandbox, runSandbox, type SandboxProcess } from '../e2e/sandbox.js';
import { GOOD_CONFIG, appConfigMap, deployAggregator, sleep, waitFor } from './config-aggregator.support.js';
import { spawnSync } from 'node:child_process';

jest.setTimeout(120_000);

const cluster = connectToTestCluster();
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

let info: BuildInfo;
let layout: ReturnType<typeof readLayout>;
let rootfs: string;
let work: string;

function imageEnv(): Record<string, string> {
  return Object.fromEntries((layout.config.config.Env as string[]).map((e) => e.split(/=(.*)/s, 2) as [string, string]));
}

beforeAll(async () => {
  ({ info } = await ensureImage({ out: DEFAULT_OUT }));
  layout = readLayout(join(DEFAULT_OUT, 'oci'));
  work = mkdtempSync(join(tmpdir(), 'image-e2e-'));
  rootfs = join(work, 'rootfs');
  unpackImage(join(DEFAULT_OUT, 'oci'), rootfs);
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the platform-controllers image, unpacked and run with unshare + chroot', () => {
  it('has the config of a distroless non-root image', () => {
    const c = layout.config.config;
    expect(c.User).toBe('65532:65532');
    expect(c.Entrypoint).toEqual(['/nodejs/bin/node', '/app/platform-controllers.mjs']);
    expect(c.Labels['org.opencontainers.image.version']).toBe(info.tag);
    expect(c.Labels['org.opencontainers.image.revision']).toBe(info.revision);
    expect(c.Labels['org.opencontainers.image.licenses']).toMatch(/Apache-2\.0/);
    expect(layout.index.manifests[0].digest).toBe(info.digest);
  });

  it('links only against libraries it ships (ld.so --list in the rootfs), and has no shell', () => {
    const report = verifyRootfs(rootfs);
    expect(report.nodeVersion).toBe(`v${info.node}`);
    expect(report.libraries.join('\n')).toMatch(/libstdc\+\+\.so\.6 => \/usr\/lib\/x86_64-linux-gnu\/libstdc\+\+\.so\.6/);
  });

  it('sees nothing of the host: every file inside is a file of the layers', async () => {
    const walker = `
      const fs = require('fs');
      const out = [];
      const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = (d === '/' ? '' : d) + '/' + e.name;
        if (p === '/proc' || p === '/dev') { out.push(p); continue; }
        out.push(p); if (e.isDirectory()) walk(p); } };
      walk('/');
      console.log(JSON.stringify(out));`;
    const r = await runSandbox({ rootfs, argv: ['/nodejs/bin/node', '-e', walker], env: imageEnv() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const seen: string[] = JSON.parse(r.stdout);
    const inLayers = new Set<string>(['/proc', '/dev']);
    for (const l of layout.manifest.layers) {
      const tar = spawnSync('gzip', ['-dc'], { input: layout.blob(l.digest), maxBuffer: 1 << 30 }).stdout;
      for (const e of readTar(tar)) inLayers.add(`/${e.name.replace(/\/$/, '')}`);
    }
    expect(seen.filter((p) => !inLayers.has(p))).toEqual([]);
    expect([...inLayers].filter((p) => !seen.includes(p))).toEqual([]);
  });

  it('runs as 65532 with no capabilities, no new privileges, a read-only root', async () => {
    const probe = `
      const fs = require('fs');
      const st = Object.fromEntries(fs.readFileSync('/proc/self/status', 'utf8').split('\\n').map((l) => l.split(':\\t')));
      let write; try { fs.writeFileSync('/app/x', 'x'); write = 'ok'; } catch (e) { write = e.code; }
      let tmp; try { fs.writeFileSync('/tmp/x', 'x'); tmp = 'ok'; } catch (e) { tmp = e.code; }
      console.log(JSON.stringify({ uid: st.Uid, gid: st.Gid, capEff: st.CapEff, nnp: st.NoNewPrivs, pid: process.pid, write, tmp,
        user: require('os').userInfo().username, home: require('os').homedir() }));`;
    const r = await runSandbox({ rootfs, argv: ['/nodejs/bin/node', '-e', probe], env: imageEnv() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      uid: '65532\t65532\t65532\t65532',
      gid: '65532\t65532\t65532\t65532',
      capEff: '0000000000000000',
      nnp: '1',
      pid: 1,
      write: 'EROFS',
      tmp: 'EROFS',
      user: 'nonroot',
      home: '/home/nonroot',
    });
  });

  it('--help lists the controllers, and a controller its flags', async () => {
    const argv = layout.config.config.Entrypoint as string[];
    const top = await runSandbox({ rootfs, argv: [...argv, '--help'], env: imageEnv() });
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: platform-controllers <controller> \[flags\]/);
    expect(top.stdout).toMatch(/config-aggregator/);
    const sub = await runSandbox({ rootfs, argv: [...argv, 'config-aggregator', '--help'], env: imageEnv() });
    expect(sub.code).toBe(0);
    expect(sub.stdout).toMatch(/--configmap-name/);
    expect(sub.stdout).toMatch(/--leader-elect/);
  });

  it('runs the config aggregator as its Deployment says, with the ServiceAccount credentials, against the real API server', async () => {
    const ns = await cluster.createNamespace('img');
    const appNs = await cluster.createNamespace('imgapp');
    const labelKey = 'test.platform-constructs.io/image-e2e';
    const labelValue = randomSuffix(8);
    const { objects, aggregator } = await deployAggregator(cluster, ns, { appConfigLabel: `${labelKey}=${labelValue}` });
    const deployment = objects.find((o) => o.kind === 'Deployment') as any;
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    // The construct deploys exactly the image this build tags.
    expect(container.image).toBe(info.reference);
    expect(pod.securityContext.runAsUser).toBe(65532);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);

    // What a kubelet gives the pod: the projected ServiceAccount token, CA and namespace...
    const sa = join(work, `sa-${ns}`);
    mkdirSync(sa);
    const cfgCluster = cluster.kubeConfig.getCurrentCluster()!;
    const ca = cfgCluster.caData ? Buffer.from(cfgCluster.caData, 'base64') : readFileSync(cfgCluster.caFile!);
    writeFileSync(join(sa, 'token'), await cluster.tokenFor(ns, aggregator.serviceAccountName));
    writeFileSync(join(sa, 'ca.crt'), ca);
    writeFileSync(join(sa, 'namespace'), ns);
    // ...the API server's address, and the container's env with its field references resolved.
    const server = new URL(cluster.server);
    const podName = `${aggregator.name}-image-e2e`;
    const fieldRef: Record<string, string> = { 'metadata.namespace': ns, 'metadata.name': podName };
    const env: Record<string, string> = {
      ...imageEnv(),
      KUBERNETES_SERVICE_HOST: server.hostname,
      KUBERNETES_SERVICE_PORT: server.port,
    };
    for (const e of container.env) env[e.name] = e.value ?? fieldRef[e.valueFrom.fieldRef.fieldPath];
    const port = await freePort();
    const args = (container.args as string[]).map((a) => (a.startsWith('--metrics-port=') ? `--metrics-port=${port}` : a));

    await cluster.applyObjects([appConfigMap(appNs, 'app', { 'config.yaml': GOOD_CONFIG })].map((o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { [labelKey]: labelValue } },
    })), { fieldManager: 'app-team' });

    const proc: SandboxProcess = startSandbox({
      rootfs,
      argv: [...(layout.config.config.Entrypoint as string[]), ...args],
      env,
      mounts: [{ source: sa, target: SA_DIR }],
    });
    const logs: any[] = [];
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          logs.push(JSON.parse(line));
        } catch {
          logs.push({ raw: line });
        }
      }
    };
    proc.child.stdout!.on('data', onData);
    proc.child.stderr!.on('data', onData);
    try {
      const ready = await waitFor(
        'aggregator /readyz from the image',
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        60_000,
      ).catch((err) => {
        throw new Error(`${err.message}\nlogs: ${JSON.stringify(logs.slice(-10))}`);
      });
      // Cold start is about 0.4 s (runtime/README.md, target 1 s); the wait above allows 60 s only to
      // collect logs on a failure. Ten times the target leaves room for a loaded 2-core machine.
      process.stderr.write(`image e2e: /readyz answered 200 after ${ready} ms\n`);
      expect(ready).toBeLessThan(10_000);

      // The process: uid 65532, PID 1 of its namespace, root mounted read-only.
      const hostPid = await proc.hostPid();
      const status = readFileSync(`/proc/${hostPid}/status`, 'utf8');
      expect(status).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
      expect(status).toMatch(/^NSpid:\s+\d+\s+1$/m);
      const rootMount = readFileSync(`/proc/${hostPid}/mountinfo`, 'utf8')
        .split('\n')
        .find((l) => l.split(' ')[4] === '/');
      expect(rootMount?.split(' ')[5].split(',')).toContain('ro');

      // It became leader with its own Lease and wrote the aggregate of the labelled ConfigMap.
      let aggregate: any;
      await waitFor(
        'the aggregate ConfigMap',
        async () => {
          const res = await cluster.request('GET', `/api/v1/namespaces/${ns}/configmaps/${aggregator.configmapName}`, undefined, {
            allowStatus: [404],
          });
          aggregate = res.statusCode === 200 ? res.body : undefined;
          return !!aggregate && (YAML.parse(aggregate.data['config.yaml'])?.configs ?? []).length === 1;
        },
        30_000,
      );
      expect(YAML.parse(aggregate.data['config.yaml']).configs[0]).toMatchObject({ service: 'svc' });
      const lease = await cluster.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${aggregator.name}`);
      expect(lease.body.spec.holderIdentity).toBe(podName);
      expect(logs.find((l) => l.msg === 'starting')).toMatchObject({ namespace: ns, identity: podName, port });
    } finally {
      // SIGTERM, as a kubelet stops a container: a graceful stop exits 0.
      await proc.signal('SIGTERM');
      const timer = setTimeout(() => void proc.signal('SIGKILL'), 20_000);
      const exit = await proc.exit;
      clearTimeout(timer);
      expect(exit.code).toBe(0);
      await sleep(0);
    }
  });
});
