/**
 * Finds the control-plane binaries: a prebuilt directory named by
 * PLATFORM_CONSTRUCTS_K8S_ASSETS, or the pinned builds cached under
 * ~/.cache/platform-constructs/<component>-<version>/ by build-binaries.sh
 * (which this module runs when a binary is missing).
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ASSETS_ENV = 'PLATFORM_CONSTRUCTS_K8S_ASSETS';
export const CACHE_ENV = 'PLATFORM_CONSTRUCTS_CACHE_DIR';

export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';
/** The Kubernetes binaries of the test node (built with the control plane, by build-binaries.sh). */
export type NodeComponent = 'kubelet' | 'kube-proxy' | 'kube-scheduler';
export const NODE_COMPONENTS: readonly NodeComponent[] = ['kubelet', 'kube-proxy', 'kube-scheduler'];
export const COMPONENTS: readonly Component[] = ['etcd', 'kube-apiserver', 'kube-controller-manager'];

export interface PinnedVersions {
  readonly kubernetes: string;
  readonly etcd: string;
  readonly containerd: string;
  readonly runc: string;
  readonly 'cni-plugins': string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const BUILD_SCRIPT = join(HERE, 'build-binaries.sh');
export const BUILD_NODE_SCRIPT = join(HERE, 'build-node.sh');

export function pinnedVersions(): PinnedVersions {
  return JSON.parse(readFileSync(join(HERE, 'versions.json'), 'utf8')) as PinnedVersions;
}

export function cacheRoot(): string {
  return (
    process.env[CACHE_ENV] ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'platform-constructs')
  );
}

/** Where a component's binary is (or would be): the assets directory, or the cache. */
export function binaryPath(component: Component | NodeComponent): string {
  const assets = process.env[ASSETS_ENV];
  if (assets) return join(assets, component);
  const v = pinnedVersions();
  const version = component === 'etcd' ? v.etcd : v.kubernetes;
  return join(cacheRoot(), `${component}-${version}`, component);
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `<binary> --version`; throws a message naming the binary and the fix when it fails. */
export async function checkVersion(component: Component | NodeComponent, path: string): Promise<string> {
  const fix = process.env[ASSETS_ENV]
    ? `Replace it, or unset ${ASSETS_ENV} to build the pinned binaries with ${BUILD_SCRIPT}.`
    : `Rebuild it with \`${BUILD_SCRIPT} --force\`.`;
  try {
    const { stdout, stderr } = await run(path, ['--version'], { timeout: 30_000 });
    return (stdout || stderr).trim().split('\n')[0];
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    throw new Error(`${component} at ${path} failed \`--version\`: ${(e.stderr || e.message).trim()}. ${fix}`);
  }
}

/**
 * Runs a build script (which reuses what is cached) and streams its output to stderr. Throws
 * with the script's error message when the build is impossible.
 */
function runBuildScript(script: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'inherit', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    child.on('error', (err) => reject(new Error(`could not run ${script}: ${err.message}`)));
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      const msg = tail.split('\n').filter((l) => l.includes('error:')).pop() ?? tail.trim().split('\n').pop();
      reject(new Error(`building ${what} failed (exit ${code}): ${msg}`));
    });
  });
}

/** Runs build-binaries.sh. */
export function buildBinaries(): Promise<void> {
  return runBuildScript(BUILD_SCRIPT, 'the test cluster binaries');
}

/** The directory of the node's runtime binaries (containerd, runc, CNI plugins, pause). */
export function nodeRuntimeDir(): string {
  const v = pinnedVersions();
  return join(cacheRoot(), `node-containerd-${v.containerd}-runc-${v.runc}-cni-${v['cni-plugins']}`, 'bin');
}

const RUNTIME_BINARIES = ['containerd', 'containerd-shim-runc-v2', 'ctr', 'runc', 'bridge', 'host-local', 'loopback', 'portmap', 'pause'];

/**
 * The binaries of the test node: kubelet, kube-proxy and kube-scheduler (the API server's
 * version) and the runtime directory, built first when the cache lacks one.
 */
export async function ensureNodeBinaries(): Promise<{ kubelet: string; kubeProxy: string; kubeScheduler: string; runtimeDir: string }> {
  const paths = Object.fromEntries(NODE_COMPONENTS.map((c) => [c, binaryPath(c)])) as Record<NodeComponent, string>;
  if (NODE_COMPONENTS.some((c) => !executable(paths[c]))) {
    if (process.env[ASSETS_ENV]) throw new Error(`${ASSETS_ENV}=${process.env[ASSETS_ENV]} lacks ${NODE_COMPONENTS.join(', ')}, which a test node needs`);
    await buildBinaries();
  }
  const runtimeDir = nodeRuntimeDir();
  if (RUNTIME_BINARIES.some((b) => !executable(join(runtimeDir, b)))) await runBuildScript(BUILD_NODE_SCRIPT, 'the test node runtime');
  await Promise.all(NODE_COMPONENTS.map((c) => checkVersion(c, paths[c])));
  return { kubelet: paths.kubelet, kubeProxy: paths['kube-proxy'], kubeScheduler: paths['kube-scheduler'], runtimeDir };
}

/**
 * Returns the paths of the three binaries, building them first when the cache
 * lacks one (unless PLATFORM_CONSTRUCTS_K8S_ASSETS points at a prebuilt directory),
 * and checks each with `--version`.
 */
export async function ensureBinaries(): Promise<Record<Component, string>> {
  const assets = process.env[ASSETS_ENV];
  const paths = Object.fromEntries(COMPONENTS.map((c) => [c, binaryPath(c)])) as Record<Component, string>;
  const missing = COMPONENTS.filter((c) => !executable(paths[c]));
  if (missing.length > 0) {
    if (assets) {
      throw new Error(
        `${ASSETS_ENV}=${assets} lacks an executable ${missing.join(', ')}. ` +
          `Put kube-apiserver, kube-controller-manager and etcd there, or unset ${ASSETS_ENV} ` +
          `to build the pinned versions from source with ${BUILD_SCRIPT}.`,
      );
    }
    await buildBinaries();
  }
  await Promise.all(COMPONENTS.map((c) => checkVersion(c, paths[c])));
  return paths;
}
