/**
 * Admission webhooks a controller serves, declared in its `lib/api/<controller>/` folder: the
 * runtime serves `path`, the construct registers a Mutating/ValidatingWebhookConfiguration.
 */
import { dns1123SubdomainReason } from '../k8s/validators.js';
import type { LabelSelector } from './crd/schema.js';
import { isQualifiedName } from '../k8s/labels.js';
import { FlagError } from './flags.js';
import type { ControllerRule } from './rbac.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT' | '*';

/** One `admissionregistration.k8s.io/v1` RuleWithOperations. */
export interface AdmissionRule {
  readonly operations: readonly AdmissionOperation[];
  readonly apiGroups: readonly string[];
  readonly apiVersions: readonly string[];
  readonly resources: readonly string[];
  /** @default '*' */
  readonly scope?: 'Cluster' | 'Namespaced' | '*';
}

export interface AdmissionWebhookSpec {
  /** `mutating` (may patch the object) or `validating` (allows or denies). */
  readonly type: 'mutating' | 'validating';
  /** Fully qualified webhook name, at least three DNS labels, e.g. `pods.servo.platform-constructs.io`. */
  readonly name: string;
  /** HTTPS path the runtime serves it on, e.g. `/mutate-pods`. */
  readonly path: string;
  readonly rules: readonly AdmissionRule[];
  /** What the API server does when the webhook cannot be called. @default 'Fail' */
  readonly failurePolicy?: 'Fail' | 'Ignore';
  /** Seconds the API server waits (1-30). @default 5 */
  readonly timeoutSeconds?: number;
  /** Only objects in namespaces matching this. @default all namespaces */
  readonly namespaceSelector?: LabelSelector;
  /** Only objects matching this. @default all objects */
  readonly objectSelector?: LabelSelector;
  /**
   * CEL conditions (all must be true) for the API server to call the webhook at all, e.g.
   * `object.spec.restartPolicy != 'Always'`: requests that cannot concern it cost no call.
   * @default none
   */
  readonly matchConditions?: readonly MatchCondition[];
  /** Mutating only: call again when a later webhook changed the object. @default 'Never' */
  readonly reinvocationPolicy?: 'Never' | 'IfNeeded';
}

/** One `matchConditions` entry: a name (unique in the webhook) and a CEL expression. */
export interface MatchCondition {
  readonly name: string;
  readonly expression: string;
}

/** A problem with a webhook spec: the field and what is wrong with it. */
export interface WebhookProblem {
  readonly field: string;
  readonly reason: string;
}

/** Problems with a webhook spec, each naming the field (empty when fine). */
export function webhookProblems(spec: AdmissionWebhookSpec): WebhookProblem[] {
  const problems: WebhookProblem[] = [];
  const labels = spec.name.split('.');
  if (labels.length < 3 || !labels.every((l) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l)) || spec.name.length > 253) {
    problems.push({ field: 'name', reason: `"${spec.name}" must be a DNS subdomain of at least three labels` });
  }
  if (!/^\/[-A-Za-z0-9._~/]*$/.test(spec.path)) problems.push({ field: 'path', reason: `"${spec.path}" must be an absolute URL path` });
  if (spec.rules.length === 0) problems.push({ field: 'rules', reason: 'at least one rule is needed' });
  const t = spec.timeoutSeconds ?? 5;
  if (!Number.isInteger(t) || t < 1 || t > 30) problems.push({ field: 'timeoutSeconds', reason: `${t} must be an integer from 1 to 30` });
  const names = new Set<string>();
  (spec.matchConditions ?? []).forEach((c, i) => {
    if (typeof c.name !== 'string' || !isQualifiedName(c.name)) problems.push({ field: `matchConditions[${i}].name`, reason: `"${c.name}" must be a qualified name ([prefix/]name, the name at most 63 characters)` });
    else if (names.has(c.name)) problems.push({ field: `matchConditions[${i}].name`, reason: `"${c.name}" is given twice` });
    names.add(c.name);
    if (typeof c.expression !== 'string' || c.expression.trim() === '') problems.push({ field: `matchConditions[${i}].expression`, reason: 'must be a CEL expression' });
  });
  if ((spec.matchConditions?.length ?? 0) > 64) problems.push({ field: 'matchConditions', reason: 'at most 64 conditions are allowed' });
  if (spec.type === 'validating' && spec.reinvocationPolicy !== undefined) {
    problems.push({ field: 'reinvocationPolicy', reason: 'only mutating webhooks are reinvoked' });
  }
  return problems;
}

/** The key of the webhook certificate Secret that holds the CA (PEM) the controller injects. */
export const WEBHOOK_CA_KEY = 'ca.crt';

/** A Mutating/ValidatingWebhookConfiguration whose `caBundle` the controller keeps equal to its `ca.crt`. */
export interface WebhookConfigurationRef {
  readonly type: 'mutating' | 'validating';
  /** Name of the (cluster-scoped) configuration. */
  readonly name: string;
}

/** The resource of a configuration type, e.g. `mutatingwebhookconfigurations`. */
export function webhookConfigurationResource(type: WebhookConfigurationRef['type']): string {
  return `${type}webhookconfigurations`;
}

/** The value of `--webhook-ca-inject`: `<mutating|validating>:<name>`, comma-separated. */
export function renderWebhookConfigurationRefs(refs: readonly WebhookConfigurationRef[]): string {
  return refs.map((r) => `${r.type}:${r.name}`).join(',');
}

/** Parses `--webhook-ca-inject` (empty text: none); a FlagError names the flag. */
export function parseWebhookConfigurationRefs(text: string, flag = 'webhook-ca-inject'): WebhookConfigurationRef[] {
  const out: WebhookConfigurationRef[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.indexOf(':');
    const type = item.slice(0, colon);
    const name = item.slice(colon + 1);
    if (colon < 0 || (type !== 'mutating' && type !== 'validating')) {
      throw new FlagError(flag, `"${item}" is not <mutating|validating>:<configuration name>`);
    }
    const bad = dns1123SubdomainReason(name, 'webhook configuration');
    if (bad) throw new FlagError(flag, bad);
    if (!out.some((r) => r.type === type && r.name === name)) out.push({ type, name });
  }
  return out;
}

/**
 * RBAC of the CA injection: `get` and `patch` of exactly these configurations (cluster-scoped,
 * so a ClusterRole limited by `resourceNames`).
 */
export function webhookCaInjectRules(refs: readonly WebhookConfigurationRef[]): ControllerRule[] {
  const rules: ControllerRule[] = [];
  for (const type of ['mutating', 'validating'] as const) {
    const names = [...new Set(refs.filter((r) => r.type === type).map((r) => r.name))].sort();
    if (names.length) {
      rules.push({ scope: 'cluster', apiGroups: ['admissionregistration.k8s.io'], resources: [webhookConfigurationResource(type)], resourceNames: names, verbs: ['get', 'patch'] });
    }
  }
  return rules;
}
