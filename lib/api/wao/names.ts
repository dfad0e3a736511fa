/** Names and defaults WAO's construct and runtime share (the original's, where it has one). */
import { DNS1123_SUBDOMAIN_MAX, isDns1123Subdomain, shortHash } from '../../k8s/names.js';

/** The controller's name in the image (`platform-controllers wao`). */
export const WAO = 'wao';
/** API group of NodeConfig and NodeConfigTemplate (the original's, kept for its users). */
export const WAO_GROUP = 'wao.bitmedia.co.jp';
/** The one served and stored version. */
export const WAO_VERSION = 'v1beta1';
/** `<group>/<version>`. */
export const WAO_API_VERSION = `${WAO_GROUP}/${WAO_VERSION}`;
/** Where the original runs and looks for its objects; the default watched namespace. */
export const WAO_DEFAULT_NAMESPACE = 'wao-system';

/** The node label the templates' `.Hostname` reads. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** `.Hostname` of a node without the hostname label (the original's). */
export const UNDEFINED_HOSTNAME = 'undefined.example.com';
/** `.IPv4.Address` of a node without an InternalIP (the original's). */
export const UNDEFINED_IPV4 = 'x.x.x.x';
/** `.IPv4.Octet1`..`Octet4` of a node without an InternalIP (the original's). */
export const UNDEFINED_OCTET = 'x';

/** Keys of a basic-auth Secret (in the NodeConfig's namespace). */
export const BASIC_AUTH_USERNAME_KEY = 'username';
export const BASIC_AUTH_PASSWORD_KEY = 'password';
/** Key of a CA bundle reference when none is given (cert-manager's and trust-manager's). */
export const DEFAULT_CA_BUNDLE_KEY = 'ca.crt';

/** Condition types of a NodeConfig's status. */
export const NodeConfigConditions = {
  /** Every configured collector has a current reading. */
  Ready: 'Ready',
  /** The last inlet temperature fetch worked (False: the reason and message say why not). */
  InletTempAvailable: 'InletTempAvailable',
  /** The last differential pressure fetch worked. */
  DeltaPAvailable: 'DeltaPAvailable',
  /** The predictor (or its endpoint provider) answered. */
  PredictorAvailable: 'PredictorAvailable',
} as const;

/** Condition types of a NodeConfigTemplate's status. */
export const NodeConfigTemplateConditions = {
  /** Every selected node has its NodeConfig, rendered and applied. */
  Ready: 'Ready',
  /** Some fields did not render for some nodes (kept unrendered; an Event names them). */
  RenderFailed: 'RenderFailed',
  /** A selected node is also selected by another template of the namespace. */
  Conflict: 'Conflict',
} as const;

/**
 * The name of the NodeConfig a template makes for a node: `<template>-<node>`, the original's
 * (`redfish-enabled-nodes-worker-0`). Deterministic. Names that are not valid DNS-1123
 * subdomains are lower-cased and cleaned (invalid runs become '-'); a result longer than 253
 * characters (or one that had to be cleaned) is cut and ends with a hash of the template and
 * node names, so that distinct pairs keep distinct names.
 *
 * Note that `a-b` + `c` and `a` + `b-c` both give `a-b-c`, as in the original: the controller
 * owns its NodeConfigs by owner reference and must report one owned by another template.
 */
export function nodeConfigName(template: string, node: string): string {
  const plain = `${template}-${node}`;
  const cleaned = cleanSubdomain(plain);
  if (cleaned === plain && plain.length <= DNS1123_SUBDOMAIN_MAX) return plain;
  const hash = shortHash(`${template}\u0000${node}`, 10);
  const room = DNS1123_SUBDOMAIN_MAX - hash.length - 1;
  const head = cleaned.slice(0, room).replace(/[-.]+$/g, '');
  const name = head ? `${head}-${hash}` : `nodeconfig-${hash}`;
  return isDns1123Subdomain(name) ? name : `nodeconfig-${hash}`;
}

/** Lower-cases and replaces what a DNS-1123 subdomain cannot hold. */
function cleanSubdomain(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-*\.-*/g, '.')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '');
}
