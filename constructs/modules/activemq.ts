import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';
import { checkObjectName, checkPath, deployStatefulService, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link ActiveMq}. */
export interface ActiveMqProps extends ServiceModuleProps {
  /** `Amqp__Scheme`: `AMQPS` (TLS) or `AMQP`. @default 'AMQPS' */
  readonly scheme?: 'AMQP' | 'AMQPS';
  /** Secret with the consumers' `Amqp__User` and `Amqp__Password` keys, loaded whole (`env_secret`). @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Secret with the CA consumers trust (key `ca.pem`), mounted at `mountPath`. @default `<name>` */
  readonly caSecret?: string;
  /** Secret with the broker's own TLS material (keystore, truststore), mounted at `/credentials` in the broker. @default `<name>-server-certificates` */
  readonly serverSecret?: string;
  /** ConfigMap with the broker's configuration (`activemq.xml` with an `amqp+ssl` transport reading `/credentials`, `jetty.xml`, ...), mounted at `/opt/activemq/conf`. @default `<name>-configs` */
  readonly configMap?: string;
  /** Where consumers find the CA (`Amqp__CaPath` is `<mountPath>/ca.pem`). @default '/amqp' */
  readonly mountPath?: string;
  /** `Components__QueueStorage`. @default 'ArmoniK.Adapters.Amqp.ObjectStorage' (ArmoniK.Infra's default) */
  readonly queueStorageAdapter?: string;
}

/**
 * ActiveMQ (classic) on Kubernetes, publishing the outputs of ArmoniK.Infra's
 * `storage/onpremise/activemq` module: `Amqp__*` and the AMQP queue adaptor env, the user
 * credentials as `env_secret`, the CA as `mount_secret` `certificate` at `/amqp` (mode 0644).
 *
 * As in ArmoniK.Infra, the broker's TLS material comes from `serverSecret` (at `/credentials`)
 * and its configuration from `configMap` (at `/opt/activemq/conf`), both referenced, never inlined. The image runs as uid 1000 with a read-only root filesystem: `/opt/activemq/data`
 * is the data claim, `/tmp` and `/opt/activemq/tmp` are scratch.
 */
export class ActiveMq extends Construct implements IModule {
  /** The default image (the one ArmoniK.Infra deploys). */
  public static readonly DEFAULT_IMAGE = 'symptoma/activemq:5.18.4';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  public readonly port = 5672;
  public readonly workload: StatefulService;

  constructor(scope: Construct, id: string, props: ActiveMqProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'ActiveMq', props, 'activemq');
    const { name, namespace, where } = ident;
    const credentials = checkObjectName(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`);
    const ca = checkObjectName(where, 'caSecret', props.caSecret ?? name);
    const server = checkObjectName(where, 'serverSecret', props.serverSecret ?? `${name}-server-certificates`);
    const configMap = checkObjectName(where, 'configMap', props.configMap ?? `${name}-configs`);
    const mountPath = checkPath(where, 'mountPath', props.mountPath ?? '/amqp');
    this.host = `${name}.${namespace}.svc.cluster.local`;

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'activemq',
      image: props.image ?? ActiveMq.DEFAULT_IMAGE,
      ports: [
        { name: 'amqp', port: this.port },
        { name: 'web', port: 8161 },
      ],
      probePort: this.port,
      secretMounts: [{ name: 'server', secret: server, path: '/credentials', mode: 0o400 }],
      configMapMounts: [{ name: 'configuration', configMap, path: '/opt/activemq/conf' }],
      scratch: ['/tmp', '/opt/activemq/tmp'],
      dataPath: '/opt/activemq/data',
      uid: 1000,
      props,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__QueueStorage: props.queueStorageAdapter ?? ARMONIK_ADAPTERS.amqp.queueStorage,
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.amqp),
        Amqp__Host: this.host,
        Amqp__Port: String(this.port),
        Amqp__Scheme: props.scheme ?? 'AMQPS',
        Amqp__CaPath: `${mountPath.replace(/\/+$/, '')}/ca.pem`,
      },
      envSecret: [credentials],
      mountSecret: { certificate: { secret: ca, path: mountPath, mode: '0644' } },
    });
  }
}
