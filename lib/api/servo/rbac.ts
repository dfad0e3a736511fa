import type { ControllerRule } from '../rbac.js';

/**
 * The servo's least RBAC: in the watched namespaces only (Roles, never a ClusterRole), pods read
 * and patched (the finalizer and the measured annotation) and Events written. The webhook needs
 * no permission: the API server calls it.
 */
export function servoRules(namespaces: readonly string[]): ControllerRule[] {
  const where = { scope: 'namespace', namespaces: [...namespaces] } as const;
  return [
    { ...where, apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
    { ...where, apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ];
}
