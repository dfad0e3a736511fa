/**
 * startCluster(): a real control plane on loopback, as controller-runtime's envtest
 * does it: etcd + kube-apiserver (+ kube-controller-manager), no kubelet, no
 * scheduler. TLS everywhere a client talks to the API server, RBAC, service-account
 * tokens, the default admission plugins (PodSecurity among them) plus NodeRestriction.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { randomBytes } from 'node:crypto';
import { ensureBinaries, ensureNodeBinaries, type Component } from './binaries.js';
import { createNodeNetwork, deleteNodeNetwork, type NodeNetwork } from './node/network.js';
import { reapStaleNode, startNode, type TestNode } from './node/node.js';
export { nodeUnavailable } from './node/node.js';
import { ARCHIVE_NAME, DEFAULT_OUT, ensureImage } from '../../runtime/image/build.js';
import { ClusterClient } from './client.js';
import { createPki, type Pki } from './pki.js';
import { assertPortFree, freePorts, ManagedProcess, reapStaleClusters, removeOnExit, sleep } from './process.js';

const DIR_PREFIX = 'platform-constructs-cluster-';
/**
 * SIGTERM-to-SIGKILL grace of kube-apiserver and kube-controller-manager. Both keep
 * no state of their own (every acknowledged write is in etcd), and kube-apiserver
 * lingers about 5 s after it stopped listening; etcd gets the default 5 s.
 */
const STATELESS_GRACE_MS = 1000;

export interface StartClusterOptions {
  /** Also run kube-controller-manager (garbage collection, namespace deletion, ServiceAccounts, workloads). @default false */
  readonly controllerManager?: boolean;
  /** Secure port of kube-apiserver. @default a free port */
  readonly apiServerPort?: number;
  /** Port of etcd's client URL. @default a free port */
  readonly etcdPort?: number;
  /** Extra kube-apiserver flags (`--flag=value`), appended last. */
  readonly apiServerFlags?: readonly string[];
  /** Extra kube-controller-manager flags, appended last. */
  readonly controllerManagerFlags?: readonly string[];
  /** How long to wait for each component to get ready. @default 60000 */
  readonly readyTimeoutMs?: number;
  /** Keep the temp dir (logs, certs, data) after stop(). @default env PLATFORM_CONSTRUCTS_KEEP_CLUSTER_DIR=1 */
  readonly keepDir?: boolean;
  /**
   * Also run a real node (containerd, runc, CNI, kubelet, kube-proxy, kube-scheduler; implies
   * the controller manager), with the platform-controllers image imported: pods run. Needs root
   * and cgroups; see {@link nodeUnavailable}. @default false
   */
  readonly node?: boolean;
}

/** A running test cluster. */
export class Cluster extends ClusterClient {
  private stopped = false;

  constructor(
    kubeconfigPath: string,
    kubeConfig: KubeConfig,
    server: string,
    etcdEndpoint: string,
    /** The temp dir holding certs, data, logs and kubeconfigs. */
    readonly dir: string,
    readonly pki: Pki,
    private readonly procs: { etcd: ManagedProcess; apiserver: ManagedProcess; kcm?: ManagedProcess },
    private readonly startApiServer: () => Promise<ManagedProcess>,
    private readonly keepDir: boolean,
    /** The node, when started with `node: true`. */
    readonly node?: TestNode,
    private readonly network?: NodeNetwork,
  ) {
    super(kubeconfigPath, kubeConfig, server, etcdEndpoint);
  }

  /** True when kube-controller-manager runs. */
  get hasControllerManager(): boolean {
    return this.procs.kcm !== undefined;
  }

  /** Process ids of the components (each leads its own process group). */
  get pids(): Partial<Record<Component, number>> {
    return {
      etcd: this.procs.etcd.pid,
      'kube-apiserver': this.procs.apiserver.pid,
      'kube-controller-manager': this.procs.kcm?.pid,
    };
  }

  /** Log files of the components. */
  get logs(): Partial<Record<Component, string>> {
    return {
      etcd: this.procs.etcd.logFile,
      'kube-apiserver': this.procs.apiserver.logFile,
      'kube-controller-manager': this.procs.kcm?.logFile,
    };
  }

  /**
   * Stops kube-apiserver and starts it again on the same port over the same etcd
   * (watches break; clients must relist). Resolves once it is ready again.
   */
  async restartApiServer(): Promise<void> {
    await this.procs.apiserver.stop(STATELESS_GRACE_MS);
    this.procs.apiserver = await this.startApiServer();
  }

