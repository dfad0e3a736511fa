import { ApiObject, Chart, JsonPatch, type ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import type { CustomResourceDeclaration, SpecInputOf, StorageVersionOf, VersionNameOf } from '../../lib/api/crd/definition.js';
import { isDns1123Label, isDns1123Subdomain } from '../../lib/k8s/names.js';
import { claimObjectNames, markClusterScoped } from '../../lib/k8s/unique-objects.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { CustomResourceDefinition } from './custom-resource-definition.js';
import { checkOptionalObject, checkPropsObject } from '../../lib/k8s/props.js';

export interface CustomResourceProps<D extends CustomResourceDeclaration<any>, N extends VersionNameOf<D>> {
  /** The declaration, or the CRD construct made from it (the instance is then applied after it). */
  readonly definition: D | CustomResourceDefinition<D>;
  /** The version to write. @default the storage version */
  readonly version?: N;
  /** Metadata; `name` defaults to the construct id, `namespace` to the chart's (namespaced kinds only). @default {} */
  readonly metadata?: ApiObjectMetadata;
  /** The spec, typed from the declaration's version and checked against its schema at synth time. */
  readonly spec: SpecInputOf<D, N>;
}

/**
 * One typed instance of a custom resource. Its spec is checked against the declared schema in
 * the constructor (types, required and unknown fields, enums, patterns, formats, bounds; CEL
 * rules are the API server's): errors are ValidationErrors naming the construct path and the
 * JSON pointer of the field, e.g. `Chart/w: /spec/minReplicas: must be >= 0, got -1`.
 *
 *   new CustomResource(chart, 'w', { definition: Widget, spec: { minReplicas: 1, maxReplicas: 3 } });
 */
export class CustomResource<
  D extends CustomResourceDeclaration<any> = CustomResourceDeclaration<any>,
  N extends VersionNameOf<D> = StorageVersionOf<D>,
> extends Construct {
  /** The declaration. */
  readonly definition: D;
  /** `metadata.name`. */
  readonly name: string;
  /** `metadata.namespace`; undefined for cluster-scoped kinds. */
  readonly namespace?: string;
  /** `<group>/<version>` written. */
  readonly apiVersion: string;
  /** The emitted object. */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: CustomResourceProps<D, N>) {
    super(scope, id);
    checkPropsObject(this.node.path, props, ['definition', 'spec']);
    checkOptionalObject(this.node.path, 'metadata', props.metadata);
    const crd = props.definition instanceof CustomResourceDefinition ? props.definition : undefined;
    if (!crd && typeof (props.definition as CustomResourceDeclaration | undefined)?.validate !== 'function') {
      throw new ValidationError(this.node.path, 'definition', `must be a declaration made with defineCustomResource or its CustomResourceDefinition, not ${describeValue(props.definition)}`);
    }
    this.definition = (crd ? crd.definition : props.definition) as D;
    const definition: CustomResourceDeclaration = this.definition;
    const where = this.node.path;
    const fail = (field: string, reason: string, value?: unknown): never => {
      throw new ValidationError(where, field, reason, value);
    };
    const version: string = props.version ?? definition.storageVersion;
    const declared = definition.versions.find((v) => v.name === version);
    if (!declared) fail('version', `${definition.kind} has no version "${version}" (has ${definition.versions.map((v) => v.name).join(', ')})`, version);
    if (declared!.served === false) fail('version', `version "${version}" of ${definition.kind} is not served`, version);
    this.apiVersion = `${definition.group}/${version}`;

    const name = props.metadata?.name ?? id;
    if (!isDns1123Subdomain(name)) {
      fail('metadata.name', props.metadata?.name === undefined ? `not given, and the construct id "${id}" is not a DNS-1123 subdomain: give a name` : `"${name}" is not a DNS-1123 subdomain`, name);
    }
    this.name = name;
    const chartNamespace = Chart.of(this).namespace;
    if (definition.scope === 'Cluster') {
      if (props.metadata?.namespace !== undefined) fail('metadata.namespace', `${definition.kind} is cluster-scoped and takes no namespace`, props.metadata.namespace);
    } else {
      this.namespace = props.metadata?.namespace ?? chartNamespace;
      if (this.namespace !== undefined && !isDns1123Label(this.namespace)) fail('metadata.namespace', `"${this.namespace}" is not a DNS-1123 label`, this.namespace);
    }
    definition.validate(props.spec, { source: where, version: version as never });

    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: this.apiVersion,
      kind: definition.kind,
      metadata: { ...props.metadata, name, ...(this.namespace !== undefined ? { namespace: this.namespace } : {}) },
      spec: JSON.parse(JSON.stringify(props.spec)) as unknown,
    });
    if (definition.scope === 'Cluster') {
      markClusterScoped(this.apiObject);
      if (chartNamespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }
    if (crd) this.apiObject.addDependency(crd);
    claimObjectNames(this, where);
  }
}
