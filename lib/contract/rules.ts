import { isDns1123Subdomain } from '../k8s/names.js';

/**
 * Kubernetes' own rules for the strings of the contract. Each returns a reason when the value
 * breaks the rule, or undefined. The JSON Schema refers to them by name (keyword `k8s`).
 */
export const K8S_RULES = {
  /** Env var names: the C_IDENTIFIER-like rule every supported Kubernetes accepts. */
  envName: (s: string) =>
    /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(s)
      ? undefined
      : `"${s}" is not a valid environment variable name (letters, digits, '_', '-', '.'; not starting with a digit)`,
  /** ConfigMap, Secret and claim names. */
  dnsSubdomain: (s: string) =>
    isDns1123Subdomain(s)
      ? undefined
      : `"${s}" is not a valid Kubernetes object name (DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters)`,
  /** Keys inside a ConfigMap or Secret. */
  configKey: (s: string) =>
    s.length > 0 && s.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(s)
      ? undefined
      : `"${s}" is not a valid ConfigMap/Secret key (alphanumerics, '-', '_', '.', at most 253 characters)`,
  absolutePath: (s: string) =>
    s.startsWith('/') && !s.includes(':') && !hasDotDot(s)
      ? undefined
      : `"${s}" is not an absolute path without ':' or '..'`,
  relativePath: (s: string) =>
    s.length > 0 && !s.startsWith('/') && !hasDotDot(s) ? undefined : `"${s}" is not a relative path without '..'`,
  fileMode: (v: string | number) => (parseFileMode(v) === undefined ? invalidMode(v) : undefined),
  quantity: (s: string) =>
    /^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$/.test(s)
      ? undefined
      : `"${s}" is not a Kubernetes quantity such as "10Gi" or "500M"`,
  nonEmpty: (s: string) => (s.trim().length > 0 ? undefined : 'must not be empty'),
} as const;

export type K8sRule = keyof typeof K8S_RULES;

function hasDotDot(path: string): boolean {
  return path.split('/').includes('..');
}

function invalidMode(v: string | number): string {
  return `${JSON.stringify(v)} is not a valid file mode (an octal string such as "0644" or "600", or an integer from 0 to 511)`;
}

/**
 * File modes: a string is octal, as Terraform modules write it (`"600"`, `"0644"`); a number is
 * the integer Kubernetes stores (`420` = 0644). Returns undefined when invalid.
 */
export function parseFileMode(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 0o777 ? v : undefined;
  if (!/^0?[0-7]{1,3}$/.test(v)) return undefined;
  return parseInt(v, 8);
}
