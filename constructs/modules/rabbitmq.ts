import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { checkAbsolutePath, checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkOptionalBoolean } from '../../lib/k8s/props.js';
import { GeneratedSecret, SecretValue } from '../secret-generator/index.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';
import { moduleCa, serverCertificate, userCredentials } from './credentials.js';
import { deployStatefulService, statefulServiceEndpoint, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link RabbitMq}. */
export interface RabbitMqProps extends ServiceModuleProps {
  /** Secret with the consumers' `Amqp__User` and `Amqp__Password` keys, loaded whole (`env_secret`). @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Secret with the CA consumers trust (key `ca.pem`), mounted at `mountPath`. @default `<name>` */
  readonly caSecret?: string;
  /** Secret with the broker's `rabbitmq.conf`, TLS key and certificates, mounted at `/credentials` in the broker. @default `<name>-server-certificates` */
  readonly serverSecret?: string;
  /** Where consumers find the CA (`Amqp__CaPath` is `<mountPath>/ca.pem`). @default '/amqp' */
  readonly mountPath?: string;
  /** Declare the Secrets above as GeneratedSecrets filled in the cluster; off: you create them. @default true */
  readonly generateSecrets?: boolean;
}

/**
 * RabbitMQ 4 as ArmoniK's queue, as ArmoniK.Infra's `storage/onpremise/rabbitmq` publishes it:
 * through Core's AMQP 1.0 adaptor (Core removed its AMQP 0.9.1 RabbitMQ adaptor in 0.36.0; Infra
 * enables the `rabbitmq_amqp1_0` plugin), `Amqp__*` over TLS, the CA as `mount_secret`
 * `rabbitmq-secret1` at `/amqp` (`ca.pem`, mode 0644), the user credentials as `env_secret`.
 *
 * Self-contained: the broker's `rabbitmq.conf` (TLS listener on 5671 only, the consumers' user as
 * the default user), CA, certificate and credentials are GeneratedSecrets; the enabled plugins a
 * ConfigMap. One node (no clustering is configured); image `rabbitmq:4.1.3-management`, run as
 * uid 999 (`rabbitmq`) with a read-only root filesystem: `/var/lib/rabbitmq` is the data claim.
 */
export class RabbitMq extends Construct implements IModule {
  /** RabbitMQ 4.1.3, the release ArmoniK deploys (aneoconsulting/ArmoniK `versions.tfvars.json`). */
  public static readonly DEFAULT_IMAGE = 'rabbitmq:4.1.3-management';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  /** AMQPS. */
  public readonly port = 5671;
  public readonly workload: StatefulService;
  public readonly pluginsConfigMap: ApiObject;
  /** The Secrets this module declares for the generator (none with `generateSecrets: false`). */
  public readonly secrets: readonly GeneratedSecret[];

  constructor(scope: Construct, id: string, props: RabbitMqProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'RabbitMq', props, { defaultName: 'rabbitmq' });
    const { name, namespace, where } = ident;
    if (ident.replicas > 1) throw new ValidationError(where, 'replicas', `${ident.replicas}: this module runs one node (no RabbitMQ clustering is configured); give 0 or 1`, ident.replicas);
    const credentials = checkDns1123Subdomain(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`, 'Secret');
    const ca = checkDns1123Subdomain(where, 'caSecret', props.caSecret ?? name, 'Secret');
    const server = checkDns1123Subdomain(where, 'serverSecret', props.serverSecret ?? `${name}-server-certificates`, 'Secret');
    const mountPath = checkAbsolutePath(where, 'mountPath', props.mountPath ?? '/amqp');
    const generate = checkOptionalBoolean(where, 'generateSecrets', props.generateSecrets) ?? true;
    this.host = `${name}.${namespace}.svc.cluster.local`;

    if (generate) {
      const root = moduleCa(this, name, namespace);
      const users = userCredentials(this, 'credentials', credentials, namespace, { user: 'Amqp__User', password: 'Amqp__Password' });
      const broker = serverCertificate(this, server, { name, namespace, host: this.host }, root, {
        // https://www.rabbitmq.com/docs/ssl: a TLS listener only; clients are not asked for certificates.
        'rabbitmq.conf': SecretValue.template([
          'listeners.tcp = none',
          `listeners.ssl.default = ${this.port}`,
          'ssl_options.cacertfile = /credentials/ca.pem',
          'ssl_options.certfile = /credentials/cert.pem',
          'ssl_options.keyfile = /credentials/key.pem',
          'ssl_options.verify = verify_none',
          'ssl_options.fail_if_no_peer_cert = false',
          `default_user = {{secret:${users.name}/Amqp__User}}`,
          `default_pass = {{secret:${users.name}/Amqp__Password}}`,
          'loopback_users = none',
          'management.tcp.port = 15672',
          '',
        ].join('\n')),
      });
      const client = new GeneratedSecret(this, 'client', { name: ca, namespace, data: { 'ca.pem': SecretValue.fromSecret(root, 'tls.crt') } });
      this.secrets = [root, users, broker, client];
    } else {
      this.secrets = [];
    }

    const pluginsName = `${name}-plugins`;
    this.pluginsConfigMap = new ApiObject(this, 'plugins', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: pluginsName, namespace, labels: { 'app.kubernetes.io/part-of': 'armonik', 'app.kubernetes.io/managed-by': 'platform-constructs' } },
      // ArmoniK.Infra's `extraPlugins = "rabbitmq_amqp1_0"` (a no-op in RabbitMQ 4, where AMQP 1.0 is built in).
      data: { enabled_plugins: '[rabbitmq_management,rabbitmq_amqp1_0].\n' },
    });

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'rabbitmq',
      image: ident.image ?? RabbitMq.DEFAULT_IMAGE,
      ports: [
        { name: 'amqps', port: this.port },
        { name: 'management', port: 15672 },
      ],
      // The AMQP listener takes clients; the management plugin (same Erlang VM) answers while the node lives.
      probes: { readiness: { tcpPort: this.port }, liveness: { tcpPort: 15672 } },
      env: [
        { name: 'RABBITMQ_CONFIG_FILE', value: '/credentials/rabbitmq.conf' },
        { name: 'RABBITMQ_ENABLED_PLUGINS_FILE', value: '/etc/rabbitmq-plugins/enabled_plugins' },
      ],
      secretMounts: [{ name: 'server', secret: server, path: '/credentials', mode: 0o440 }],
      configMapMounts: [{ name: 'plugins', configMap: pluginsName, path: '/etc/rabbitmq-plugins' }],
      scratch: ['/tmp', '/var/log/rabbitmq'],
      dataPath: '/var/lib/rabbitmq',
      uid: 999,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__QueueStorage: ARMONIK_ADAPTERS.amqp.queueStorage,
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.amqp),
        Amqp__Host: this.host,
        Amqp__Port: String(this.port),
        Amqp__Scheme: 'AMQPS',
        Amqp__CaPath: `${mountPath.replace(/\/+$/, '')}/ca.pem`,
      },
      envSecret: [credentials],
      mountSecret: { 'rabbitmq-secret1': { secret: ca, path: mountPath, mode: '0644' } },
    }).withEndpoints([statefulServiceEndpoint(ident, this.workload, [this.port])]);
    claimObjectNames(this, where);
  }
}
