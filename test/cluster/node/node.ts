/**
 * A real node for the test cluster: containerd (with runc and the CNI plugins), the kubelet,
 * kube-proxy and kube-scheduler, from the binaries build-binaries.sh and build-node.sh made.
 * Pods run for real: images come from archives imported into containerd's `k8s.io` namespace
 * (the sandbox image, and the platform-controllers image under the reference the constructs
 * use), since no registry is reachable here.
 *
 * Everything the node makes is named after the cluster's id and removed by stop(): processes
 * (the containerd shims too), mounts under the node's directory (with the network namespaces
 * containerd makes there), the cgroups under the node's cgroup root, the bridge, and the iptables
 * chains of kube-proxy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { clientCertificate, type Pki } from '../pki.js';
import { freePorts, ManagedProcess, sleep } from '../process.js';
import { pauseArchive, PAUSE_REFERENCE } from './images.js';
import { deleteNodeNetwork, sh, type NodeNetwork } from './network.js';

/** The cgroup v1 hierarchies the kubelet and runc use (cgroupfs driver). */
const CGROUP_ROOT = '/sys/fs/cgroup';

export interface NodeBinaries {
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly kubeScheduler: string;
  /** Directory of containerd, containerd-shim-runc-v2, ctr, runc, the CNI plugins and pause. */
  readonly runtimeDir: string;
}

export interface NodeContext {
  readonly id: string;
  readonly dir: string;
  readonly pki: Pki;
  readonly server: string;
  readonly network: NodeNetwork;
  readonly binaries: NodeBinaries;
  readonly timeoutMs: number;
  /** Writes a kubeconfig for a client certificate; returns its path. */
  readonly kubeconfig: (name: string, cert: string, key: string, user: string) => Promise<string>;
  /** GET on the API server as the admin. */
  readonly get: (path: string) => Promise<{ status: number; body: string }>;
  readonly track: (p: ManagedProcess) => ManagedProcess;
}

/** What a running node is. */
export class TestNode {
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly network: NodeNetwork,
    /** containerd's socket, for `ctr --address`. */
    readonly containerdSocket: string,
    private readonly binaries: NodeBinaries,
    private readonly cgroupName: string,
    private readonly procs: { containerd: ManagedProcess; kubelet: ManagedProcess; proxy: ManagedProcess; scheduler: ManagedProcess },
  ) {}

  /** Imports an image archive (OCI or docker-archive) into containerd's `k8s.io` namespace. */
  async importImage(archivePath: string): Promise<void> {
    await sh(join(this.binaries.runtimeDir, 'ctr'), ['--address', this.containerdSocket, '-n', 'k8s.io', 'images', 'import', archivePath]);
  }

  /** The references of the images containerd holds. */
  async images(): Promise<string[]> {
    const out = await sh(join(this.binaries.runtimeDir, 'ctr'), ['--address', this.containerdSocket, '-n', 'k8s.io', 'images', 'list', '-q']);
    return out.split('\n').filter(Boolean);
  }

  /** Stops the node and removes what it made (see the file comment). Safe to call twice. */
  async stop(): Promise<void> {
    const { containerd, kubelet, proxy, scheduler } = this.procs;
    await Promise.all([kubelet.stop(5000), scheduler.stop(1000)]);
    await proxy.stop(2000);
    await killCgroup(this.cgroupName); // the pods' processes
    await containerd.stop(5000);
    killMatching(this.dir); // containerd shims live in their own sessions
    unmountUnder(this.dir); // the containers' root filesystems, volumes and network namespaces
    removeCgroup(this.cgroupName);
    removeNodeChains();
    await deleteNodeNetwork(this.network);
  }
}

