import { leaseRules, type ControllerRule } from '../rbac.js';
import { WAO_GROUP } from './names.js';

export interface WaoRulesOptions {
  /**
   * The Lease of leader election, when these rules should include its rules. PlatformController
   * adds them itself (from its leader election props): leave this out there. @default none
   */
  readonly leaseName?: string;
}

/**
 * WAO's least RBAC. Nodes are cluster-scoped: read them everywhere. Everything else only in the
 * watched namespaces: NodeConfigTemplates read (their status written), NodeConfigs made, changed
 * and removed for the templates (their status written by the collectors), Secrets read by name
 * (basic auth, CA bundles: `get` only, no list or watch, so a compromised controller cannot
 * enumerate them), ConfigMaps read by name (CA bundles), Events on those objects.
 */
export function waoRules(namespaces: readonly string[], opts: WaoRulesOptions = {}): ControllerRule[] {
  if (namespaces.length === 0) throw new Error('waoRules: at least one watched namespace');
  const where = { scope: 'namespace', namespaces: [...new Set(namespaces)].sort() } as const;
  return [
    { scope: 'cluster', apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    { ...where, apiGroups: [WAO_GROUP], resources: ['nodeconfigtemplates'], verbs: ['get', 'list', 'watch'] },
    { ...where, apiGroups: [WAO_GROUP], resources: ['nodeconfigs'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { ...where, apiGroups: [WAO_GROUP], resources: ['nodeconfigs/status', 'nodeconfigtemplates/status'], verbs: ['get', 'update', 'patch'] },
    { ...where, apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    { ...where, apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
    { ...where, apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ...(opts.leaseName ? leaseRules(opts.leaseName) : []),
  ];
}
