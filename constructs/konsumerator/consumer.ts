import { ApiObject, Chart, Yaml } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  Annotations,
  checkConsumerSpec,
  checkConsumerTemplate,
  ConsumerDeclaration,
  GUEST_SPEC_KEY,
  type ConsumerSpec,
  type ConsumerSpecInput,
} from '../../lib/api/konsumerator/index.js';
import { checkMetadataMap, checkPropsObject } from '../../lib/k8s/props.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, quote, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, dns1123SubdomainReason } from '../../lib/k8s/validators.js';
import { CustomResource, constructPath } from '../controller/index.js';
import { Konsumerator, KONSUMERATOR_DEFAULT_NAMESPACE } from './konsumerator.js';

export interface ConsumerProps {
  /**
   * The Consumer spec, Konsumerator's (`numPartitions`, `name`, `autoscaler`, `deploymentTemplate`,
   * `resourcePolicy`, ...); `spec.namespace`, where its Deployments go, defaults to the Consumer's
   * namespace. Checked at synth time against the CRD's schema and CEL rules, and for what only the
   * Deployments would show (the template's containers, the containers the spec names).
   */
  readonly spec: ConsumerSpecInput;
  /**
   * The Konsumerator that reconciles it. In cluster mode the Consumer is applied after its CRD; in
   * guest mode the Consumer is written as the ConfigMap that Konsumerator reads, in its namespace.
   * @default none (a Consumer object; its CRD must exist, e.g. from a Konsumerator elsewhere)
   */
  readonly konsumerator?: Konsumerator;
  /** `metadata.name` (of the Consumer, or of the ConfigMap in guest mode). @default the construct id (which must then be a DNS-1123 subdomain) */
  readonly name?: string;
  /**
   * `metadata.namespace`. In guest mode it must be the Konsumerator's namespace.
   * @default the Konsumerator's namespace in guest mode; else the chart's namespace, else the Konsumerator's, else 'konsumerator-system'
   */
  readonly namespace?: string;
  /** Labels. @default none */
  readonly labels?: Record<string, string>;
  /** Annotations, e.g. `konsumerator.lwolf.org/disable-autoscaler`. @default none */
  readonly annotations?: Record<string, string>;
}

/**
 * A Konsumerator `konsumerator.lwolf.org/v1` Consumer: a Kafka consumer run as
 * `ceil(numPartitions / numPartitionsPerInstance)` Deployments `<spec.name>-<instance>`, made from
 * `deploymentTemplate` and sized from the lag by {@link Konsumerator}.
 *
 * ```ts
 * new Consumer(chart, 'orders', {
 *   konsumerator,
 *   spec: {
 *     numPartitions: 6,
 *     numPartitionsPerInstance: 2,
 *     name: 'orders',
 *     autoscaler: { mode: 'prometheus', prometheus: { address: ['http://prometheus:9090'], ratePerCore: 20000, ramPerCore: '100M', offset: {...}, production: {...} } },
 *     deploymentTemplate: { template: { spec: { containers: [{ name: 'consumer', image: 'ghcr.io/acme/orders:1.0' }] } } },
 *     resourcePolicy: { containerPolicies: [{ containerName: 'consumer', minAllowed: { cpu: '100m', memory: '100M' }, maxAllowed: { cpu: '1', memory: '1G' } }] },
 *   },
 * });
 * ```
 *
 * The same construct serves both modes of its Konsumerator: a Consumer object in cluster mode
 * (applied after the CRD), the ConfigMap `<name>` annotated `konsumerator.lwolf.org/managed: "true"`
 * with the spec as YAML under `consumer.yaml` in guest mode.
 *
 * The spec is checked in the constructor as the API server would (schema, defaults, CEL rules),
 * then for what the API server cannot see in the unstructured template: errors name the
 * construct path and the field, e.g. `chart/orders: /spec/mainContainer: "main" is not a container of deploymentTemplate.template ("consumer")`.
 */
