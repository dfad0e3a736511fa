import { leaseRules, type ControllerRule } from '../rbac.js';
import { KONSUMERATOR_GROUP } from './names.js';

export interface KonsumeratorRulesOptions {
  /** Guest mode: everything in this one namespace, ConfigMaps instead of Consumers. */
  readonly guestNamespace?: string;
  /** The Lease, when these rules should include it (PlatformController adds it itself). @default none */
  readonly leaseName?: string;
}

/**
 * Konsumerator's least RBAC. Cluster mode: Consumers read and their status and finalizers
 * written everywhere, Deployments managed everywhere (a Consumer's Deployments may live in
 * `spec.namespace`), Events. Guest mode: the same in one namespace, with ConfigMaps (read, and
 * their annotations written: guest mode's status) instead of Consumers.
 */
export function konsumeratorRules(opts: KonsumeratorRulesOptions = {}): ControllerRule[] {
  const deployments = { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] };
  const events = { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] };
  const lease = opts.leaseName ? leaseRules(opts.leaseName) : [];
  if (opts.guestNamespace) {
    const where = { scope: 'namespace', namespaces: [opts.guestNamespace] } as const;
    return [
      { ...where, apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
      { ...where, ...deployments },
      { ...where, ...events },
      ...lease,
    ];
  }
  return [
    { scope: 'cluster', apiGroups: [KONSUMERATOR_GROUP], resources: ['consumers'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    { scope: 'cluster', apiGroups: [KONSUMERATOR_GROUP], resources: ['consumers/status'], verbs: ['get', 'update', 'patch'] },
    // Owner references with blockOwnerDeletion need update on the owner's finalizers subresource.
    { scope: 'cluster', apiGroups: [KONSUMERATOR_GROUP], resources: ['consumers/finalizers'], verbs: ['update'] },
    { scope: 'cluster', ...deployments },
    { scope: 'cluster', ...events },
    ...lease,
  ];
}