/** Starts containerd, the kubelet, kube-proxy and kube-scheduler; resolves once the node is Ready. */
export async function startNode(ctx: NodeContext): Promise<TestNode> {
  const name = `node-${ctx.id.slice(0, 6)}`;
  const dir = join(ctx.dir, 'node');
  const bin = ctx.binaries.runtimeDir;
  const cgroupName = `platform-constructs-${ctx.id.slice(0, 12)}`;
  for (const d of ['containerd', 'cni', 'kubelet', 'logs']) mkdirSync(join(dir, d), { recursive: true });
  const [kubeletPort, healthzPort, proxyHealthz, proxyMetrics, schedulerPort] = await freePorts(5);

  // --- containerd (its CRI plugin runs the pods with runc and the CNI bridge)
  const socket = join(dir, 'containerd', 'containerd.sock');
  writeFileSync(join(dir, 'containerd', 'config.toml'), containerdConfig(dir, bin, socket));
  writeFileSync(join(dir, 'cni', '10-platform-constructs.conflist'), JSON.stringify(cniConfig(ctx.network), null, 2));
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` };
  const containerd = ctx.track(new ManagedProcess('containerd', join(bin, 'containerd'), ['--config', join(dir, 'containerd', 'config.toml')], join(dir, 'logs', 'containerd.log'), env));
  await waitFor('containerd', containerd, ctx.timeoutMs, async () => existsSync(socket));
  const pause = join(dir, 'pause.oci.tar');
  writeFileSync(pause, pauseArchive(join(bin, 'pause')));
  await sh(join(bin, 'ctr'), ['--address', socket, '-n', 'k8s.io', 'images', 'import', pause]);

  // --- cgroups: one root per node in every hierarchy, so stop() finds everything under it
  createCgroup(cgroupName);
  // What reapStaleNode() needs should this process be killed before stop().
  writeFileSync(join(dir, 'node.json'), JSON.stringify({ cgroupName, bridge: ctx.network.bridge }));

  // --- the kubelet
  const nodeCert = await clientCertificate(ctx.pki, 'kubelet', `/O=system:nodes/CN=system:node:${name}`);
  const kubeletConfig = join(dir, 'kubelet', 'config.yaml');
  writeFileSync(kubeletConfig, stringify(kubeletConfiguration(ctx, socket, cgroupName, kubeletPort, healthzPort)));
  const kubelet = ctx.track(
    new ManagedProcess('kubelet', ctx.binaries.kubelet, [
      `--config=${kubeletConfig}`,
      `--kubeconfig=${await ctx.kubeconfig('kubelet', nodeCert.cert, nodeCert.key, `system:node:${name}`)}`,
      `--root-dir=${join(dir, 'kubelet', 'root')}`,
      `--cert-dir=${join(dir, 'kubelet', 'pki')}`,
      `--hostname-override=${name}`,
      `--node-ip=${ctx.network.gateway}`,
      '--v=2',
    ], join(dir, 'logs', 'kubelet.log'), env),
  );

  // --- kube-proxy (iptables) and kube-scheduler
  const proxyCert = await clientCertificate(ctx.pki, 'kube-proxy', '/CN=system:kube-proxy');
  const proxy = ctx.track(
    new ManagedProcess('kube-proxy', ctx.binaries.kubeProxy, [
      `--kubeconfig=${await ctx.kubeconfig('kube-proxy', proxyCert.cert, proxyCert.key, 'system:kube-proxy')}`,
      `--hostname-override=${name}`,
      '--proxy-mode=iptables',
      `--cluster-cidr=${ctx.network.podCidr}`,
      `--healthz-bind-address=127.0.0.1:${proxyHealthz}`,
      `--metrics-bind-address=127.0.0.1:${proxyMetrics}`,
      // No conntrack table resizing: the machine's sysctls are not the test's to change.
      '--conntrack-max-per-core=0',
    ], join(dir, 'logs', 'kube-proxy.log'), env),
  );
  const schedulerCert = await clientCertificate(ctx.pki, 'kube-scheduler', '/CN=system:kube-scheduler');
  const schedulerKubeconfig = await ctx.kubeconfig('kube-scheduler', schedulerCert.cert, schedulerCert.key, 'system:kube-scheduler');
  const scheduler = ctx.track(
    new ManagedProcess('kube-scheduler', ctx.binaries.kubeScheduler, [
      `--kubeconfig=${schedulerKubeconfig}`,
      `--authentication-kubeconfig=${schedulerKubeconfig}`,
      `--authorization-kubeconfig=${schedulerKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${schedulerPort}`,
      '--leader-elect=false',
    ], join(dir, 'logs', 'kube-scheduler.log')),
  );

  const node = new TestNode(name, dir, ctx.network, socket, ctx.binaries, cgroupName, { containerd, kubelet, proxy, scheduler });
  try {
    await waitFor(`node ${name} Ready`, kubelet, ctx.timeoutMs, async () => {
      for (const p of [containerd, proxy, scheduler]) p.assertRunning();
      const r = await ctx.get(`/api/v1/nodes/${name}`);
      if (r.status !== 200) return false;
      const ready = (JSON.parse(r.body).status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
      return ready?.status === 'True';
    });
  } catch (err) {
    await node.stop();
    throw err;
  }
  return node;
}

async function waitFor(what: string, proc: ManagedProcess, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    proc.assertRunning();
    try {
      if (await ready()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${last ? ` (${last})` : ''}. Last lines of ${proc.logFile}:\n${proc.logTail()}`);
}

