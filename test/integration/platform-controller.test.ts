/**
 * PlatformController's objects on the real API server: a leader-elected Deployment serving an
 * admission webhook (Service, Secret mount, MutatingWebhookConfiguration with a CA bundle) and a
 * per-node DaemonSet are accepted under PodSecurity `restricted`, the Deployment's pods are
 * admitted, and a second apply changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chart, Testing } from 'cdk8s';
import { ControllerWorkload, PlatformController, WebhookCertificate } from '../../constructs/controller/index.js';
import type { FlagSpec } from '../../lib/api/flags.js';
import { MANAGER_FLAGS } from '../../lib/api/manager.js';
import { connectToTestCluster, proveApply, randomSuffix, type KubeObject } from '../cluster/index.js';
import { createPki } from '../cluster/pki.js';
import { Widget } from '../fixtures/widget-crd.js';

import { jest } from '@jest/globals';

jest.setTimeout(120_000);

const FLAGS = [{ name: 'target', type: 'string', required: true, description: 'x' }, ...MANAGER_FLAGS] as const satisfies readonly FlagSpec[];

it('a webhook-serving Deployment and a per-node DaemonSet are accepted and admitted', async () => {
  const cluster = connectToTestCluster();
  const dir = mkdtempSync(join(tmpdir(), 'pc-pki-'));
  const namespace = `pc-${randomSuffix()}`;
  try {
    const pki = await createPki(dir);
    const chart = new Chart(Testing.app(), 'pc', { namespace });
    new PlatformController(chart, 'hooks', {
      controller: 'sample',
      name: 'hooks',
      flags: FLAGS,
      args: { target: 'pods' },
      rules: [{ scope: 'cluster', apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
      webhooks: {
        webhooks: [
          {
            type: 'mutating',
            name: 'pods.hooks.platform-constructs.io',
            path: '/mutate-pods',
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            // No namespace carries this label: the webhook cannot disturb other tests.
            namespaceSelector: { matchLabels: { [`${namespace}/inject`]: 'true' } },
            failurePolicy: 'Ignore',
          },
        ],
        certificate: WebhookCertificate.fromSecret('hooks-tls', readFileSync(join(dir, 'ca.crt'), 'utf8')),
      },
    });
    new PlatformController(chart, 'per-node', {
      controller: 'sample',
      name: 'per-node',
      flags: FLAGS,
      args: { target: 'nodes' },
      rules: [{ scope: 'cluster', apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
      workload: ControllerWorkload.daemonSet(),
      customResources: [Widget],
    });
    const tlsSecret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'hooks-tls', namespace },
      data: { 'tls.crt': readFileSync(pki.servingCert).toString('base64'), 'tls.key': readFileSync(pki.servingKey).toString('base64') },
    } as KubeObject;
    const objects = [tlsSecret, ...(chart.toJson() as KubeObject[])];
    const report = await proveApply(cluster, objects, { fieldManager: 'platform-controller-test', namespacePrefix: 'pc' });
    expect(report.changedBySecondApply).toEqual([]);
    expect(report.workloads).toEqual([{ ref: `Deployment ${namespace}/hooks (apps/v1)`, pods: 2 }]);
    const kinds = report.applied.map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining(['MutatingWebhookConfiguration', 'DaemonSet', 'ClusterRole', 'Role', 'PodDisruptionBudget', 'CustomResourceDefinition']));
    const mwc = await cluster.request('GET', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${namespace}-hooks`);
    expect(Buffer.from(mwc.body.webhooks[0].clientConfig.caBundle, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    await cluster.request('DELETE', `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${namespace}-hooks`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
