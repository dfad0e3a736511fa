/**
 * metav1.LabelSelector, as NodeConfigTemplate's `nodeSelector` uses it: checked (the CRD keeps it
 * as an object, the API server does not check its keys, values and operators) and matched
 * against a node's labels with Kubernetes' semantics (`LabelSelectorAsSelector`): requirements
 * are ANDed, `{}` selects everything, `NotIn` and `DoesNotExist` match a missing label.
 */
import type { LabelSelector } from '../crd/schema.js';
import { isLabelValue, isQualifiedName } from '../../k8s/labels.js';
import { isPlainObject, showValue, ValidationError } from '../../k8s/validation.js';

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

/** One problem of a selector: the JSON pointer under the selector's own field and why. */
export interface SelectorProblem {
  readonly pointer: string;
  readonly reason: string;
}

/** Every problem of a selector (empty when it is valid), each naming its field. */
export function labelSelectorProblems(selector: unknown): SelectorProblem[] {
  const out: SelectorProblem[] = [];
  if (!isPlainObject(selector)) return [{ pointer: '', reason: `must be a label selector (an object), not ${showValue(selector)}` }];
  for (const k of Object.keys(selector)) {
    if (k !== 'matchLabels' && k !== 'matchExpressions') out.push({ pointer: `/${k}`, reason: 'is not a field of a label selector (matchLabels, matchExpressions)' });
  }
  const labels = selector.matchLabels;
  if (labels !== undefined) {
    if (!isPlainObject(labels)) out.push({ pointer: '/matchLabels', reason: 'must be a map of label keys to values' });
    else {
      for (const [key, value] of Object.entries(labels)) {
        const at = `/matchLabels/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (!isQualifiedName(key)) out.push({ pointer: at, reason: `${showValue(key)} is not a valid label key` });
        if (typeof value !== 'string' || !isLabelValue(value)) out.push({ pointer: at, reason: `${showValue(value)} is not a valid label value` });
      }
    }
  }
  const exprs = selector.matchExpressions;
  if (exprs !== undefined) {
    if (!Array.isArray(exprs)) out.push({ pointer: '/matchExpressions', reason: 'must be a list of requirements' });
    else
      exprs.forEach((e: unknown, i) => {
        const at = `/matchExpressions/${i}`;
        if (!isPlainObject(e)) {
          out.push({ pointer: at, reason: 'must be an object with key, operator and values' });
          return;
        }
        if (typeof e.key !== 'string' || !isQualifiedName(e.key)) out.push({ pointer: `${at}/key`, reason: `${showValue(e.key)} is not a valid label key` });
        const op = e.operator;
        if (!(SELECTOR_OPERATORS as readonly unknown[]).includes(op)) {
          out.push({ pointer: `${at}/operator`, reason: `must be one of ${SELECTOR_OPERATORS.join(', ')}, got ${showValue(op)}` });
          return;
        }
        const values = e.values;
        if (values !== undefined && !Array.isArray(values)) {
          out.push({ pointer: `${at}/values`, reason: 'must be a list of label values' });
          return;
        }
        const list = (values ?? []) as unknown[];
        if ((op === 'In' || op === 'NotIn') && list.length === 0) out.push({ pointer: `${at}/values`, reason: `must not be empty when operator is ${op}` });
        if ((op === 'Exists' || op === 'DoesNotExist') && list.length > 0) out.push({ pointer: `${at}/values`, reason: `must be empty when operator is ${op}` });
        list.forEach((v, j) => {
          if (typeof v !== 'string' || !isLabelValue(v)) out.push({ pointer: `${at}/values/${j}`, reason: `${showValue(v)} is not a valid label value` });
        });
      });
  }
  return out;
}

/**
 * Throws a ValidationError of `source` whose field is `field` and the problem's pointer
 * (`/spec/nodeSelector/matchExpressions/0/values`) unless `selector` is a valid label selector.
 */
export function checkLabelSelector(source: string, field: string, selector: unknown): LabelSelector {
  const problems = labelSelectorProblems(selector);
  if (problems.length) {
    const p = problems[0];
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new ValidationError(source, `${field}${p.pointer}`, `${p.reason}${more}`);
  }
  return selector as LabelSelector;
}

/**
 * Whether `labels` match `selector` (assumed valid: check it first). An empty selector matches
 * every set of labels; `undefined` (no selector) matches none, as in Kubernetes.
 */
export function matchesLabelSelector(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(l, k);
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (!has(k) || l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const present = has(e.key);
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!present || !values.includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (present && values.includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A selector as a `labelSelector` query string (`a=b,c in (d,e),!f`), for list and watch requests. */
export function labelSelectorString(selector: LabelSelector): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) parts.push(`${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    if (e.operator === 'In') parts.push(`${e.key} in (${values.join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values.join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