/** containerd 2.x (config version 3): state under the node's dir, CRI with runc and the CNI bridge. */
function containerdConfig(dir: string, bin: string, socket: string): string {
  const c = join(dir, 'containerd');
  return `version = 3
root = "${c}/root"
state = "${c}/state"
temp = "${c}/tmp"

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${socket}.ttrpc"

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = '${PAUSE_REFERENCE}'
  [plugins.'io.containerd.cri.v1.runtime']
    # The pods' network namespaces under the node's dir, where stop() finds them.
    netns_mounts_under_state_dir = true
    # Root here lacks CAP_SYS_RESOURCE (as in a container): never lower a process's OOM score
    # below containerd's own, which the kernel would refuse (the sandbox asks for -998).
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = '${bin}/runc'
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ['${bin}']
      conf_dir = '${dir}/cni'
  [plugins.'io.containerd.grpc.v1.cri']
    disable_tcp_service = true
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
  [plugins.'io.containerd.internal.v1.opt']
    path = '${c}/opt'
`;
}

/** The CNI chain: the bridge (host-local addresses, no masquerading: traffic stays here), portmap, loopback. */
function cniConfig(net: NodeNetwork): Record<string, unknown> {
  return {
    cniVersion: '1.0.0',
    name: 'platform-constructs',
    plugins: [
      {
        type: 'bridge',
        bridge: net.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: net.podCidr, gateway: net.gateway }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

function kubeletConfiguration(ctx: NodeContext, socket: string, cgroupName: string, port: number, healthzPort: number): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    containerRuntimeEndpoint: `unix://${socket}`,
    address: ctx.network.gateway,
    port,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: ctx.pki.caCert } },
    authorization: { mode: 'Webhook' },
    // cgroup v1 with the cgroupfs driver (no systemd here); every pod cgroup under this node's root.
    cgroupDriver: 'cgroupfs',
    cgroupRoot: `/${cgroupName}`,
    cgroupsPerQOS: true,
    failCgroupV1: false,
    failSwapOn: false,
    // The machine's disk is shared with everything else: no eviction or image GC over it
    // (the images were imported, none could be pulled back).
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '0%', 'imagefs.available': '0%', 'nodefs.inodesFree': '0%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    resolvConf: '/etc/resolv.conf',
    serializeImagePulls: false,
    registerNode: true,
    syncFrequency: '5s',
    fileCheckFrequency: '5s',
    nodeStatusUpdateFrequency: '5s',
    // Fast pod teardown in tests; pods set their own grace period.
    shutdownGracePeriod: '0s',
  };
}

// --- cgroups ----------------------------------------------------------------------------

/** Every mounted hierarchy: the v1 controllers, the named systemd one and the hybrid `unified` (v2) one, where runc also files its containers. */
function hierarchies(): string[] {
  return readdirSync(CGROUP_ROOT).filter((h) => existsSync(join(CGROUP_ROOT, h, 'cgroup.procs')));
}

function createCgroup(name: string): void {
  for (const h of hierarchies()) mkdirSync(join(CGROUP_ROOT, h, name), { recursive: true });
}

function cgroupDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    // The kubelet and runc remove cgroups while this walks them: one may vanish mid-walk.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  for (const e of entries) if (e.isDirectory()) out.push(...cgroupDirs(join(root, e.name)));
  out.push(root);
  return out; // children before parents
}

