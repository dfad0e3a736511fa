import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { isHttpUrl } from '../../lib/k8s/validators.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';

/** Props of {@link ExternalSqs}. */
export interface ExternalSqsProps {
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
    if (!isHttpUrl(props.serviceUrl)) throw new ValidationError(where, 'serviceUrl', `"${props.serviceUrl}" is not an http(s) URL`, props.serviceUrl);
    const prefix = props.prefix ?? 'armonik';
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new ValidationError(where, 'prefix', `"${prefix}" is not a valid SQS queue name prefix`, prefix);
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.sqs),
        SQS__ServiceURL: props.serviceUrl,
        SQS__Prefix: prefix,
      },
    });
  }
}
