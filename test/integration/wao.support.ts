/**
 * Support for WAO's integration tests and benchmark: deploy the synthesized `Wao` construct (CRDs,
 * ServiceAccount, least RBAC, Deployment, Services) and run `platform-controllers wao` as a child process
 * with its ServiceAccount's token, so RBAC is exactly what ships.
 */
import { Chart, Testing } from 'cdk8s';
import { WAO } from '../../lib/api/wao/index.js';
import { Wao } from '../../constructs/wao/index.js';
import { freePort, type ClusterClient, type KubeObject } from '../cluster/index.js';
import { ControllerProcess, serviceAccountKubeconfig } from './config-aggregator.support.js';

export interface WaoDeployment {
  readonly namespace: string;
  readonly objects: KubeObject[];
  readonly serviceAccountName: string;
  /** The Deployment's flags, without the controller name and the metrics port. */
  readonly args: string[];
  /** The Deployment's `NODE_OPTIONS` (its heap cap), if any. */
  readonly nodeOptions?: string;
}

/** Applies the CRDs (cluster-wide, idempotent) and the controller's objects to `namespace`, watching `watch`. */
export async function deployWao(cluster: ClusterClient, namespace: string, watch: readonly string[] = [namespace]): Promise<WaoDeployment> {
  const chart = new Chart(Testing.app(), 'wao', { namespace });
  const controller = new Wao(chart, 'wao', { watchNamespaces: [...watch] });
  const objects = chart.toJson() as KubeObject[];
  await cluster.applyObjects(objects, { fieldManager: 'wao-test', namespace, force: true });
  const deployment = objects.find((o) => o.kind === 'Deployment') as any;
  const container = deployment.spec.template.spec.containers[0];
  const args = (container.args as string[]).slice(1).filter((a) => !a.startsWith('--metrics-port='));
  const nodeOptions = ((container.env ?? []) as Array<{ name: string; value?: string }>).find((e) => e.name === 'NODE_OPTIONS')?.value;
  return { namespace, objects, serviceAccountName: controller.serviceAccountName, args, ...(nodeOptions !== undefined ? { nodeOptions } : {}) };
}

export interface WaoProcess {
  readonly process: ControllerProcess;
  readonly predictPort: number;
  predict(body: unknown, contentType?: string): Promise<{ status: number; json: any }>;
}

/** How the controller process runs (the defaults are the integration tests': runtime/main.ts through tsx). */
export interface StartWaoOptions {
  /** An esbuild bundle of runtime/main.ts (see bundleControllers), run with plain `node` as in the image. */
  readonly bundle?: string;
  /** `NODE_OPTIONS` of the controller, e.g. the Deployment's heap cap (WaoDeployment.nodeOptions). */
  readonly nodeOptions?: string;
  /** Flags of `node` itself, e.g. `--cpu-prof` (which NODE_OPTIONS does not take). */
  readonly execArgv?: readonly string[];
}

/** Runs the controller as its ServiceAccount with the deployment's flags and `extra` ones. */
export async function startWao(
  cluster: ClusterClient,
  d: WaoDeployment,
  podName: string,
  extra: readonly string[] = [],
  options: StartWaoOptions = {},
): Promise<WaoProcess> {
  const kubeconfig = await serviceAccountKubeconfig(cluster, d.namespace, d.serviceAccountName);
  const predictPort = await freePort();
  const process = await ControllerProcess.start({
    kubeconfig,
    namespace: d.namespace,
    podName,
    controller: WAO,
    args: [...d.args, `--prediction-port=${predictPort}`, ...extra],
    ...(options.bundle ? { bundle: options.bundle } : {}),
    ...(options.nodeOptions ? { nodeOptions: options.nodeOptions } : {}),
    ...(options.execArgv ? { execArgv: options.execArgv } : {}),
  });
  return {
    process,
    predictPort,
    async predict(body, contentType = 'application/json') {
      const res = await fetch(`http://127.0.0.1:${predictPort}/predict`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let json: any;
      try {
        json = JSON.parse(text);
      } catch {
        json = { raw: text };
      }
      return { status: res.status, json };
    },
  };
}
