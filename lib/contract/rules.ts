import { DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX } from '../k8s/names.js';
import {
  absolutePathReason, CONFIG_KEY_MAX, CONFIG_KEY_PATTERN, configKeyReason, dns1123SubdomainReason, ENV_NAME_PATTERN, envNameReason, hasDotDotSegment,
  DIRECTORY_PREFIX_PATTERN, itemPathReason, quantityReason, RESOURCE_QUANTITY_PATTERN,
} from '../k8s/validators.js';
import { quote } from '../k8s/validation.js';

/** No `..` path segment, anywhere in the string. */
const NO_DOT_DOT = '(?!.*(^|/)\\.\\.(/|$))';

/**
 * Kubernetes' own rules for the strings of the contract. Each returns a reason when the value
 * breaks the rule, or undefined. The JSON Schema refers to them by name (keyword `k8s`).
 */
export const K8S_RULES = {
  /** Env var names: the C_IDENTIFIER-like rule every supported Kubernetes accepts. */
  envName: (s: string) => envNameReason(s),
  /** ConfigMap, Secret and claim names. */
  dnsSubdomain: (s: string) => dns1123SubdomainReason(s),
  /** Keys inside a ConfigMap or Secret. */
  configKey: (s: string) => configKeyReason(s),
  absolutePath: (s: string) => absolutePathReason(s),
  relativePath: (s: string) =>
    s.length > 0 && !s.startsWith('/') && !hasDotDotSegment(s) ? undefined : `${quote(s)} is not a relative path without '..'`,
  fileMode: (v: string | number) => (parseFileMode(v) === undefined ? invalidMode(v) : undefined),
  quantity: (s: string) => quantityReason(s),
  /** A claim's size: the API server refuses a claim of zero bytes. */
  positiveQuantity: (s: string) => quantityReason(s, { positive: true }),
  /** A file name inside a mounted ConfigMap/Secret. */
  itemPath: (s: string) => itemPathReason(s),
  nonEmpty: (s: string) => (s.trim().length > 0 ? undefined : 'must not be empty'),
} as const;

export type K8sRule = keyof typeof K8S_RULES;


/**
 * The same rules in standard JSON Schema keywords, for the published schema file
 * (`module-outputs.schema.json`) that other validators read without the `k8s` keyword.
 * A unit test holds each equal to its function above.
 */
export const K8S_RULE_SCHEMAS: { readonly [R in K8sRule]: Readonly<Record<string, unknown>> } = {
  envName: { pattern: ENV_NAME_PATTERN, not: { pattern: DIRECTORY_PREFIX_PATTERN } },
  dnsSubdomain: { maxLength: DNS1123_SUBDOMAIN_MAX, pattern: DNS1123_SUBDOMAIN.source },
  configKey: { minLength: 1, maxLength: CONFIG_KEY_MAX, pattern: CONFIG_KEY_PATTERN, not: { pattern: DIRECTORY_PREFIX_PATTERN } },
  absolutePath: { pattern: `^${NO_DOT_DOT}/[^:]*$` },
  relativePath: { minLength: 1, pattern: `^(?!/)${NO_DOT_DOT}` },
  fileMode: { anyOf: [{ type: 'string', pattern: '^0?[0-7]{1,3}$' }, { type: 'integer', minimum: 0, maximum: 0o777 }] },
  quantity: { maxLength: 64, pattern: RESOURCE_QUANTITY_PATTERN },
  positiveQuantity: { maxLength: 64, pattern: RESOURCE_QUANTITY_PATTERN, not: { pattern: '^\\+?(0+(\\.0*)?|\\.0+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$' } },
  itemPath: { minLength: 1, pattern: `^(?!/)(?!\\.\\.)(?!(\\.?/)*\\.?$)${NO_DOT_DOT}` },
  nonEmpty: { pattern: '\\S' },
};

function invalidMode(v: string | number): string {
  return `${typeof v === 'string' ? quote(v) : JSON.stringify(v)} is not a valid file mode (an octal string such as "0644" or "600", or an integer from 0 to 511)`;
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
