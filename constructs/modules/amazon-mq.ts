import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { isDns1123Subdomain } from '../../lib/k8s/index.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';

/** Props of {@link AmazonMq}. */
export interface AmazonMqProps {
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
    if (!/^[A-Za-z0-9.-]+$/.test(props.host)) throw new Error(`${where}: host: "${props.host}" is not a host name`);
    const port = props.port ?? 5671;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${where}: port: ${port} is not a TCP port`);
    if (!isDns1123Subdomain(props.credentialsSecret)) throw new Error(`${where}: credentialsSecret: "${props.credentialsSecret}" is not a valid Secret name`);
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__QueueStorage: props.queueStorageAdapter ?? ARMONIK_ADAPTERS.amqp.queueStorage,
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.amqp),
        Amqp__Host: props.host,
        Amqp__Port: port,
        Amqp__Scheme: 'AMQPS',
      },
      envSecret: [props.credentialsSecret],
    });
  }
}
