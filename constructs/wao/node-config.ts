import type { Construct } from 'constructs';
import { checkNodeConfigSpec, NodeConfigDeclaration, type NodeConfigSpec, type NodeConfigSpecInput } from '../../lib/api/wao/index.js';
import { CustomResource, constructPath } from '../controller/index.js';
import type { Wao } from './wao.js';
import { checkWaoObjectProps, type WaoObjectProps } from './wao-object.js';

export interface NodeConfigProps extends WaoObjectProps {
  /**
   * How one node's inlet temperature and differential pressure are collected and its power
   * consumption predicted (`nodeName`, `metricsCollector`, `predictor`), as wao-core's NodeConfig.
   * Checked at synth time against the CRD's schema and its CEL rules.
   */
  readonly spec: NodeConfigSpecInput;
}

/**
 * A `wao.bitmedia.co.jp/v1beta1` NodeConfig: how {@link Wao} collects one node's metrics and
 * predicts its power consumption. For a group of nodes, a {@link NodeConfigTemplate} makes them.
 *
 * ```ts
 * new NodeConfig(chart, 'worker-0', {
 *   wao,
 *   spec: {
 *     nodeName: 'worker-0',
 *     metricsCollector: {
 *       inletTemp: { type: 'Redfish', endpoint: 'https://10.0.0.100', basicAuthSecret: { name: 'worker-0-redfish-basicauth' }, fetchInterval: '10s' },
 *       deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.0.1:5000', fetchInterval: '10s' },
 *     },
 *     predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: 'http://10.0.0.1:8080/v2/models/myModel/versions/v0.1.0/infer' } },
 *   },
 * });
 * ```
 *
 * The spec is checked in the constructor as the API server would check it (schema, then the CEL
 * rules: an endpoint unless the type is Fake, `fetchInterval` at least 1s, ...): errors name the
 * construct path and the field, e.g. `chart/worker-0: /spec/metricsCollector/inletTemp/endpoint: is required unless type is Fake`.
 */
export class NodeConfig extends CustomResource<typeof NodeConfigDeclaration> {
  /** The spec as the API server stores it (defaults applied). */
  readonly storedSpec: NodeConfigSpec;
  /** The node it configures. */
  readonly nodeName: string;
  /** The WAO controller it was given, if any. */
  readonly wao?: Wao;

  constructor(scope: Construct, id: string, props: NodeConfigProps) {
    const where = constructPath(scope, id);
    const m = checkWaoObjectProps(scope, id, where, props);
    // The schema and the CEL rules (in TypeScript), before anything is added to the tree.
    const stored = checkNodeConfigSpec(props.spec, { source: where });
    super(scope, id, {
      definition: m.wao ? m.wao.nodeConfigDefinition : NodeConfigDeclaration,
      metadata: m.metadata,
      spec: props.spec,
    });
    this.storedSpec = stored;
    this.nodeName = this.storedSpec.nodeName;
    this.wao = m.wao;
  }
}
