/**
 * Support for the servo's integration tests and benchmark: deploy the synthesized
 * `JobMeasurement` construct (ServiceAccount, Roles in the watched namespaces, the
 * MutatingWebhookConfiguration) and run `platform-controllers servo` as a child process with its
 * ServiceAccount's token, so RBAC is exactly what ships. The webhook configuration is the
 * construct's, pointed at the child's HTTPS port on 127.0.0.1 (its Service has no pod behind it
 * here) with the CA of a serving certificate made for 127.0.0.1.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { SERVO } from '../../lib/api/servo/index.js';
import { JobMeasurement, WebhookCertificate } from '../../index.js';
import type { ClusterClient, KubeObject } from '../cluster/index.js';
import { freePort } from '../cluster/index.js';
import { makePeerTls, type PeerTls } from '../peers/tls.js';
import { ControllerProcess, serviceAccountKubeconfig } from './config-aggregator.support.js';

export interface ServoDeployment {
  readonly namespace: string;
  readonly serviceAccountName: string;
  /** The Deployment's args (without the controller name and the metrics port). */
  readonly args: string[];
  /** The construct's webhook configuration, as synthesized. */
  readonly webhookConfiguration: KubeObject;
  readonly tls: PeerTls;
  /** A directory with `tls.crt` and `tls.key` (`--webhook-cert-dir`). */
  readonly certDir: string;
}

export interface DeployServoOptions {
  readonly namespaces: string[];
  readonly url: string;
  readonly account?: string;
  /** A Secret in the controller's namespace with the token under `token`. */
  readonly tokenSecret?: string;
  readonly monitorImage?: false;
}

export async function deployServo(cluster: ClusterClient, namespace: string, o: DeployServoOptions): Promise<ServoDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'servo-it-'));
  const tls = await makePeerTls(dir, 'servo-webhook');
  const certDir = join(dir, 'certs');
  mkdirSync(certDir);
  copyFileSync(tls.certPath, join(certDir, 'tls.crt'));
  copyFileSync(tls.keyPath, join(certDir, 'tls.key'));
  const chart = new Chart(Testing.app(), 'servo', { namespace });
  const servo = new JobMeasurement(chart, 'servo', {
    namespaces: o.namespaces,
    url: o.url,
    ...(o.account !== undefined ? { account: o.account } : {}),
    ...(o.tokenSecret ? { authTokenSecret: { name: o.tokenSecret, key: 'token' } } : {}),
    ...(o.monitorImage !== undefined ? { monitorImage: o.monitorImage } : {}),
    webhookCertificate: WebhookCertificate.fromSecret('servo-webhook-cert', tls.caPem),
  });
  const objects = chart.toJson() as KubeObject[];
  const webhookConfiguration = objects.find((x) => x.kind === 'MutatingWebhookConfiguration')!;
  const rbac = objects.filter((x) => ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind));
  await cluster.applyObjects(rbac, { fieldManager: 'servo-test', namespace, force: true });
  const deployment = objects.find((x) => x.kind === 'Deployment') as any;
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port=') && !a.startsWith('--webhook-cert-dir=') && !a.startsWith('--webhook-port='));
  return { namespace, serviceAccountName: servo.serviceAccountName, args, webhookConfiguration, tls, certDir };
}

/** The construct's webhook configuration pointed at `https://127.0.0.1:<port>`, applied. */
export async function registerWebhook(cluster: ClusterClient, d: ServoDeployment, port: number): Promise<void> {
  const config = JSON.parse(JSON.stringify(d.webhookConfiguration));
  for (const w of config.webhooks) {
    const path = w.clientConfig.service.path;
    w.clientConfig = { url: `https://127.0.0.1:${port}${path}`, caBundle: Buffer.from(d.tls.caPem).toString('base64') };
  }
  await cluster.applyObjects([config], { fieldManager: 'servo-test', force: true });
}

/** How the servo process runs (the defaults are the integration tests': runtime/main.ts through tsx). */
export interface StartServoOptions {
  /** An esbuild bundle of runtime/main.ts (see bundleControllers), run with plain `node` as in the image. */
  readonly bundle?: string;
  /** `NODE_OPTIONS` of the servo, e.g. its Deployment's heap cap. */
  readonly nodeOptions?: string;
  /** Flags of `node` itself, e.g. `--cpu-prof` (which NODE_OPTIONS does not take). */
  readonly execArgv?: readonly string[];
}

/** Runs the servo as its ServiceAccount, serving its webhook on a free port; `extra` flags win. */
export async function startServo(
  cluster: ClusterClient,
  d: ServoDeployment,
  podName: string,
  extra: readonly string[] = [],
  webhookPort?: number,
  options: StartServoOptions = {},
): Promise<{ proc: ControllerProcess; webhookPort: number }> {
  const kubeconfig = await serviceAccountKubeconfig(cluster, d.namespace, d.serviceAccountName);
  const port = webhookPort ?? (await freePort());
  const proc = await ControllerProcess.start({
    kubeconfig,
    namespace: d.namespace,
    podName,
    controller: SERVO,
    args: [...d.args, `--webhook-port=${port}`, `--webhook-cert-dir=${d.certDir}`, ...extra],
    ...(options.bundle ? { bundle: options.bundle } : {}),
    ...(options.nodeOptions ? { nodeOptions: options.nodeOptions } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  return { proc, webhookPort: port };
}

/** Writes a token file for `--auth-token-file`. */
export function tokenFile(dir: string, token: string): string {
  const f = join(dir, 'token');
  writeFileSync(f, `${token}\n`, { mode: 0o600 });
  return f;
}
