/**
 * RBAC a controller needs, declared once in its `lib/api/<controller>/` folder: the construct
 * turns the rules into (Cluster)Roles, and tests compare the two.
 */

/** One `rbac.authorization.k8s.io/v1` PolicyRule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /** Limits the rule to these objects (not possible for `create`, `list`, `watch`). @default all */
  readonly resourceNames?: readonly string[];
}

/** A rule and where it applies. */
export interface ControllerRule extends PolicyRule {
  /**
   * `namespace`: a Role (in `namespaces`, or the controller's own namespace when none are
   * given); `cluster`: a ClusterRole, for objects in every namespace or cluster-scoped ones.
   */
  readonly scope: 'namespace' | 'cluster';
  /** For `scope: 'namespace'`: the namespaces. @default the controller's own */
  readonly namespaces?: readonly string[];
}

/** The rules of a leader-elected controller's Lease, in its own namespace. */
export function leaseRules(leaseName: string): ControllerRule[] {
  return [
    // RBAC cannot limit `create` by name: the first election creates the Lease.
    { scope: 'namespace', apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { scope: 'namespace', apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [leaseName], verbs: ['get', 'update', 'patch'] },
  ];
}

/** Verbs that cannot be limited by `resourceNames` (the object does not exist yet, or many are read). */
export const UNNAMEABLE_VERBS: readonly string[] = ['create', 'list', 'watch', 'deletecollection'];

/** Problems with a rule (empty when fine), e.g. `resourceNames` with `create`. */
export function ruleProblems(rule: ControllerRule): string[] {
  const problems: string[] = [];
  if (rule.verbs.length === 0) problems.push('has no verbs');
  if (rule.resources.length === 0) problems.push('has no resources');
  if (rule.resourceNames?.length) {
    const bad = rule.verbs.filter((v) => UNNAMEABLE_VERBS.includes(v));
    if (bad.length) problems.push(`limits ${bad.join(', ')} by resourceNames, which RBAC ignores for them`);
  }
  if (rule.scope === 'cluster' && rule.namespaces?.length) problems.push('is cluster-scoped but names namespaces');
  return problems;
}
