/**
 * Support for the config aggregator's integration tests and benchmark: deploy the synthesized
 * construct (RBAC, schema, Deployment) into a namespace, and run the controller as a child
 * process with the credentials of its ServiceAccount (a TokenRequest token).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Chart, Duration, Testing } from 'cdk8s';
import { ConfigAggregator, type ConfigAggregatorProps } from '../../constructs/config-aggregator/index.js';
import type { ClusterClient, KubeObject } from '../cluster/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LABEL_KEY = 'numaprom.numaproj.io/component';
export const LABEL_VALUE = 'argo-rollouts';

export const GOOD_CONFIG = `service: svc
metric_configs:
  - metric: "rollout_error_rate"
    composite_keys: ["namespace", "name", "hash_id"]
    static_threshold: 3
unified_configs:
  - unified_metric_name: "unified_anomaly"
    unified_metrics: ["rollout_error_rate"]
`;

/** Synthesizes the ConfigAggregator construct and applies every object to the cluster. */
export async function deployAggregator(
  cluster: ClusterClient,
  namespace: string,
  props: Partial<ConfigAggregatorProps> = {},
): Promise<{ objects: KubeObject[]; aggregator: ConfigAggregator; args: string[]; nodeOptions?: string }> {
  const chart = new Chart(Testing.app(), 'agg', { namespace });
  const aggregator = new ConfigAggregator(chart, 'aggregator', {
    configmapName: 'numalogic-config',
    resyncInterval: Duration.seconds(180),
    ...props,
  });
  const objects = chart.toJson() as KubeObject[];
  await cluster.applyObjects(objects, { fieldManager: 'config-aggregator-test', namespace });
  const deployment = objects.find((o) => o.kind === 'Deployment') as any;
  // The container's args, minus the controller name and the port (each test process picks a free one).
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port='));
  const nodeOptions = (container.env as Array<{ name: string; value?: string }>).find((e) => e.name === 'NODE_OPTIONS')?.value;
  return { objects, aggregator, args, nodeOptions };
}

/**
 * Bundles `runtime/main.ts` with esbuild into one ESM file (how the image ships it), so that
 * memory and startup are measured without the TypeScript loader.
 */
export async function bundleControllers(
  outdir: string,
  entry = join(REPO_ROOT, 'runtime/main.ts'),
  name = 'platform-controllers.mjs',
  external: string[] = [],
): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(outdir, name);
  await build({
    entryPoints: [entry],
    external: ['esbuild', ...external],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    // CommonJS dependencies of the client call require(): give the ESM bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

let kubeconfigDir: string | undefined;

/** One temp dir per process for the kubeconfigs (they hold tokens), removed when the process exits. */
function kubeconfigTempDir(): string {
  if (!kubeconfigDir) {
    const dir = mkdtempSync(join(tmpdir(), 'config-aggregator-'));
    kubeconfigDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return kubeconfigDir;
}

/** Removes the kubeconfigs written so far (call in afterAll: Jest does not run exit handlers of test files). */
export function removeKubeconfigs(): void {
  if (kubeconfigDir) rmSync(kubeconfigDir, { recursive: true, force: true });
  kubeconfigDir = undefined;
}

/** Writes a kubeconfig that authenticates as the ServiceAccount with a TokenRequest token. */
export async function serviceAccountKubeconfig(cluster: ClusterClient, namespace: string, serviceAccount: string): Promise<string> {
  const kc = await cluster.clientWithToken(namespace, serviceAccount);
  const file = join(kubeconfigTempDir(), `${namespace}-${serviceAccount}.kubeconfig`);
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

export interface ControllerProcessOptions {
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly podName?: string;
  /** Flags, usually the synthesized Deployment's (see deployAggregator), then overrides. */
  readonly args?: readonly string[];
  /** Echo the controller's logs on stderr. @default env CONFIG_AGGREGATOR_TEST_LOGS=1 */
  readonly echo?: boolean;
  /** A bundled entry point (`node <bundle>`, as in the image). @default runtime/main.ts through tsx */
  readonly bundle?: string;
  /** `NODE_OPTIONS` of the controller, e.g. the heap flags its Deployment sets. @default none */
  readonly nodeOptions?: string;
  /** Flags of `node` itself that NODE_OPTIONS does not take (e.g. `--cpu-prof`). @default none */
  readonly execArgv?: readonly string[];
  /** The controller of `platform-controllers` to run. @default 'config-aggregator' */
  readonly controller?: string;
}

/** `platform-controllers config-aggregator` (or another controller) as a child process; its logs are kept in `logs`. */
export class ControllerProcess {
  readonly logs: any[] = [];
  port = 0;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
  private readonly exitPromise: Promise<void>;

  private constructor(readonly child: ChildProcess, echo: boolean) {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (echo) process.stderr.write(`[${this.child.pid}] ${line}\n`);
        try {
          const entry = JSON.parse(line);
          this.logs.push(entry);
          if (entry.msg === 'starting' && entry.port) this.port = entry.port;
        } catch {
          this.logs.push({ raw: line });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    this.exitPromise = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      }),
    );
  }

  static async start(o: ControllerProcessOptions): Promise<ControllerProcess> {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // jest's --experimental-vm-modules
    if (o.nodeOptions) env.NODE_OPTIONS = o.nodeOptions;
    delete env.KUBECONFIG;
    const args = [
      ...(o.execArgv ?? []),
      ...(o.bundle ? [o.bundle] : ['--import', 'tsx', join(REPO_ROOT, 'runtime/main.ts')]),
      o.controller ?? 'config-aggregator',
      `--kubeconfig=${o.kubeconfig}`,
      `--namespace=${o.namespace}`,
      '--metrics-port=0',
      ...(o.podName ? [`--pod-name=${o.podName}`] : []),
      ...(o.args ?? []),
    ];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new ControllerProcess(child, o.echo ?? process.env.CONFIG_AGGREGATOR_TEST_LOGS === '1');
    const t0 = Date.now();
    while (!p.port) {
      if (p.exited) throw new Error(`controller exited at startup: ${JSON.stringify(p.logs.slice(-5))}`);
      if (Date.now() - t0 > 60_000) throw new Error('controller did not start within 60 s');
      await sleep(50);
    }
    return p;
  }

  get pid(): number {
    return this.child.pid!;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: res.status, body: await res.text() };
  }

  /** Sum of a metric's samples whose labels include `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const { body } = await this.get('/metrics');
    let total = 0;
    for (const line of body.split('\n')) {
      if (!line.startsWith(name)) continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
      if (!m || m[1] !== name) continue;
      const ls = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => ls[k] === v)) total += parseFloat(m[4]);
    }
    return total;
  }

  async waitReady(timeoutMs = 60_000): Promise<void> {
    await waitFor('controller /readyz', async () => (await this.get('/readyz')).status === 200, timeoutMs);
  }

  async isLeader(): Promise<boolean> {
    return (await this.metric('kit_leader')) === 1;
  }

  /** SIGTERM (graceful) and wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.exited) this.child.kill(signal);
    await this.exitPromise;
  }

  /** SIGKILL: a crash, no lease release. */
  async kill(): Promise<void> {
    await this.stop('SIGKILL');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000, everyMs = 25): Promise<number> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return Date.now() - t0;
    } catch (err) {
      last = err;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** An application ConfigMap with the aggregator's label. */
export function appConfigMap(namespace: string, name: string, data: Record<string, string>, labelled = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(labelled ? { labels: { [LABEL_KEY]: LABEL_VALUE } } : {}) },
    data,
  };
}
