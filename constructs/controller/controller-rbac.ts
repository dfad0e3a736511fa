import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ruleProblems, type ControllerRule, type PolicyRule } from '../../lib/api/rbac.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkPropsObject } from '../../lib/k8s/props.js';
import { checkDns1123Label } from '../../lib/k8s/validators.js';

export interface ControllerRbacProps {
  /** The rules, from the controller's `lib/api` folder. */
  readonly rules: readonly ControllerRule[];
  /** Name of the Roles and the ServiceAccount. */
  readonly name: string;
  /** The controller's namespace (its ServiceAccount; default namespace of `namespace` rules). */
  readonly namespace: string;
  /** Labels of every object. */
  readonly labels: Record<string, string>;
}

/**
 * The least RBAC from a controller's declared rules: a Role (and RoleBinding) named after the
 * controller in every namespace a `namespace` rule applies to, and one ClusterRole
 * `<namespace>-<name>` for the `cluster` rules. A ClusterRole only where a rule needs one.
 */
export class ControllerRbac extends Construct {
  /** Rules per namespace of the Roles. */
  readonly roles: ReadonlyMap<string, readonly PolicyRule[]>;
  /** Rules of the ClusterRole (empty: none). */
  readonly clusterRules: readonly PolicyRule[];

  constructor(scope: Construct, id: string, props: ControllerRbacProps) {
    super(scope, id);
    const where = scope.node.path;
    checkPropsObject(where, props, ['rules', 'name', 'namespace', 'labels']);
    if (!Array.isArray(props.rules)) throw new ValidationError(where, 'rules', `must be a list, not ${describeValue(props.rules)}`, props.rules);
    const roles = new Map<string, PolicyRule[]>();
    const clusterRules: PolicyRule[] = [];
    props.rules.forEach((rule, i) => {
      const [problem] = ruleProblems(rule);
      if (problem) throw new ValidationError(where, `rules[${i}]`, problem, rule);
      const policy = policyRule(rule);
      if (rule.scope === 'cluster') {
        clusterRules.push(policy);
        return;
      }
      for (const ns of rule.namespaces?.length ? rule.namespaces : [props.namespace]) {
        checkDns1123Label(where, `rules[${i}].namespaces`, ns);
        roles.set(ns, [...(roles.get(ns) ?? []), policy]);
      }
    });
    const subjects = [{ kind: 'ServiceAccount', name: props.name, namespace: props.namespace }];
    for (const ns of [...roles.keys()].sort()) {
      const metadata = { name: props.name, namespace: ns, labels: props.labels };
      const suffix = ns === props.namespace ? '' : `-${ns}`;
      new k8s.KubeRole(this, `role${suffix}`, { metadata, rules: roles.get(ns)!.map((r) => ({ ...r })) as k8s.PolicyRule[] });
      new k8s.KubeRoleBinding(this, `role-binding${suffix}`, {
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: props.name },
        subjects,
      });
    }
    if (clusterRules.length) {
      const clusterName = `${props.namespace}-${props.name}`;
      const metadata = { name: clusterName, labels: props.labels };
      new k8s.KubeClusterRole(this, 'cluster-role', { metadata, rules: clusterRules as k8s.PolicyRule[] });
      new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
        metadata,
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
        subjects,
      });
    }
    this.roles = roles;
    this.clusterRules = clusterRules;
  }
}

function policyRule(rule: ControllerRule): PolicyRule {
  return {
    apiGroups: [...rule.apiGroups],
    resources: [...rule.resources],
    ...(rule.resourceNames?.length ? { resourceNames: [...rule.resourceNames] } : {}),
    verbs: [...rule.verbs],
  };
}
