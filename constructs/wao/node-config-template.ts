import type { Construct } from 'constructs';
import {
  checkNodeConfigTemplateSpec,
  labelSelectorString,
  nodeConfigName,
  NodeConfigTemplateDeclaration,
  templateOf,
  type NodeConfigTemplateBody,
  type NodeConfigTemplateSpec,
  type NodeConfigTemplateSpecInput,
} from '../../lib/api/wao/index.js';
import { CustomResource, constructPath } from '../controller/index.js';
import type { Wao } from './wao.js';
import { checkWaoObjectProps, type WaoObjectProps } from './wao-object.js';

export interface NodeConfigTemplateProps extends WaoObjectProps {
  /**
   * The nodes (`nodeSelector`) and the NodeConfig spec made for each, either under `template`
   * (wao-core's CRD) or with `metricsCollector` and `predictor` directly in the spec (wao-core's
   * README); `type`, `endpoint` and `basicAuthSecret.name` may be Go templates (`{{.Hostname}}`,
   * `{{.IPv4.Octet4}}`, ...). Checked at synth time against the CRD's schema, its CEL rules and
   * the label selector's rules.
   */
  readonly spec: NodeConfigTemplateSpecInput;
}

/**
 * A `wao.bitmedia.co.jp/v1beta1` NodeConfigTemplate: {@link Wao} makes a NodeConfig
 * `<template>-<node>` for each node its `nodeSelector` matches, rendering the template's Go
 * templates with the node's data, and keeps them in step as nodes come and go.
 *
 * ```ts
 * new NodeConfigTemplate(chart, 'redfish-enabled-nodes', {
 *   wao,
 *   spec: {
 *     nodeSelector: { matchLabels: { 'node.kubernetes.io/instance-type': 'redfish-enabled' } },
 *     metricsCollector: {
 *       inletTemp: { type: 'Redfish', endpoint: 'https://{{.IPv4.Address}}', basicAuthSecret: { name: '{{.Hostname}}-redfish-basicauth' } },
 *       deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000' },
 *     },
 *   },
 * });
 * ```
 *
 * The spec is checked in the constructor (schema, CEL rules, the label selector), errors naming
 * the construct path and the field. Fields with Go templates are checked per node by the
 * controller, after rendering.
 */
export class NodeConfigTemplate extends CustomResource<typeof NodeConfigTemplateDeclaration> {
  /** The spec as the API server stores it (defaults applied). */
  readonly storedSpec: NodeConfigTemplateSpec;
  /** The template made for each node, whichever form the spec was written in (defaults applied). */
  readonly template: NodeConfigTemplateBody;
  /** The node selector as `kubectl get nodes -l` takes it. */
  readonly selector: string;
  /** The WAO controller it was given, if any. */
  readonly wao?: Wao;

  constructor(scope: Construct, id: string, props: NodeConfigTemplateProps) {
    const where = constructPath(scope, id);
    const m = checkWaoObjectProps(scope, id, where, props);
    // The schema and the CEL rules (in TypeScript), before anything is added to the tree.
    const stored = checkNodeConfigTemplateSpec(props.spec, { source: where });
    super(scope, id, {
      definition: m.wao ? m.wao.nodeConfigTemplateDefinition : NodeConfigTemplateDeclaration,
      metadata: m.metadata,
      spec: props.spec,
    });
    this.storedSpec = stored;
    this.template = templateOf(this.storedSpec);
    this.selector = labelSelectorString(this.storedSpec.nodeSelector);
    this.wao = m.wao;
  }

  /** The name of the NodeConfig it makes for `node` (`<template>-<node>`, cleaned and cut as the controller does). */
  nodeConfigName(node: string): string {
    return nodeConfigName(this.name, node);
  }
}
