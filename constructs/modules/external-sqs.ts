import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { urlPort } from '../../lib/network/index.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkPropsObject } from '../../lib/k8s/props.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';
import { checkUrl, externalEndpoint, type ExternalEndpointProps } from './service-module.js';

/** Props of {@link ExternalSqs}. */
export interface ExternalSqsProps extends ExternalEndpointProps {
  /** `SQS__ServiceURL`, e.g. `https://sqs.eu-west-3.amazonaws.com`. */
  readonly serviceUrl: string;
  /** `SQS__Prefix`: prefix of the queues ArmoniK creates (one per partition). @default 'armonik' */
  readonly prefix?: string;
}

/**
 * Amazon SQS as ArmoniK's queue: the SQS queue adaptor env; credentials come from the pod's
 * cloud identity (IRSA / Pod Identity on the consumers' ServiceAccount), so no Secret is
 * referenced; nothing deployed.
 */
export class ExternalSqs extends Construct implements IModule {
  public readonly outputs: ModuleOutputs;

  constructor(scope: Construct, id: string, props: ExternalSqsProps) {
    super(scope, id);
    const where = `ExternalSqs ${this.node.path}`;
    const p = checkPropsObject(where, props, ['serviceUrl']);
    const serviceUrl = checkUrl(where, 'serviceUrl', p.serviceUrl, "the pods' cloud identity (IRSA or Pod Identity on the consumers' ServiceAccount)");
    const prefix = p.prefix ?? 'armonik';
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) {
      const shown = showValue(prefix);
      throw new ValidationError(where, 'prefix', `${shown} is not a valid SQS queue name prefix (1 to 40 letters, digits, '-' and '_')`, prefix);
    }
    const endpoint = externalEndpoint(where, p, urlPort(p.serviceUrl));
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.sqs),
        SQS__ServiceURL: serviceUrl,
        SQS__Prefix: prefix,
      },
    }).withEndpoints([endpoint]);
    claimObjectNames(this, where);
  }
}