export class Consumer extends Construct {
  /** `metadata.name`. */
  readonly name: string;
  /** `metadata.namespace`. */
  readonly namespace: string;
  /** The spec as the API server stores it (defaults applied). */
  readonly storedSpec: ConsumerSpec;
  /** Namespace of its Deployments: `spec.namespace`, else its own. */
  readonly deploymentNamespace: string;
  /** The Konsumerator it was given, if any. */
  readonly konsumerator?: Konsumerator;
  /** True when written as a guest-mode ConfigMap (its Konsumerator is in guest mode). */
  readonly guestMode: boolean;
  /** The emitted object: the Consumer, or the ConfigMap in guest mode. */
  readonly apiObject: ApiObject;
  /** The Consumer custom resource; undefined in guest mode. */
  readonly customResource?: CustomResource<typeof ConsumerDeclaration>;

  constructor(scope: Construct, id: string, props: ConsumerProps) {
    const where = constructPath(scope, id);
    const p = checkPropsObject(where, props, ['spec']);
    if (p.spec === undefined) throw new ValidationError(where, 'spec', 'is required');
    if (p.konsumerator !== undefined && !(p.konsumerator instanceof Konsumerator)) {
      throw new ValidationError(where, 'konsumerator', `must be a Konsumerator construct, not ${describeValue(p.konsumerator)}`, p.konsumerator);
    }
    const owner = p.konsumerator;
    const guestMode = owner?.guestMode ?? false;
    if (p.name !== undefined && typeof p.name !== 'string') throw new ValidationError(where, 'name', `must be a string, not ${describeValue(p.name)}`, p.name);
    const name = p.name ?? id;
    const badName = dns1123SubdomainReason(name);
    if (badName) throw new ValidationError(where, 'name', p.name === undefined ? `not given, and the construct id ${quote(id)} is not a DNS-1123 subdomain: give a name` : badName, name);
    const namespace = checkDns1123Label(
      where,
      'namespace',
      p.namespace ?? (guestMode ? owner!.namespace : Chart.of(scope).namespace ?? owner?.namespace ?? KONSUMERATOR_DEFAULT_NAMESPACE),
    );
    if (guestMode && namespace !== owner!.namespace) {
      throw new ValidationError(
        where,
        'namespace',
        `${quote(namespace)} is not the namespace of ${owner!.node.path}, which is in guest mode and reads Consumer ConfigMaps in ${quote(owner!.namespace)} only: give that one, or leave it out`,
        namespace,
      );
    }
    checkMetadataMap(where, 'labels', p.labels, 'label');
    checkMetadataMap(where, 'annotations', p.annotations, 'annotation');
    if (guestMode && p.annotations && Annotations.managed in p.annotations) {
      throw new ValidationError(where, `annotations.${Annotations.managed}`, 'is set by Consumer in guest mode', p.annotations[Annotations.managed]);
    }
    // The schema and the CEL rules (in TypeScript), then what only the Deployments would show.
    const stored = checkConsumerTemplate(checkConsumerSpec(p.spec, { source: where }), { source: where });
    if (guestMode && stored.namespace !== undefined && stored.namespace !== namespace) {
      throw new ValidationError(
        where,
        '/spec/namespace',
        `${quote(stored.namespace)}: ${owner!.node.path} is in guest mode and manages Deployments in ${quote(namespace)} only: give that one, or leave it out`,
        stored.namespace,
      );
    }

    super(scope, id);
    this.name = name;
    this.namespace = namespace;
    this.storedSpec = stored;
    this.deploymentNamespace = stored.namespace ?? namespace;
    this.guestMode = guestMode;
    if (owner) this.konsumerator = owner;
    const labels = p.labels ? { ...p.labels } : undefined;
    const annotations = p.annotations ? { ...p.annotations } : undefined;
    // The spec as written, without the defaults, so that it reads as given.
    const spec = JSON.parse(JSON.stringify(p.spec)) as ConsumerSpecInput;

    if (guestMode) {
      this.apiObject = new k8s.KubeConfigMap(this, 'ConfigMap', {
        metadata: {
          name,
          namespace,
          ...(labels ? { labels } : {}),
          annotations: { ...annotations, [Annotations.managed]: 'true' },
        },
        data: { [GUEST_SPEC_KEY]: Yaml.stringify(spec) },
      });
    } else {
      this.customResource = new CustomResource(this, 'Resource', {
        definition: owner?.consumerDefinition ?? ConsumerDeclaration,
        metadata: { name, namespace, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
        spec,
      });
      this.apiObject = this.customResource.apiObject;
    }
    claimObjectNames(this, where);
  }
}
