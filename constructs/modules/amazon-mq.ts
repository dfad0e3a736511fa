import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { externalEndpoint, type ExternalEndpointProps } from './service-module.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkDns1123Subdomain, checkPort, ensure, hostNameReason } from '../../lib/k8s/validators.js';
import { checkOptionalString, checkPropsObject } from '../../lib/k8s/props.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';

/** Props of {@link AmazonMq}. */
export interface AmazonMqProps extends ExternalEndpointProps {
  /** The broker's AMQP endpoint host, e.g. `b-1234.mq.eu-west-3.amazonaws.com`. */
  readonly host: string;
  /** AMQP+TLS port. @default 5671 */
  readonly port?: number;
  /** Secret with `Amqp__User` and `Amqp__Password` keys, loaded whole; referenced, never read. */
  readonly credentialsSecret: string;
  /** `Components__QueueStorage`. @default 'ArmoniK.Adapters.Amqp.ObjectStorage' */
  readonly queueStorageAdapter?: string;
}

/**
 * An Amazon MQ (ActiveMQ engine) broker: the AMQP queue contract of the ActiveMQ module
 * (`Amqp__*`, `Components__Queue*`, credentials as `env_secret`), over AMQPS with the public
 * CA, so nothing is mounted; nothing deployed.
 */
export class AmazonMq extends Construct implements IModule {
  public readonly outputs: ModuleOutputs;

  constructor(scope: Construct, id: string, props: AmazonMqProps) {
    super(scope, id);
    const where = `AmazonMq ${this.node.path}`;
    const p = checkPropsObject(where, props, ['host', 'credentialsSecret']);
    const host = ensure(where, 'host', p.host, hostNameReason(p.host));
    const port = checkPort(where, 'port', p.port ?? 5671);
    const credentialsSecret = checkDns1123Subdomain(where, 'credentialsSecret', p.credentialsSecret, 'Secret');
    const queueStorage = checkOptionalString(where, 'queueStorageAdapter', p.queueStorageAdapter) ?? ARMONIK_ADAPTERS.amqp.queueStorage;
    const endpoint = externalEndpoint(where, p, port);
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__QueueStorage: queueStorage,
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.amqp),
        Amqp__Host: host,
        Amqp__Port: port,
        Amqp__Scheme: 'AMQPS',
      },
      envSecret: [credentialsSecret],
    }).withEndpoints([endpoint]);
    claimObjectNames(this, where);
  }
}
