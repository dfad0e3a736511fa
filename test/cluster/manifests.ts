/**
 * Proof that a set of manifests is what a real cluster accepts: server-side apply
 * under PodSecurity `restricted`, pods actually admitted, a second apply that
 * changes nothing. Used by test/integration/examples-apply.test.ts; reusable for any
 * cdk8s app (`appObjects(app)`) or plain manifest list.
 */
import type { App } from 'cdk8s';
import { objectRef, type ClusterClient, type KubeObject } from './client.js';

/** Every object of a cdk8s app, chart by chart (dependency order), without writing files. */
export function appObjects(app: App): KubeObject[] {
  return app.charts.flatMap((c) => c.toJson() as KubeObject[]);
}

export const RESTRICTED_LABELS: Readonly<Record<string, string>> = Object.fromEntries(
  ['enforce', 'warn', 'audit'].flatMap((m) => [
    [`pod-security.kubernetes.io/${m}`, 'restricted'],
    [`pod-security.kubernetes.io/${m}-version`, 'latest'],
  ]),
);

export interface ProveOptions {
  /** Field manager of both applies. @default 'platform-constructs-test' */
  readonly fieldManager?: string;
  /** Prefix of the namespace that receives namespaced objects naming none. @default 'manifests' */
  readonly namespacePrefix?: string;
  /**
   * Wait until every Deployment, ReplicaSet, StatefulSet and Job has at least one
   * pod (needs kube-controller-manager): proof that PodSecurity admitted the pods
   * and their ServiceAccounts exist. @default true
   */
  readonly waitForPods?: boolean;
  /** @default 60000 */
  readonly podTimeoutMs?: number;
}

export interface ProveReport {
  /** The objects as the server stored them after the first apply. */
  readonly applied: KubeObject[];
  /** Namespaces the objects went to (all labelled restricted). */
  readonly namespaces: string[];
  /** Workloads whose pods were admitted, with a pod count. */
  readonly workloads: { ref: string; pods: number }[];
  /** Objects whose resourceVersion the second apply changed (should be empty), with the reason. */
  readonly changedBySecondApply: string[];
}

const WORKLOADS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'Job']);

/**
 * How many pods the controllers create without a kubelet: every replica, except a StatefulSet
 * with OrderedReady pods, which waits for pod 0 to become Ready (never, here) before the next.
 */
function expectedPods(o: KubeObject): number {
  const spec = (o.spec ?? {}) as any;
  if (o.kind === 'Job') return spec.parallelism ?? 1;
  if (o.kind === 'StatefulSet' && spec.podManagementPolicy !== 'Parallel') return 1;
  return spec.replicas ?? 1;
}

function podSelector(o: KubeObject): string | undefined {
  const spec = (o.spec ?? {}) as any;
  if (o.kind === 'Job') {
    if (spec.suspend || spec.parallelism === 0) return undefined;
    return `batch.kubernetes.io/job-name=${o.metadata!.name}`;
  }
  if ((spec.replicas ?? 1) === 0) return undefined;
  const labels: Record<string, string> = spec.selector?.matchLabels ?? {};
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(',') : undefined;
}

/**
 * Applies `objects` (server-side, CRDs first) into restricted namespaces, proves
 * the pods of every workload are admitted, settles, applies again and reports
 * what the second apply changed. Throws on any rejection or API warning (e.g.
 * PodSecurity "would violate" on a Deployment), naming the object.
 */
