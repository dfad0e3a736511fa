import type { ControllerRule } from '../rbac.js';

/**
 * The generator's RBAC (its Lease rules come from the manager's leader election): Secrets and
 * Events in the watched namespaces, or everywhere (a ClusterRole) when `namespaces` is empty.
 */
export function secretGeneratorRules(namespaces: readonly string[]): ControllerRule[] {
  const where = namespaces.length ? ({ scope: 'namespace', namespaces } as const) : ({ scope: 'cluster' } as const);
  return [
    // List/watch cannot be limited by label in RBAC: the watch itself filters on the label.
    // update and patch: the writes are server-side applies (patch) of generated keys.
    { ...where, apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
    { ...where, apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}
