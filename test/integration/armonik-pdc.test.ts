/**
 * The pod-deletion-cost updater on the real API server:
 * - its objects apply server-side under PodSecurity `restricted`, its pod is admitted, a second
 *   apply is a no-op;
 * - its ServiceAccount may do exactly what the binary does (ArmoniK.Infra.Plugins
 *   `pdc-update/src/updater/pod.rs`: a JSON patch `add /metadata/annotations` on a pod of its
 *   namespace), proved by SubjectAccessReviews and by that very request with the
 *   ServiceAccount's token: patch allowed (a missing pod is a 404, which the binary ignores),
 *   get, list, watch, update, delete and other namespaces refused; and the patch replaces the
 *   pod's whole annotations, as the README says.
 */
import { App, Chart } from 'cdk8s';
import { PodDeletionCost } from '../../constructs/armonik/index.js';
import { appObjects, connectToTestCluster, objectRef, proveApply } from '../cluster/index.js';

const cluster = connectToTestCluster();

test('applies under PodSecurity restricted; its ServiceAccount may patch pods of its namespace and nothing else', async () => {
  const namespace = await cluster.createNamespace('armonik-pdc');
  const other = await cluster.createNamespace('armonik-pdc-other');
  const app = new App();
  const chart = new Chart(app, 'armonik', { namespace, disableResourceNameHashes: true });
  const pdc = new PodDeletionCost(chart, 'pdc');

  const report = await proveApply(cluster, appObjects(app), { fieldManager: 'platform-constructs-armonik', namespacePrefix: 'armonik-pdc' });
  expect(report.applied.filter((o) => o.metadata?.namespace === namespace).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
    'ServiceAccount/pdc-update', 'Role/pdc-update', 'RoleBinding/pdc-update', 'Deployment/pdc-update', 'NetworkPolicy/pdc-update',
  ]);
  // Its pod was admitted (the controller manager made it in the restricted namespace).
  expect(report.workloads).toEqual([{ ref: objectRef(report.applied.find((o) => o.kind === 'Deployment')!), pods: 1 }]);
  expect(report.changedBySecondApply).toEqual([]);

  // A compute-plane pod stand-in, with an annotation of its own.
  const podName = 'compute-plane-default-x';
  await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName, annotations: { 'example.com/keep': 'x' } },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true } }],
    },
  });

  // The binary's request, with the ServiceAccount's own token.
  const asUpdater = await cluster.clientWithToken(namespace, pdc.name);
  const patch = (ns: string, name: string, cost: string) => cluster.request(
    'PATCH',
    `/api/v1/namespaces/${ns}/pods/${name}`,
    [{ op: 'add', path: '/metadata/annotations', value: { 'controller.kubernetes.io/pod-deletion-cost': cost } }],
    { contentType: 'application/json-patch+json', kubeConfig: asUpdater, allowStatus: [403, 404] },
  );
  // RBAC is evaluated from the authorizer's cache: allow the binding a moment.
  const patched = await cluster.waitFor('the RoleBinding to take effect', async () => {
    const res = await patch(namespace, podName, '5');
    return res.statusCode === 200 ? res : undefined;
  }, { timeoutMs: 10_000, intervalMs: 250 });
  // `add` on an existing member replaces it: the pod keeps only the cost.
  expect(patched.body.metadata.annotations).toEqual({ 'controller.kubernetes.io/pod-deletion-cost': '5' });
  // A pod gone during a scale-down: 404 (which src/updater/pod.rs ignores), not 403.
  expect((await patch(namespace, 'gone', '5')).statusCode).toBe(404);
  // Another namespace: refused.
  expect((await patch(other, podName, '5')).statusCode).toBe(403);
  // Nothing but patch: reading the pod with the same token is refused.
  const get = await cluster.request('GET', `/api/v1/namespaces/${namespace}/pods/${podName}`, undefined, { kubeConfig: asUpdater, allowStatus: [403] });
  expect(get.statusCode).toBe(403);

  // What the authorizer answers for the ServiceAccount, verb by verb.
  const can = async (verb: string, ns = namespace, resource = 'pods', subresource?: string) => {
    const res = await cluster.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: `system:serviceaccount:${namespace}:${pdc.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
        resourceAttributes: { namespace: ns, verb, resource, ...(subresource ? { subresource } : {}) },
      },
    });
    return res.body.status.allowed === true;
  };
  expect(await can('patch')).toBe(true);
  for (const verb of ['get', 'list', 'watch', 'create', 'update', 'delete', 'deletecollection']) expect([verb, await can(verb)]).toEqual([verb, false]);
  expect(await can('patch', other)).toBe(false);
  expect(await can('patch', namespace, 'pods', 'status')).toBe(false);
  expect(await can('patch', namespace, 'deployments')).toBe(false);

  await cluster.deleteNamespace(namespace);
  await cluster.deleteNamespace(other);
}, 180_000);