  /** Kills every process group the cluster started and removes its temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // The node first: its kubelet still talks to the API server while it stops its pods.
    await this.node?.stop();
    await this.procs.kcm?.stop(STATELESS_GRACE_MS);
    await this.procs.apiserver.stop(STATELESS_GRACE_MS);
    await this.procs.etcd.stop();
    if (this.network) await deleteNodeNetwork(this.network);
    if (this.keepDir) await rm(join(this.dir, 'owner.json'), { force: true });
    else await rm(this.dir, { recursive: true, force: true });
    removeOnExit(this.dir, false);
  }
}

function get(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (tls ? httpsRequest : httpRequest)(url, { ...tls, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function waitReady(
  proc: ManagedProcess,
  what: string,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    proc.assertRunning();
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} was not ready after ${timeoutMs} ms${last ? ` (last probe: ${last})` : ''}. ` +
          `Last lines of ${proc.logFile}:\n${proc.logTail()}`,
      );
    }
    await sleep(100);
  }
}

function kubeconfigYaml(server: string, pki: Pki, cert: string, key: string, user: string): string {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'platform-constructs-test', cluster: { server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(cert), 'client-key-data': b64(key) } }],
    contexts: [{ name: user, context: { cluster: 'platform-constructs-test', user } }],
    'current-context': user,
  });
}

/**
 * Starts etcd, kube-apiserver and (optionally) kube-controller-manager on free
 * loopback ports, with binaries from PLATFORM_CONSTRUCTS_K8S_ASSETS or the build
 * cache (built on first use). Ready in a few seconds once the binaries exist.
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const bins = await ensureBinaries();
  const timeout = opts.readyTimeoutMs ?? 60_000;
  const keepDir = opts.keepDir ?? process.env.PLATFORM_CONSTRUCTS_KEEP_CLUSTER_DIR === '1';
  const reaped = reapStaleClusters(tmpdir(), DIR_PREFIX, reapStaleNode);
  if (reaped.length > 0) process.stderr.write(`test cluster: cleaned up ${reaped.length} cluster(s) left by killed runs\n`);
  const dir = await mkdtemp(join(tmpdir(), DIR_PREFIX));
  if (!keepDir) removeOnExit(dir);
  const started: ManagedProcess[] = [];
  const id = randomBytes(8).toString('hex');
  let network: NodeNetwork | undefined;
  let node: TestNode | undefined;
  // Who owns which process groups, for reapStaleClusters() should this process be killed.
  const track = (p: ManagedProcess): ManagedProcess => {
    started.push(p);
    writeFileSync(
      join(dir, 'owner.json'),
      JSON.stringify({ ownerPid: process.pid, pids: started.map((x) => x.pid).filter((x) => x !== undefined) }),
    );
    return p;
  };
  try {
    if (opts.apiServerPort) await assertPortFree(opts.apiServerPort, 'kube-apiserver');
    if (opts.etcdPort) await assertPortFree(opts.etcdPort, 'etcd');
    // A node's pods reach kube-apiserver on the bridge's address (loopback is their own).
    if (opts.node) network = await createNodeNetwork(id);
    const host = network?.gateway ?? '127.0.0.1';
    const [pki, ports] = await Promise.all([createPki(dir, network ? [network.gateway] : []), freePorts(3)]);
    const etcdPort = opts.etcdPort ?? ports[0];
    const peerPort = ports[1];
    const apiPort = opts.apiServerPort ?? ports[2];
    const etcdEndpoint = `http://127.0.0.1:${etcdPort}`;
    const server = `https://${host}:${apiPort}`;
    const tls = {
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.adminCert),
      key: readFileSync(pki.adminKey),
    };

    // --- etcd
    const peer = `http://127.0.0.1:${peerPort}`;
    const etcd = new ManagedProcess('etcd', bins.etcd, [
      '--name=test',
      `--data-dir=${join(dir, 'etcd-data')}`,
      `--listen-client-urls=${etcdEndpoint}`,
      `--advertise-client-urls=${etcdEndpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ], join(dir, 'etcd.log'));
    track(etcd);

    // --- kube-apiserver (started now, ready-checked after etcd is healthy)
    const apiArgs = [
      `--etcd-servers=${etcdEndpoint}`,
      `--bind-address=${host}`,
      `--advertise-address=${host}`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=Node,RBAC',
      // The defaults (NamespaceLifecycle, LimitRanger, ServiceAccount, PodSecurity,
      // ResourceQuota, webhooks, ValidatingAdmissionPolicy, ...) stay on.
      '--enable-admission-plugins=NodeRestriction',
      '--allow-privileged=true',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      // No loopback Endpoints for the `kubernetes` Service (the API rejects them); with a node,
      // the Service leads to the bridge address, as kube-proxy needs.
      ...(network ? [] : ['--endpoint-reconciler-type=none']),
      // Logs and exec of a node's pods: kube-apiserver authenticates to the kubelet as the admin.
      // The node is reached by its InternalIP (its name resolves nowhere here).
      ...(network ? [`--kubelet-client-certificate=${pki.adminCert}`, `--kubelet-client-key=${pki.adminKey}`, '--kubelet-preferred-address-types=InternalIP'] : []),
      '--profiling=false',
      ...(opts.apiServerFlags ?? []),
    ];
    const startApiServer = async (): Promise<ManagedProcess> => {
      const p = track(new ManagedProcess('kube-apiserver', bins['kube-apiserver'], apiArgs, join(dir, 'kube-apiserver.log')));
      await waitReady(p, `kube-apiserver on ${server}`, timeout, async () => {
        const r = await get(`${server}/readyz`, tls);
        if (r.status !== 200) throw new Error(`/readyz ${r.status}: ${r.body.slice(0, 300)}`);
        const ns = await get(`${server}/api/v1/namespaces/default`, tls);
        return ns.status === 200;
      });
      return p;
    };
    await waitReady(etcd, `etcd on ${etcdEndpoint}`, timeout, async () => {
      const r = await get(`${etcdEndpoint}/health`);
      return r.status === 200 && r.body.includes('"true"');
    });
    const apiserver = await startApiServer();

    // --- kubeconfigs
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(server, pki, pki.adminCert, pki.adminKey, 'admin'), { mode: 0o600 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);

    // --- kube-controller-manager
    let kcm: ManagedProcess | undefined;
    if (opts.controllerManager || opts.node) {
      const kcmConfig = join(dir, 'controller-manager.kubeconfig');
      await writeFile(
        kcmConfig,
        kubeconfigYaml(server, pki, pki.controllerManagerCert, pki.controllerManagerKey, 'system:kube-controller-manager'),
        { mode: 0o600 },
      );
      kcm = new ManagedProcess('kube-controller-manager', bins['kube-controller-manager'], [
        `--kubeconfig=${kcmConfig}`,
        `--authentication-kubeconfig=${kcmConfig}`,
        `--authorization-kubeconfig=${kcmConfig}`,
        '--secure-port=0',
        '--leader-elect=false',
        '--use-service-account-credentials=true',
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        '--kube-api-qps=100',
        '--kube-api-burst=200',
        '--concurrent-gc-syncs=5',
        ...(opts.controllerManagerFlags ?? []),
      ], join(dir, 'kube-controller-manager.log'));
      track(kcm);
      // The ServiceAccount controller making `default/default` shows the controllers run.
      await waitReady(kcm, 'kube-controller-manager', timeout, async () => {
        const r = await get(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls);
        return r.status === 200;
      });
    }

    if (network) {
      const kubeconfig = async (name: string, cert: string, key: string, user: string) => {
        const path = join(dir, `${name}.kubeconfig`);
        await writeFile(path, kubeconfigYaml(server, pki, cert, key, user), { mode: 0o600 });
        return path;
      };
      node = await startNode({
        id, dir, pki, server, network, binaries: await ensureNodeBinaries(), timeoutMs: timeout, kubeconfig,
        get: (path) => get(`${server}${path}`, tls), track,
      });
      // The platform-controllers image under the reference the constructs use (no registry here).
      const { info } = await ensureImage();
      await node.importImage(join(DEFAULT_OUT, ARCHIVE_NAME));
      if (!(await node.images()).some((r) => r.endsWith(`/${info.reference}`) || r === info.reference)) {
        throw new Error(`the node's containerd does not list ${info.reference} after importing ${ARCHIVE_NAME}`);
      }
    }

    return new Cluster(
      kubeconfigPath,
      kubeConfig,
      server,
      etcdEndpoint,
      dir,
      pki,
      { etcd, apiserver, kcm },
      startApiServer,
      keepDir,
      node,
      network,
    );
  } catch (err) {
    await node?.stop().catch(() => undefined);
    for (const p of [...started].reverse()) await p.stop(2000);
    if (network) await deleteNodeNetwork(network);
    if (!keepDir) await rm(dir, { recursive: true, force: true });
    removeOnExit(dir, false);
    throw err;
  }
}
