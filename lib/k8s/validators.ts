/**
 * Kubernetes' rules for the strings and numbers users give: names, label keys and values,
 * ConfigMap/Secret keys, absolute paths, image references, ports, counts. One place for each.
 *
 * Each rule comes three ways: a predicate (`isConfigKey`), a reason (`configKeyReason`: undefined
 * when the value is fine, else what is wrong with it, the value quoted) for callers that collect
 * or rephrase errors, and a check (`checkConfigKey(source, field, value)`) that throws the one
 * error shape, {@link ValidationError}, and returns the value.
 *
 * Pure TypeScript (no cdk8s): constructs, `lib/api` and the runtime all import this file.
 */
import { isIP } from 'node:net';
import { isLabelValue, isQualifiedName } from './labels.js';
import { DNS1123_LABEL_MAX, isDns1035Label, isDns1123Label, isDns1123Subdomain } from './names.js';
import { describeValue, isPlainObject, quote, setOwn, showValue, ValidationError } from './validation.js';

/** Throws a {@link ValidationError} when `reason` is given; returns `value` otherwise. */
export function ensure<T>(source: string, field: string, value: T, reason: string | undefined): T {
  if (reason !== undefined) throw new ValidationError(source, field, reason, value);
  return value;
}

// ---- names -------------------------------------------------------------------------------

/** Why `s` is not a DNS-1123 label (Services, namespaces, containers, volumes), or undefined. */
export function dns1123LabelReason(s: string): string | undefined {
  return typeof s === 'string' && isDns1123Label(s)
    ? undefined
    : `${showValue(s)} is not a DNS-1123 label (lower-case alphanumerics and '-', at most ${DNS1123_LABEL_MAX} characters)`;
}

/**
 * Why `s` is not a DNS-1035 label (a Service name: a DNS-1123 label that starts with a letter),
 * or undefined.
 */
export function dns1035LabelReason(s: string, kind = 'Service'): string | undefined {
  return typeof s === 'string' && isDns1035Label(s)
    ? undefined
    : `${showValue(s)} is not a valid ${kind} name (DNS-1035 label: lower-case alphanumerics and '-', starting with a letter, at most ${DNS1123_LABEL_MAX} characters)`;
}

export function checkDns1035Label(source: string, field: string, value: string, kind?: string): string {
  return ensure(source, field, value, dns1035LabelReason(value, kind));
}

/**
 * The longest StatefulSet name whose pods can be labelled: the controller labels each pod
 * `controller-revision-hash: <name>-<10-character hash>`, and a label value has at most 63
 * characters (kubernetes/kubernetes#64023).
 */
export const STATEFUL_SET_NAME_MAX = 52;

/** Why `name` cannot name a StatefulSet whose pods start, or undefined. */
export function statefulSetNameReason(name: string): string | undefined {
  const dns = dns1123SubdomainReason(name, 'StatefulSet');
  if (dns) return dns;
  return name.length <= STATEFUL_SET_NAME_MAX
    ? undefined
    : `${showValue(name)} is too long for a StatefulSet (${name.length} characters; at most ${STATEFUL_SET_NAME_MAX}, so that its pods' controller-revision-hash label fits in 63)`;
}

/**
 * Why `s` is not a DNS-1123 subdomain (the names of ConfigMaps, Secrets, Deployments, ...), or
 * undefined. `kind` words the message: `"x" is not a valid Secret name (...)`.
 */
export function dns1123SubdomainReason(s: string, kind = 'Kubernetes object'): string | undefined {
  return typeof s === 'string' && isDns1123Subdomain(s)
    ? undefined
    : `${showValue(s)} is not a valid ${kind} name (DNS-1123 subdomain: lower-case alphanumerics, '-' and '.', at most 253 characters)`;
}

export function checkDns1123Label(source: string, field: string, value: string): string {
  return ensure(source, field, value, dns1123LabelReason(value));
}

export function checkDns1123Subdomain(source: string, field: string, value: string, kind?: string): string {
  return ensure(source, field, value, dns1123SubdomainReason(value, kind));
}

// ---- labels and annotations ----------------------------------------------------------------

/** Why `key` is not a label or annotation key (`[prefix/]name`), or undefined. */
export function labelKeyReason(key: string, what = 'label'): string | undefined {
  return typeof key === 'string' && isQualifiedName(key) ? undefined : `${showValue(key)} is not a valid ${what} key`;
}

/** Why `value` is not a label value, or undefined. */
export function labelValueReason(value: string): string | undefined {
  return typeof value === 'string' && isLabelValue(value) ? undefined : `${showValue(value)} is not a valid label value`;
}