export async function proveApply(
  cluster: ClusterClient,
  input: readonly KubeObject[],
  opts: ProveOptions = {},
): Promise<ProveReport> {
  const fieldManager = opts.fieldManager ?? 'platform-constructs-test';
  const objects: KubeObject[] = structuredClone([...input]);
  const defaultNs = await cluster.createNamespace(opts.namespacePrefix ?? 'manifests');

  // Every namespace is restricted: those the objects define get the labels; those
  // they only reference are added as objects of their own.
  const defined = new Set<string>();
  for (const o of objects.filter((x) => x.kind === 'Namespace' && x.apiVersion === 'v1')) {
    const name = o.metadata!.name!;
    defined.add(name);
    const enforce = o.metadata!.labels?.['pod-security.kubernetes.io/enforce'];
    if (enforce && enforce !== 'restricted') {
      throw new Error(`Namespace ${name} asks for PodSecurity "${enforce}"; workload namespaces must be restricted`);
    }
    o.metadata!.labels = { ...o.metadata!.labels, ...RESTRICTED_LABELS };
  }
  const referenced = [...new Set(objects.map((o) => o.metadata?.namespace).filter((n): n is string => !!n))];
  const extra: KubeObject[] = referenced
    .filter((n) => !defined.has(n))
    .map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...RESTRICTED_LABELS } } }));
  const all = [...extra, ...objects];
  const namespaces = [defaultNs, ...new Set([...defined, ...referenced])];
  const applyOpts = { fieldManager, namespace: defaultNs, warnings: 'error' as const };

  const applied = await cluster.applyObjects(all, applyOpts);

  const workloads: { ref: string; pods: number }[] = [];
  if (opts.waitForPods ?? true) {
    for (const o of applied.filter((x) => WORKLOADS.has(x.kind))) {
      const selector = podSelector(o);
      if (!selector) continue;
      const ns = o.metadata!.namespace!;
      const q = new URLSearchParams({ labelSelector: selector });
      const want = expectedPods(o);
      try {
        const pods = await cluster.waitFor(
          `pods of ${objectRef(o)}`,
          async () => {
            const res = await cluster.request('GET', `/api/v1/namespaces/${ns}/pods?${q}`);
            // All of them, not the first: a report of 1 pod of 2 would be a race, not a fact.
            return res.body.items.length >= want ? (res.body.items.length as number) : undefined;
          },
          { timeoutMs: opts.podTimeoutMs ?? 60_000, intervalMs: 250 },
        );
        workloads.push({ ref: objectRef(o), pods });
      } catch (err) {
        const ev = await cluster.request(
          'GET',
          `/api/v1/namespaces/${ns}/events?${new URLSearchParams({ fieldSelector: 'type=Warning' })}`,
        );
        const reasons = (ev.body.items as any[]).map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`);
        throw new Error(
          `no pod of ${objectRef(o)} was admitted: ${(err as Error).message}` +
            (reasons.length ? `\nwarning events in ${ns}:\n  ${reasons.join('\n  ')}` : ''),
        );
      }
    }
  }

  // Controllers write status for a moment after the apply; wait until nothing moves.
  const current = async () => Promise.all(applied.map((o) => cluster.get(o)));
  let before = await current();
  for (let i = 0; i < 30; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await current();
    const same = now.every((v, j) => v?.metadata?.resourceVersion === before[j]?.metadata?.resourceVersion);
    before = now;
    if (same) break;
  }

  // What our field manager owns, and when it last wrote: a second apply that changes nothing
  // leaves it as it was. Another manager's write in between (a CronJob's status on its schedule)
  // is not the second apply's doing.
  const ours = (o: KubeObject | undefined) =>
    JSON.stringify(((o?.metadata?.managedFields ?? []) as any[]).filter((m) => m.manager === applyOpts.fieldManager).map((m) => [m.operation, m.subresource, m.time, m.fieldsV1]));
  const second = await cluster.applyObjects(all, applyOpts);
  const changedBySecondApply = second
    .map((o, i) => ({ o, was: before[i] }))
    .filter(({ o, was }) => o.metadata?.resourceVersion !== was?.metadata?.resourceVersion && ours(o) !== ours(was))
    .map(({ o, was }) => {
      const managers = ((o.metadata?.managedFields ?? []) as any[]).map((m) => `${m.manager}@${m.time}`).join(', ');
      return `${objectRef(o)}: resourceVersion ${was?.metadata?.resourceVersion} -> ${o.metadata?.resourceVersion} (managers: ${managers})`;
    });
  return { applied, namespaces, workloads, changedBySecondApply };
}
