import { isDns1123Subdomain } from './names.js';

/** The recommended `app.kubernetes.io/*` labels every object of this library carries. */
export interface AppLabelsProps {
  /** `app.kubernetes.io/name`: the application, e.g. `config-aggregator`. */
  readonly name: string;
  /** `app.kubernetes.io/instance`: distinguishes several installs of one application. */
  readonly instance: string;
  /** `app.kubernetes.io/component`: the role inside the application, e.g. `controller`. @default none */
  readonly component?: string;
  /** `app.kubernetes.io/part-of`: the larger system, e.g. `armonik`. @default none */
  readonly partOf?: string;
  /** `app.kubernetes.io/version`. @default none */
  readonly version?: string;
}

export const MANAGED_BY = 'platform-constructs';

/** All recommended labels, for metadata. */
export function appLabels(props: AppLabelsProps): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': props.name,
    'app.kubernetes.io/instance': props.instance,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
  if (props.component) labels['app.kubernetes.io/component'] = props.component;
  if (props.partOf) labels['app.kubernetes.io/part-of'] = props.partOf;
  if (props.version) labels['app.kubernetes.io/version'] = props.version;
  return labels;
}

/**
 * The immutable subset used in selectors: a Deployment's selector cannot change after creation,
 * so it must not contain the version.
 */
export function selectorLabels(props: AppLabelsProps): Record<string, string> {
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': props.name,
    'app.kubernetes.io/instance': props.instance,
  };
  if (props.component) labels['app.kubernetes.io/component'] = props.component;
  return labels;
}

const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/**
 * A label or annotation key: an optional DNS-1123 subdomain prefix and `/`, then a name of at
 * most 63 alphanumerics, '-', '_', '.' starting and ending alphanumeric.
 */
export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDns1123Subdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_', '.' starting and ending alphanumeric. */
export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && QUALIFIED_NAME.test(value));
}
