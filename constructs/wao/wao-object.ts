/** What NodeConfig and NodeConfigTemplate share: their metadata props and their checks. */
import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { WAO_DEFAULT_NAMESPACE } from '../../lib/api/wao/index.js';
import { checkMetadataMap, checkPropsObject } from '../../lib/k8s/props.js';
import { describeValue, quote, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, dns1123SubdomainReason } from '../../lib/k8s/validators.js';
import { Wao } from './wao.js';

/** The props of a WAO custom resource besides its spec. */
export interface WaoObjectProps {
  /**
   * The WAO controller that reconciles it: the object is applied after its CRD, and must be in a
   * namespace it watches. @default none (the CRD must exist, e.g. from a Wao elsewhere)
   */
  readonly wao?: Wao;
  /** `metadata.name`. @default the construct id (which must then be a DNS-1123 subdomain) */
  readonly name?: string;
  /** `metadata.namespace`. @default the chart's namespace, else 'wao-system' */
  readonly namespace?: string;
  /** Labels. @default none */
  readonly labels?: Record<string, string>;
  /** Annotations. @default none */
  readonly annotations?: Record<string, string>;
}

/** The checked metadata of a WAO custom resource, and its Wao. */
export interface WaoObjectMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly wao?: Wao;
  /** The object's `metadata`: name, namespace, labels and annotations when given. */
  readonly metadata: { readonly name: string; readonly namespace: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
}

/**
 * Checks the props object (with `spec`) and the metadata props of a NodeConfig or
 * NodeConfigTemplate before it is made, naming each prop.
 */
export function checkWaoObjectProps<P extends WaoObjectProps & { readonly spec: unknown }>(scope: Construct, id: string, where: string, props: P): WaoObjectMetadata {
  const p = checkPropsObject(where, props, ['spec']);
  if (p.spec === undefined) throw new ValidationError(where, 'spec', 'is required');
  if (p.wao !== undefined && !(p.wao instanceof Wao)) throw new ValidationError(where, 'wao', `must be a Wao construct, not ${describeValue(p.wao)}`, p.wao);
  if (p.name !== undefined && typeof p.name !== 'string') throw new ValidationError(where, 'name', `must be a string, not ${describeValue(p.name)}`, p.name);
  const name = p.name ?? id;
  const badName = dns1123SubdomainReason(name);
  if (badName) throw new ValidationError(where, 'name', p.name === undefined ? `not given, and the construct id ${quote(id)} is not a DNS-1123 subdomain: give a name` : badName, name);
  const namespace = checkDns1123Label(where, 'namespace', p.namespace ?? Chart.of(scope).namespace ?? WAO_DEFAULT_NAMESPACE);
  if (p.wao && !p.wao.watches(namespace)) {
    throw new ValidationError(
      where,
      'namespace',
      `${quote(namespace)} is not watched by ${p.wao.node.path} (it watches ${p.wao.watchNamespaces.map((n) => quote(n)).join(', ')}): give one of those, or add it to its watchNamespaces`,
      namespace,
    );
  }
  checkMetadataMap(where, 'labels', p.labels, 'label');
  checkMetadataMap(where, 'annotations', p.annotations, 'annotation');
  const labels = p.labels ? { ...p.labels } : undefined;
  const annotations = p.annotations ? { ...p.annotations } : undefined;
  return {
    name,
    namespace,
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(p.wao ? { wao: p.wao } : {}),
    metadata: { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
  };
}