/** SIGKILLs every process now in the node's cgroups; returns how many it found. */
function signalCgroup(name: string): number {
  let found = 0;
  for (const h of hierarchies()) {
    for (const d of cgroupDirs(join(CGROUP_ROOT, h, name))) {
      let procs: string;
      try {
        procs = readFileSync(join(d, 'cgroup.procs'), 'utf8');
      } catch {
        continue; // removed since it was listed (the kubelet and containerd clean up while we kill)
      }
      for (const pid of procs.split('\n').filter(Boolean)) {
        found++;
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
  return found;
}

/** SIGKILLs every process in the node's cgroups, until none is left. */
async function killCgroup(name: string): Promise<void> {
  for (let round = 0; round < 50 && signalCgroup(name) > 0; round++) await sleep(100);
}

function removeCgroup(name: string): void {
  for (const h of hierarchies()) {
    for (const d of cgroupDirs(join(CGROUP_ROOT, h, name))) {
      try {
        rmdirSync(d);
      } catch {
        /* busy or gone: reported by the leak check */
      }
    }
  }
}

// --- processes, mounts, namespaces, rules -------------------------------------------------

/** SIGKILLs every process whose command line names `dir` (the containerd shims, runc). */
function killMatching(dir: string): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** The mount points of this mount namespace under `dir` (deepest first). */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m): m is string => m !== undefined && (m === dir || m.startsWith(`${dir}/`)))
    .map((m) => m.replace(/\\040/g, ' '))
    .sort((a, b) => b.length - a.length);
}

function unmountUnder(dir: string): void {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return;
    for (const m of mounts) {
      try {
        // Lazy: a mount still held by a dying process goes as soon as it is free.
        execFileSync('umount', ['-l', m], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        /* retried */
      }
    }
  }
}

/**
 * Removes the iptables chains of kube-proxy, the kubelet and the CNI plugins (`KUBE-*`, `CNI-*`)
 * and every rule that jumps to them, in every table, IPv4 and IPv6: one `iptables-save`, filtered,
 * restored atomically. The machine runs one test node at a time (the tests run in band).
 */
export function removeNodeChains(): void {
  const ours = /^(KUBE-|CNI-)/;
  for (const [save, restore] of [['iptables-save', 'iptables-restore'], ['ip6tables-save', 'ip6tables-restore']]) {
    let dump: string;
    try {
      dump = execFileSync(save, [], { encoding: 'utf8', timeout: 30_000 });
    } catch {
      continue; // no such family here
    }
    const kept = dump.split('\n').filter((line) => {
      if (line.startsWith(':')) return !ours.test(line.slice(1));
      if (!line.startsWith('-A ')) return true;
      const chain = line.split(' ')[1];
      const target = /\s-[jg] (\S+)/.exec(line)?.[1] ?? '';
      return !ours.test(chain) && !ours.test(target);
    });
    if (kept.length !== dump.split('\n').length) execFileSync(restore, [], { input: kept.join('\n'), timeout: 30_000 });
  }
}

/**
 * Removes what a node of a killed test run left (its owner could not call stop()): processes,
 * mounts, cgroups, iptables chains and the bridge, from the `node.json` startNode() wrote in the
 * cluster's dir. Synchronous, for the harness's reaper of stale clusters.
 */
export function reapStaleNode(clusterDir: string): void {
  const dir = join(clusterDir, 'node');
  let info: { cgroupName: string; bridge: string };
  try {
    info = JSON.parse(readFileSync(join(dir, 'node.json'), 'utf8'));
  } catch {
    return; // no node, or it never got that far
  }
  killMatching(dir);
  signalCgroup(info.cgroupName);
  execFileSync('sleep', ['0.5']); // let the kernel take the killed processes out of their cgroups
  unmountUnder(dir);
  removeCgroup(info.cgroupName);
  removeNodeChains();
  try {
    execFileSync('ip', ['link', 'delete', info.bridge], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    /* gone */
  }
}

/**
 * Why this machine cannot run a test node (not root, no cgroup v1 hierarchies, no iptables or
 * gcc), or undefined when it can. Tests that need a node skip with this one line.
 */
export function nodeUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test node needs root (containerd, runc, network namespaces, iptables)';
  if (!existsSync(join(CGROUP_ROOT, 'memory', 'cgroup.procs')) || !existsSync(join(CGROUP_ROOT, 'cpu', 'cgroup.procs'))) {
    return 'the test node needs cgroup v1 hierarchies (memory, cpu) under /sys/fs/cgroup';
  }
  for (const tool of ['ip', 'iptables', 'umount']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `the test node needs \`${tool}\` (Debian: iproute2, iptables, mount)`;
    }
  }
  return undefined;
}
