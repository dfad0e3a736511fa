import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';
import { checkObjectName, checkPath, deployStatefulService, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link RabbitMq}. */
export interface RabbitMqProps extends ServiceModuleProps {
  /** `Amqp__Scheme`: `AMQPS` (TLS) or `AMQP`. @default 'AMQPS' */
  readonly scheme?: 'AMQP' | 'AMQPS';
  /** Secret with the consumers' `Amqp__User` and `Amqp__Password` keys, loaded whole (`env_secret`). @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Secret with the chain consumers trust (key `chain.pem`), mounted at `mountPath`. @default `<name>` */
  readonly caSecret?: string;
  /** Secret with the broker's `rabbitmq.conf`, TLS key and certificates, mounted at `/credentials` in the broker. @default `<name>-server-certificates` */
  readonly serverSecret?: string;
  /** Secret with the Erlang cookie (key `cookie`) the broker nodes share. @default `<name>-erlang-cookie` */
  readonly erlangCookieSecret?: string;
  /** Where consumers find the chain (`Amqp__CaPath` is `<mountPath>/chain.pem`). @default '/amqp' */
  readonly mountPath?: string;
}

/**
 * RabbitMQ on Kubernetes, publishing the outputs of ArmoniK.Infra's `storage/onpremise/rabbitmq`
 * module: the RabbitMQ queue adaptor and `Amqp__*` env, the CA chain as `mount_secret`
 * `certificate` at `/amqp` (mode 0600).
 *
 * Differences from ArmoniK.Infra, where its outputs do not fit the contract: its
 * `env_from_secret` is a map of two Secret names rather than `{ VAR = { secret, field } }`, and
 * it mounts the user Secret at `/cred`; here the credentials arrive as `env_secret` (keys
 * `Amqp__User`, `Amqp__Password`), as ActiveMQ's do, so the two brokers swap cleanly.
 *
 * The image runs as uid 999 (`rabbitmq`) with a read-only root filesystem: `/var/lib/rabbitmq`
 * is the data claim, `/tmp` and `/var/log/rabbitmq` are scratch.
 */
export class RabbitMq extends Construct implements IModule {
  public static readonly DEFAULT_IMAGE = 'rabbitmq:3.13.7-management';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  public readonly port = 5672;
  public readonly workload: StatefulService;

  constructor(scope: Construct, id: string, props: RabbitMqProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'RabbitMq', props, 'rabbitmq');
    const { name, namespace, where } = ident;
    const credentials = checkObjectName(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`);
    const ca = checkObjectName(where, 'caSecret', props.caSecret ?? name);
    const server = checkObjectName(where, 'serverSecret', props.serverSecret ?? `${name}-server-certificates`);
    const cookie = checkObjectName(where, 'erlangCookieSecret', props.erlangCookieSecret ?? `${name}-erlang-cookie`);
    const mountPath = checkPath(where, 'mountPath', props.mountPath ?? '/amqp');
    this.host = `${name}.${namespace}.svc.cluster.local`;

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'rabbitmq',
      image: props.image ?? RabbitMq.DEFAULT_IMAGE,
      ports: [
        { name: 'amqp', port: this.port },
        { name: 'management', port: 15672 },
      ],
      probePort: this.port,
      env: [
        { name: 'RABBITMQ_CONFIG_FILE', value: '/credentials/rabbitmq.conf' },
        { name: 'RABBITMQ_ERLANG_COOKIE', valueFrom: { secretKeyRef: { name: cookie, key: 'cookie' } } },
      ],
      secretMounts: [{ name: 'server', secret: server, path: '/credentials', mode: 0o400 }],
      scratch: ['/tmp', '/var/log/rabbitmq'],
      dataPath: '/var/lib/rabbitmq',
      uid: 999,
      props,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__QueueStorage: ARMONIK_ADAPTERS.amqp.queueStorage,
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.amqp),
        Amqp__Host: this.host,
        Amqp__Port: String(this.port),
        Amqp__Scheme: props.scheme ?? 'AMQPS',
        Amqp__CaPath: `${mountPath.replace(/\/+$/, '')}/ca.pem`,
      },
      envSecret: [credentials],
      mountSecret: { 'rabbitmq-secret1': { secret: ca, path: mountPath, mode: '0644' } },
    });
  }
}
