import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import type { CustomResourceDeclaration } from '../../lib/api/crd/definition.js';
import { isLabelValue, isQualifiedName } from '../../lib/k8s/labels.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkOptionalObject, checkPropsObject } from '../../lib/k8s/props.js';

export interface CustomResourceDefinitionProps<D extends CustomResourceDeclaration<any>> {
  /** The declaration (lib/api/<controller>) the CRD is generated from. */
  readonly definition: D;
  /** Labels of the CRD, besides the chart's. @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations of the CRD. @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * The `apiextensions.k8s.io/v1` CustomResourceDefinition of a declaration made with
 * `defineCustomResource`: names, versions, structural schemas with defaults and CEL rules,
 * subresources and printer columns all come from it. Cluster-scoped: the chart's namespace is not
 * written on it.
 *
 *   const crd = new CustomResourceDefinition(chart, 'widgets', { definition: Widget });
 *   new CustomResource(chart, 'w', { definition: crd, spec: { minReplicas: 1, maxReplicas: 3 } }); // applied after the CRD
 */
export class CustomResourceDefinition<D extends CustomResourceDeclaration<any> = CustomResourceDeclaration<any>> extends Construct {
  /** The declaration. */
  readonly definition: D;
  /** `<plural>.<group>`. */
  readonly name: string;
  /** The emitted object. */
  readonly apiObject: ApiObject;

  constructor(scope: Construct, id: string, props: CustomResourceDefinitionProps<D>) {
    super(scope, id);
    checkPropsObject(this.node.path, props, ['definition']);
    checkOptionalObject(this.node.path, 'labels', props.labels);
    checkOptionalObject(this.node.path, 'annotations', props.annotations);
    if (typeof props.definition?.manifest !== 'function') {
      throw new ValidationError(this.node.path, 'definition', `must be a declaration made with defineCustomResource, not ${describeValue(props.definition)}`);
    }
    this.definition = props.definition;
    this.name = props.definition.name;
    for (const [k, v] of Object.entries(props.labels ?? {})) {
      if (!isQualifiedName(k)) throw new ValidationError(this.node.path, 'labels', `"${k}" is not a valid label key`, k);
      if (!isLabelValue(v)) throw new ValidationError(this.node.path, 'labels', `"${v}" (of "${k}") is not a valid label value`, v);
    }
    for (const k of Object.keys(props.annotations ?? {})) {
      if (!isQualifiedName(k)) throw new ValidationError(this.node.path, 'annotations', `"${k}" is not a valid annotation key`, k);
      const v = props.annotations![k];
      if (typeof v !== 'string') throw new ValidationError(this.node.path, `annotations.${k}`, `must be a string, not ${describeValue(v)}`, v);
    }
    const manifest = props.definition.manifest();
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: manifest.apiVersion,
      kind: manifest.kind,
      metadata: {
        name: this.name,
        ...(props.labels ? { labels: { ...props.labels } } : {}),
        ...(props.annotations ? { annotations: { ...props.annotations } } : {}),
      },
      spec: manifest.spec,
    });
    if (Chart.of(this).namespace) this.apiObject.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    claimObjectNames(this, this.node.path);
  }
}
