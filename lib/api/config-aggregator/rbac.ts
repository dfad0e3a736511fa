import type { ControllerRule } from '../rbac.js';

/**
 * The aggregator's RBAC (its Lease rules come from the manager's leader election): read
 * ConfigMaps everywhere, report on them with Events, write only the aggregate.
 */
export function configAggregatorRules(configmapName: string): ControllerRule[] {
  return [
    // Application ConfigMaps live in any namespace: read them all (filtered by label in the request).
    { scope: 'cluster', apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] },
    // Invalid entries are reported as Events on the application ConfigMap, in its namespace.
    { scope: 'cluster', apiGroups: [''], resources: ['events'], verbs: ['create'] },
    // RBAC cannot limit `create` by name: the first write of the aggregate creates it.
    { scope: 'namespace', apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    { scope: 'namespace', apiGroups: [''], resources: ['configmaps'], resourceNames: [configmapName], verbs: ['get', 'update', 'patch'] },
  ];
}
