/**
 * `WebhookCertificate.generated()` end to end on the real API server, without cert-manager and
 * without any certificate or CA in the manifests:
 *
 * - the synthesized stack (a SecretGenerator and a webhook-serving PlatformController) is applied
 *   as a GitOps tool would; the MutatingWebhookConfiguration is pointed at
 *   `https://127.0.0.1:<port>` (the webhook runs in this process), so the certificate gets the
 *   extra IP SAN 127.0.0.1;
 * - the secret generator (child process, its ServiceAccount's token) fills the CA and the serving
 *   certificate Secrets;
 * - the controller runs in this process with the kit's manager, its synthesized flags and the
 *   token of its own ServiceAccount (RBAC exactly as synthesized): its webhook server starts before
 *   the certificate files exist and is not ready; once the files appear (as the kubelet projects
 *   the filled Secret) it serves, and the kit injects `ca.crt` into the configuration's caBundle;
 * - the API server then calls the webhook over TLS, verifying the generated chain, and a
 *   ConfigMap created in the selected namespace is mutated.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { Chart, Testing } from 'cdk8s';
import { PlatformController, WebhookCertificate } from '../../constructs/controller/index.js';
import { SecretGenerator } from '../../constructs/secret-generator/index.js';
import type { FlagSpec } from '../../lib/api/flags.js';
import { MANAGER_FLAGS } from '../../lib/api/manager.js';
import {
  ELECTION_FLAG_NAMES,
  PROCESS_FLAGS,
  admission,
  loadKubeConfig,
  parseFlags,
  pointerSegment,
  runControllers,
  selectFlags,
  silentLogger,
} from '../../runtime/kit/index.js';
import { connectToTestCluster, freePort, type KubeObject } from '../cluster/index.js';
import { ControllerProcess, removeKubeconfigs, serviceAccountKubeconfig, waitFor } from './config-aggregator.support.js';
import { decodeData } from './secret-generator.support.js';

jest.setTimeout(90_000);

const cluster = connectToTestCluster();
const FLAGS = [...MANAGER_FLAGS] as const satisfies readonly FlagSpec[];
const MUTATED = 'webhook.platform-constructs.io/mutated';

it('the secret generator issues the webhook certificate, the kit injects its CA, the API server calls the webhook', async () => {
  const ns = await cluster.createNamespace('whcert');
  const target = await cluster.createNamespace('whcert-target');
  const port = await freePort();
  const certDir = mkdtempSync(join(tmpdir(), 'webhook-cert-it-'));
  const configName = `${ns}-hooks`;
  const stop = new AbortController();
  let generator: ControllerProcess | undefined;
  let running: Promise<void> | undefined;
  try {
    const chart = new Chart(Testing.app(), 'stack', { namespace: ns });
    const gen = new SecretGenerator(chart, 'gen', { replicas: 1 });
    new PlatformController(chart, 'hooks', {
      controller: 'sample',
      name: 'hooks',
      flags: FLAGS,
      args: {},
      rules: [],
      webhooks: {
        webhooks: [
          {
            type: 'mutating',
            name: 'configmaps.hooks.platform-constructs.io',
            path: '/mutate-configmaps',
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': target } },
            failurePolicy: 'Fail',
            timeoutSeconds: 5,
          },
        ],
        certificate: WebhookCertificate.generated(gen, { ipAddresses: ['127.0.0.1'] }),
      },
    });
    const synthesized = chart.toJson() as any[];
    expect(JSON.stringify(synthesized)).not.toMatch(/BEGIN|caBundle/);
    const container = (name: string) => synthesized.find((o) => o.kind === 'Deployment' && o.metadata.name === name).spec.template.spec.containers[0];
    const hooksArgs: string[] = container('hooks').args;
    const genArgs: string[] = container('secret-generator').args;
    // No pods here (the controllers run below); the webhook is called by URL (it runs in this process).
    const objects = synthesized
      .filter((o) => o.kind !== 'Deployment' && o.kind !== 'PodDisruptionBudget')
      .map((o) =>
        o.kind !== 'MutatingWebhookConfiguration'
          ? o
          : { ...o, webhooks: o.webhooks.map((w: any) => ({ ...w, clientConfig: { url: `https://127.0.0.1:${port}${w.clientConfig.service.path}` } })) },
      );
    await cluster.applyObjects(objects as KubeObject[], { fieldManager: 'gitops' });

    const createIn = (name: string, dryRun = false) =>
      cluster.request('POST', `/api/v1/namespaces/${target}/configmaps${dryRun ? '?dryRun=All' : ''}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } }, { allowStatus: [500] });
    // Nothing trusted yet: the API server cannot call the webhook (failurePolicy Fail).
    const before = await createIn('before', true);
    expect(before.statusCode).toBe(500);
    expect(before.body.message).toContain('failed calling webhook "configmaps.hooks.platform-constructs.io"');

    // The controller, in process, as its ServiceAccount, with its synthesized flags.
    const hooksKubeconfig = await serviceAccountKubeconfig(cluster, ns, 'hooks');
    const values = { ...parseFlags(FLAGS, hooksArgs.slice(1), { NAMESPACE: ns }).values, 'metrics-port': 0, 'webhook-port': port, 'webhook-cert-dir': certDir, 'pod-name': 'hooks-0' };
    expect(values['webhook-ca-inject']).toBe(`mutating:${configName}`);
    let healthPort = 0;
    running = runControllers(
      'sample',
      selectFlags(PROCESS_FLAGS, values),
      [
        {
          name: 'sample',
          flags: selectFlags(MANAGER_FLAGS.filter((f) => (ELECTION_FLAG_NAMES as readonly string[]).includes(f.name)), values) as never,
          setup: (ctx) =>
            void ctx.webhooks().mutating('/mutate-configmaps', (req) => {
              const labels = req.object?.metadata?.labels;
              return admission.patch([labels ? { op: 'add', path: `/metadata/labels/${pointerSegment(MUTATED)}`, value: 'true' } : { op: 'add', path: '/metadata/labels', value: { [MUTATED]: 'true' } }]);
            }),
        },
      ],
      { signal: stop.signal, kubeConfig: loadKubeConfig(hooksKubeconfig), logger: silentLogger(), onListening: (p) => (healthPort = p) },
    );
    await waitFor('the health port', () => healthPort > 0, 10_000);
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      return { status: res.status, text: await res.text() };
    };
    await waitFor('the webhook server to start', async () => (await readyz()).text.includes('webhook certificate not present yet'), 10_000);
    expect((await readyz()).status).toBe(503);

    // The secret generator fills the CA, then the serving certificate it signs.
    const genKubeconfig = await serviceAccountKubeconfig(cluster, ns, gen.serviceAccountName);
    generator = await ControllerProcess.start({ controller: 'secret-generator', kubeconfig: genKubeconfig, namespace: ns, podName: 'gen-0', args: genArgs.slice(1).filter((a) => !a.startsWith('--metrics-port=')) });
    let data: Record<string, string> = {};
    await waitFor(
      'the generated webhook certificate',
      async () => {
        data = decodeData((await cluster.request('GET', `/api/v1/namespaces/${ns}/secrets/hooks-webhook-cert`)).body);
        return ['tls.crt', 'tls.key', 'ca.crt'].every((k) => data[k]?.length);
      },
      30_000,
      200,
    );
    // Still no caBundle: nothing but the controller injects it.
    const stillEmpty = await cluster.request('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${configName}`);
    expect(stillEmpty.body.webhooks[0].clientConfig.caBundle).toBeUndefined();

    // What the kubelet does: the filled keys appear in the Secret volume at once.
    const staging = mkdtempSync(join(tmpdir(), 'webhook-cert-it-staging-'));
    for (const k of ['tls.crt', 'tls.key', 'ca.crt']) writeFileSync(join(staging, k), data[k]);
    for (const k of ['tls.key', 'ca.crt', 'tls.crt']) renameSync(join(staging, k), join(certDir, k));
    rmSync(staging, { recursive: true, force: true });

    await waitFor('readiness', async () => (await readyz()).status === 200, 10_000, 100);
    const caBundle = Buffer.from(data['ca.crt']).toString('base64');
    let config: any;
    await waitFor(
      'the CA injected',
      async () => {
        config = (await cluster.request('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${configName}`)).body;
        return config.webhooks[0].clientConfig.caBundle === caBundle;
      },
      15_000,
      200,
    );
    // Written with the controller's field manager, and only the caBundle.
    const byController = config.metadata.managedFields.filter((m: any) => m.manager === 'sample');
    expect(byController).toHaveLength(1);
    expect(JSON.stringify(byController[0].fieldsV1)).toContain('f:caBundle');
    expect(JSON.stringify(byController[0].fieldsV1)).not.toContain('f:url');

    // The API server verifies the generated chain and calls the webhook: the ConfigMap is mutated.
    await waitFor('the API server to call the webhook', async () => (await createIn(`probe-${Date.now()}`, true)).statusCode === 201, 15_000, 200);
    const created = await createIn('mutated');
    expect(created.statusCode).toBe(201);
    expect(created.body.metadata.labels).toEqual({ [MUTATED]: 'true' });
  } finally {
    stop.abort();
    await running?.catch(() => undefined);
    await generator?.stop();
    await cluster.request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${configName}`, undefined, { allowStatus: [404] });
    for (const name of [`${ns}-hooks`, `${ns}-secret-generator`]) {
      await cluster.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`, undefined, { allowStatus: [404] });
      await cluster.request('DELETE', `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${name}`, undefined, { allowStatus: [404] });
    }
    await cluster.deleteNamespace(ns);
    await cluster.deleteNamespace(target);
    removeKubeconfigs();
    rmSync(certDir, { recursive: true, force: true });
  }
});