// ---- ConfigMap and Secret keys ---------------------------------------------------------------

/** A key inside a ConfigMap or Secret: alphanumerics, '-', '_', '.', at most 253 characters. */
export const CONFIG_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
/**
 * What keys and env names must not match on top of their pattern: `.`, or a start of `..`
 * (apimachinery `hasChDirPrefix`). Kept apart, without lookaheads, so that Terraform's RE2
 * `regex()` can use both patterns.
 */
export const DIRECTORY_PREFIX_PATTERN = '^([.]$|[.][.])';
export const CONFIG_KEY_MAX = 253;
const CONFIG_KEY = new RegExp(CONFIG_KEY_PATTERN);

export function isConfigKey(s: string): boolean {
  return typeof s === 'string' && s.length > 0 && s.length <= CONFIG_KEY_MAX && CONFIG_KEY.test(s) && !startsLikeDirectory(s);
}

/**
 * Kubernetes refuses `.`, `..` and names starting with `..` as keys and env names (apimachinery
 * `hasChDirPrefix`): a key is a file name in a mounted volume, where `..data` is the kubelet's
 * own symlink.
 */
function startsLikeDirectory(s: string): boolean {
  return s === '.' || s.startsWith('..');
}

export function configKeyReason(s: string): string | undefined {
  if (isConfigKey(s)) return undefined;
  if (typeof s === 'string' && startsLikeDirectory(s)) return `${showValue(s)} is not a valid ConfigMap/Secret key (must not be '.' or start with '..')`;
  return `${showValue(s)} is not a valid ConfigMap/Secret key (alphanumerics, '-', '_', '.', at most 253 characters)`;
}

export function checkConfigKey(source: string, field: string, value: string): string {
  return ensure(source, field, value, configKeyReason(value));
}

// ---- environment variable names ----------------------------------------------------------------

/** Env var names: the C_IDENTIFIER-like rule every supported Kubernetes accepts. */
export const ENV_NAME_PATTERN = '^[-._a-zA-Z][-._a-zA-Z0-9]*$';
const ENV_NAME = new RegExp(ENV_NAME_PATTERN);

export function isEnvName(s: string): boolean {
  return typeof s === 'string' && ENV_NAME.test(s) && !startsLikeDirectory(s);
}

export function envNameReason(s: string): string | undefined {
  if (isEnvName(s)) return undefined;
  if (typeof s === 'string' && startsLikeDirectory(s)) {
    return `${showValue(s)} is not a valid environment variable name (must not be '.' or start with '..': clusters without relaxed env names refuse it)`;
  }
  return `${showValue(s)} is not a valid environment variable name (letters, digits, '_', '-', '.'; not starting with a digit)`;
}

/**
 * Checks a map of literal environment variables given as a prop: a plain object (not a Map, a
 * list or null), valid names, string values. Returns a copy (own keys only, `__proto__` kept).
 */
export function checkEnvVars(source: string, field: string, env: unknown): Record<string, string> {
  if (!isPlainObject(env)) throw new ValidationError(source, field, `must be an object of name: value strings, not ${describeValue(env)}`, env);
  const out: Record<string, string> = {};
  for (const name of Object.keys(env)) {
    const value = env[name];
    ensure(source, `${field}.${name}`, name, envNameReason(name));
    if (typeof value !== 'string') throw new ValidationError(source, `${field}.${name}`, `must be a string, not ${describeValue(value)}`, value);
    setOwn(out, name, value);
  }
  return out;
}

// ---- paths -----------------------------------------------------------------------------------

/**
 * Why `s` cannot be a file name inside a mounted ConfigMap/Secret (an `items` path), or
 * undefined: relative, no `..` segment, not starting with `..` (the kubelet's `..data`) and not
 * the volume's own directory (`.`, `./`), as apimachinery `ValidateLocalNonReservedPath` checks.
 */
export function itemPathReason(s: string): string | undefined {
  if (typeof s !== 'string' || s.length === 0) return `must be a relative file name, not ${describeValue(s)}`;
  if (s.startsWith('/') || hasDotDotSegment(s)) return `${quote(s)} is not a relative path without '..'`;
  if (s.startsWith('..')) return `${quote(s)} must not start with '..' (the kubelet keeps its own files there)`;
  if (normalizeRelativePath(s) === '') return `${quote(s)} names the volume's own directory, not a file`;
  return undefined;
}

/** True when a path has a `..` segment. */
export function hasDotDotSegment(path: string): boolean {
  return path.split('/').includes('..');
}

