/**
 * Proof that the shared test cluster is a real one: RBAC denies and then allows
 * per the Role we synthesize, PodSecurity rejects a privileged pod in a restricted
 * namespace, and the controller manager garbage-collects owned objects and deletes
 * namespaces.
 */
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { connectToTestCluster, KubeApiError, type KubeObject } from '../cluster/index.js';

const cluster = connectToTestCluster();

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    if (err instanceof KubeApiError) return err.statusCode;
    throw err;
  }
}

const listConfigMaps = (kc: KubeConfig, namespace: string) =>
  statusOf(kc.makeApiClient(CoreV1Api).listNamespacedConfigMap({ namespace }));

describe('RBAC', () => {
  test('a ServiceAccount gets 403 without a Role and succeeds with the synthesized one', async () => {
    const ns = await cluster.createNamespace('rbac');
    const app = new App();
    const chart = new Chart(app, 'rbac', { namespace: ns });
    const sa = new kplus.ServiceAccount(chart, 'reader', { automountToken: false });
    const role = new kplus.Role(chart, 'configmap-reader');
    role.allowRead(kplus.ApiResource.CONFIG_MAPS);
    const objects = chart.toJson() as KubeObject[];
    const saObjects = objects.filter((o) => o.kind === 'ServiceAccount');
    const rbacObjects = objects.filter((o) => o.kind !== 'ServiceAccount');

    await cluster.applyObjects(saObjects, { fieldManager: 'harness-test' });
    const impersonated = cluster.clientAs(ns, sa.name);
    const withToken = await cluster.clientWithToken(ns, sa.name);
    expect(await listConfigMaps(impersonated, ns)).toBe(403);
    expect(await listConfigMaps(withToken, ns)).toBe(403);

    role.bind(sa);
    const withBinding = chart.toJson() as KubeObject[];
    expect(withBinding.map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding', 'ServiceAccount']);
    expect(rbacObjects.map((o) => o.kind)).toEqual(['Role']);
    await cluster.applyObjects(withBinding, { fieldManager: 'harness-test' });

    // RBAC is evaluated per request from the authorizer's cache: allow it a moment.
    await cluster.waitFor('the RoleBinding to take effect', async () => (await listConfigMaps(impersonated, ns)) === 200, {
      timeoutMs: 10_000,
    });
    expect(await listConfigMaps(withToken, ns)).toBe(200);
    // Read-only: writing is still forbidden, and other namespaces stay closed.
    const write = cluster.request(
      'POST',
      `/api/v1/namespaces/${ns}/configmaps`,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
      { kubeConfig: impersonated },
    );
    expect(await statusOf(write)).toBe(403);
    expect(await listConfigMaps(impersonated, 'default')).toBe(403);
    await cluster.deleteNamespace(ns);
  }, 60_000);
});

describe('PodSecurity', () => {
  const pod = (name: string, securityContext: Record<string, unknown>, podSecurityContext = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      securityContext: podSecurityContext,
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', securityContext }],
    },
  });
  const restrictedPod = pod(
    'compliant',
    { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
    { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
  );
  const privilegedPod = pod('privileged', { privileged: true });

  test('a privileged pod is rejected in a restricted namespace, a compliant one admitted', async () => {
    const ns = await cluster.createNamespace('psa');
    const create = (o: KubeObject) => cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, o);

    const err = await create(privilegedPod).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).statusCode).toBe(403);
    expect((err as KubeApiError).message).toMatch(/violates PodSecurity "restricted:latest".*privileged/);

    const ok = await create(restrictedPod);
    expect(ok.statusCode).toBe(201);
    expect(ok.warnings).toEqual([]);
    await cluster.deleteNamespace(ns);
  });

  test('the same privileged pod is admitted where PodSecurity allows it (the rejection is PodSecurity)', async () => {
    const ns = await cluster.createNamespace('privileged', {
      restricted: false,
      labels: { 'pod-security.kubernetes.io/enforce': 'privileged' },
    });
    const res = await cluster.request('POST', `/api/v1/namespaces/${ns}/pods`, privilegedPod);
    expect(res.statusCode).toBe(201);
    await cluster.deleteNamespace(ns);
  });
});

describe('garbage collection', () => {
  test('deleting an owner removes its dependents (kube-controller-manager runs)', async () => {
    expect(cluster.controllerManager).toBe(true);
    const ns = await cluster.createNamespace('gc');
    const [owner] = await cluster.applyObjects(
      [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' }, data: { a: '1' } }],
      { fieldManager: 'harness-test', namespace: ns },
    );
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! };
    const dependents: KubeObject[] = ['dep-a', 'dep-b'].map((name) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, ownerReferences: [ownerRef] },
      stringData: { k: 'v' },
    }));
    await cluster.applyObjects(dependents, { fieldManager: 'harness-test', namespace: ns });
    const orphan: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unowned', namespace: ns } };
    await cluster.applyObjects([orphan], { fieldManager: 'harness-test' });

    expect(await cluster.delete(owner)).toBe(true);
    await cluster.waitFor(
      'the garbage collector to delete the dependents',
      async () => {
        const left = await Promise.all(dependents.map((d) => cluster.get(d, ns)));
        return left.every((x) => x === undefined);
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(await cluster.get(orphan)).toBeDefined();
    await cluster.deleteNamespace(ns);
  }, 90_000);
});

describe('namespace deletion', () => {
  test('a deleted namespace is emptied and removed (kube-controller-manager runs)', async () => {
    const ns = await cluster.createNamespace('doomed');
    await cluster.applyObjects(
      [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'content' }, data: { k: 'v' } }],
      { fieldManager: 'harness-test', namespace: ns },
    );
    await cluster.deleteNamespace(ns);
    const nsObject: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    await cluster.waitFor('the namespace to disappear', async () => (await cluster.get(nsObject)) === undefined, {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  }, 90_000);
});