/** An absolute path as a mount path must be: starts with '/', no ':' and no `..` segment. */
export function isAbsolutePath(s: string): boolean {
  return typeof s === 'string' && s.startsWith('/') && !s.includes(':') && !hasDotDotSegment(s);
}

export function absolutePathReason(s: string): string | undefined {
  if (isAbsolutePath(s)) return undefined;
  if (typeof s !== 'string') return `must be an absolute path, not ${describeValue(s)}`;
  if (!s.startsWith('/')) return `${showValue(s)} is not an absolute path (it must start with '/')`;
  return `${showValue(s)} is not an absolute path without ':' or '..'`;
}

/**
 * The one normal form of an absolute path: runs of '/' folded into one, `.` segments dropped, no
 * trailing '/' (except the root itself). `/data//certs/`, `/data/./certs` and `/data/certs` are
 * the same mount; every comparison of mount paths goes through here.
 */
export function normalizeAbsolutePath(path: string): string {
  // Most paths are already normal (no empty or `.` segment): return them as they are.
  if (!/\/\.?(?=\/|$)/.test(path)) return path;
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  return `/${segments.join('/')}`;
}

/** A relative path (`sub_path`, an item's file name) in normal form: `a//b/./c/` is `a/b/c`; `.` alone is ''. */
export function normalizeRelativePath(path: string): string {
  return path.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

/** Checks an absolute path and returns it normalized ({@link normalizeAbsolutePath}). */
export function checkAbsolutePath(source: string, field: string, value: string): string {
  return normalizeAbsolutePath(ensure(source, field, value, absolutePathReason(value)));
}

// ---- images ------------------------------------------------------------------------------------

// The grammar of github.com/distribution/reference: [domain[:port]/]path[:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
/** An image tag: at most 128 word characters, '.' and '-', not starting with either. */
export const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
/** An image digest: `algorithm:hex`, such as `sha256:<64 hex>`. */
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::[\\w][\\w.-]{0,127})?(?:@${DIGEST})?$`);
const IMAGE_NAME_MAX = 255;

/** An image reference as a container's `image` takes it: `[registry[:port]/]path[:tag][@digest]`. */
export function isImageReference(s: string): boolean {
  if (typeof s !== 'string') return false;
  const m = IMAGE_REFERENCE.exec(s);
  return m !== null && m[1].length <= IMAGE_NAME_MAX;
}

export function imageReferenceReason(s: string): string | undefined {
  return isImageReference(s) ? undefined : `${showValue(s)} is not an image reference ([registry/]repository[:tag][@digest])`;
}

export function checkImage(source: string, field: string, value: string): string {
  return ensure(source, field, value, imageReferenceReason(value));
}

// ---- hosts and URLs ----------------------------------------------------------------------------

/** A DNS host name (labels of letters, digits and '-', not starting or ending with '-', joined by '.'). */
const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A host name or an IP address (`..`, `a..b` and `-a` are neither). */
export function isHostName(s: string): boolean {
  return typeof s === 'string' && (HOST_NAME.test(s) || isIP(s) !== 0);
}

export function hostNameReason(s: string): string | undefined {
  return isHostName(s) ? undefined : `${showValue(s)} is not a host name or IP address`;
}

/** An `http://` or `https://` URL with a host and no white space. */
export function isHttpUrl(s: string): boolean {
  return typeof s === 'string' && /^https?:\/\/[^\s/]+(\/\S*)?$/.test(s);
}

/** True when a URL carries `user[:password]@`, which would end up in manifests. */
export function urlHasCredentials(s: string): boolean {
  return typeof s === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#]*@/i.test(s);
}

/**
 * Why a URL must not go into a manifest as it is (it carries `user:password@`), or undefined.
 * `where` says where the credentials belong instead (`a Secret given as credentialsSecret`).
 */
export function urlCredentialsReason(s: string, where: string): string | undefined {
  if (!urlHasCredentials(s)) return undefined;
  const redacted = s.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/i, '$1***@');
  return `${quote(redacted)} carries credentials, which would be written in plain text into manifests; put them in ${where}`;
}

// ---- numbers -----------------------------------------------------------------------------------

/** A number as messages show it: `5`; anything else as JSON (`"5"`, `null`). */
function shown(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : describeValue(value);
}


/** Why `value` is not an integer from `min` to `max` (inclusive; unbounded above by default), or undefined. */
export function integerReason(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return undefined;
  if (max !== Number.MAX_SAFE_INTEGER) return `${shown(value)} is not an integer from ${min} to ${max}`;
  if (min === 0) return `${shown(value)} is not a non-negative integer`;
  if (min === 1) return `${shown(value)} is not a positive integer`;
  return `${shown(value)} is not an integer of at least ${min}`;
}

export function checkInteger(source: string, field: string, value: number, min: number, max?: number): number {
  return ensure(source, field, value, integerReason(value, min, max));
}

/** An integer of at least 1 (replicas, workers, ...). */
export function isPositiveInteger(value: unknown): boolean {
  return integerReason(value, 1) === undefined;
}

export function positiveIntegerReason(value: unknown): string | undefined {
  return integerReason(value, 1);
}

export function checkPositiveInteger(source: string, field: string, value: number): number {
  return ensure(source, field, value, positiveIntegerReason(value));
}

/** The first port a non-root process may bind. */
export const FIRST_UNPRIVILEGED_PORT = 1024;

/** A TCP/UDP port from `min` (1; {@link FIRST_UNPRIVILEGED_PORT} for a port a non-root container listens on) to 65535. */
export function isPort(value: unknown, min = 1): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= 65535;
}

export function portReason(value: unknown, min = 1): string | undefined {
  if (isPort(value, min)) return undefined;
  return min >= FIRST_UNPRIVILEGED_PORT
    ? `${shown(value)} is not a port from ${min} to 65535 (the container runs as non-root)`
    : `${shown(value)} is not a TCP port`;
}

export function checkPort(source: string, field: string, value: number, min = 1): number {
  return ensure(source, field, value, portReason(value, min));
}

/** Longest name of a container port (an IANA service name). */
export const PORT_NAME_MAX = 15;

/**
 * Why `s` is not a container port name (IANA_SVC_NAME: lower-case alphanumerics and '-', at most
 * 15 characters, at least one letter, no '-' at either end and no '--'), or undefined.
 */
export function portNameReason(s: string): string | undefined {
  const ok = typeof s === 'string' && s.length >= 1 && s.length <= PORT_NAME_MAX && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--');
  return ok
    ? undefined
    : `${showValue(s)} is not a port name (lower-case alphanumerics and '-', at most ${PORT_NAME_MAX} characters, at least one letter, no '-' at either end and no '--')`;
}

export function checkPortName(source: string, field: string, value: string): string {
  return ensure(source, field, value, portNameReason(value));
}

// ---- quantities --------------------------------------------------------------------------------

/**
 * A Kubernetes resource quantity as users write them (`500m`, `10Gi`, `1.5`, `1e3`): a
 * non-negative decimal with an optional binary, decimal or exponent suffix (apimachinery
 * `resource.ParseQuantity`, without the sign a request never takes).
 */
export const RESOURCE_QUANTITY_PATTERN = '^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$';
const QUANTITY = new RegExp(RESOURCE_QUANTITY_PATTERN);
const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function isQuantity(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 64 && QUANTITY.test(s);
}

/** The value of a quantity in base units (approximate beyond 2^53; enough to compare), or undefined. */
export function quantityValue(s: string): number | undefined {
  if (!isQuantity(s)) return undefined;
  const m = /^\+?([0-9.]+)(.*)$/.exec(s)!;
  const suffix = m[2];
  if (/^[eE]/.test(suffix)) return parseFloat(`${m[1]}${suffix}`);
  return parseFloat(m[1]) * QUANTITY_SUFFIX[suffix];
}

/** Options of {@link quantityReason}. */
export interface QuantityRule {
  /** Refuse zero (a claim's size, a memory limit). @default false */
  readonly positive?: boolean;
}

/** Why `s` is not a quantity (or is zero where zero means nothing), or undefined. */
export function quantityReason(s: unknown, rule: QuantityRule = {}): string | undefined {
  if (!isQuantity(s)) return `${showValue(s)} is not a Kubernetes quantity such as "500m", "10Gi" or "1.5"`;
  if (rule.positive && quantityValue(s) === 0) return `${quote(s)} must be greater than zero`;
  return undefined;
}

export function checkQuantity(source: string, field: string, value: string, rule?: QuantityRule): string {
  return ensure(source, field, value, quantityReason(value, rule));
}

/** A StorageClass name (a DNS-1123 subdomain). */
export function checkStorageClass(source: string, field: string, value: string): string {
  return ensure(source, field, value, dns1123SubdomainReason(value, 'StorageClass'));
}

/** The port a non-root container listens on. */
export function checkListenPort(source: string, field: string, value: number): number {
  return ensure(source, field, value, portReason(value, FIRST_UNPRIVILEGED_PORT));
}

/** A replica count: 0 (scaled to zero) or more. */
export function checkReplicas(source: string, field: string, value: number): number {
  return ensure(source, field, value, integerReason(value, 0));
}
