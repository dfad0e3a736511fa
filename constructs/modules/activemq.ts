import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { checkAbsolutePath, checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { UNPRIVILEGED_ID } from '../../lib/k8s/security.js';
import { checkOptionalBoolean, checkOptionalString } from '../../lib/k8s/props.js';
import { GeneratedSecret, SecretValue } from '../secret-generator/index.js';
import { activemqXml, jettyXml, log4j2Properties } from './activemq-config.js';
import { ARMONIK_ADAPTERS, queueAdaptorEnv } from './adapters.js';
import { moduleCa, serverCertificate, userCredentials } from './credentials.js';
import { deployStatefulService, statefulServiceEndpoint, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link ActiveMq}. */
export interface ActiveMqProps extends ServiceModuleProps {
  /** Secret with the consumers' `Amqp__User` and `Amqp__Password` keys, loaded whole (`env_secret`). @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Secret with the CA consumers trust (key `ca.pem`), mounted at `mountPath`. @default `<name>` */
  readonly caSecret?: string;
  /** Secret with the broker's keystore (`certificate.pfx`), its password and users (`credentials.properties`, `jetty-realm.properties`), mounted at `/credentials` in the broker. @default `<name>-server-certificates` */
  readonly serverSecret?: string;
  /** ConfigMap with the broker's configuration (`activemq.xml`, `jetty.xml`, `log4j2.properties`), mounted as its `conf` directory. @default `<name>-configs` */
  readonly configMap?: string;
  /** Where consumers find the CA (`Amqp__CaPath` is `<mountPath>/ca.pem`). @default '/amqp' */
  readonly mountPath?: string;
  /** `Components__QueueStorage` (no longer read by Core, published as ArmoniK.Infra does). @default 'ArmoniK.Adapters.Amqp.ObjectStorage' */
  readonly queueStorageAdapter?: string;
  /**
   * Declare the Secrets above as GeneratedSecrets, filled in the cluster by the secret generator
   * (credentials, a CA, the broker's certificate and keystore). Off: they are prerequisites you
   * create (e.g. with External Secrets), with the keys above. @default true
   */
  readonly generateSecrets?: boolean;
}

/**
 * ActiveMQ (classic) as ArmoniK.Infra's `storage/onpremise/activemq` deploys it and publishes its
 * outputs: `Amqp__*` and the AMQP 1.0 queue adaptor env, the user credentials as `env_secret`, the
 * CA as `mount_secret` `certificate` at `/amqp` (mode 0644); AMQP over TLS only, on 5672.
 *
 * Self-contained: the broker's configuration is a ConfigMap of this construct, and its
 * credentials, CA, certificate (for `<name>.<namespace>.svc.cluster.local` and the shorter Service
 * names) and PKCS#12 keystore are GeneratedSecrets; nothing secret is in the manifests. Image
 * `apache/activemq-classic:6.2.0` (ArmoniK's; apache/activemq `assembly/src/docker/Dockerfile`:
 * root-owned files, no user of its own), run as uid 10001 with a read-only root filesystem:
 * the data claim at `/opt/apache-activemq/data`, scratch at `/tmp` and `/opt/apache-activemq/tmp`.
 */
export class ActiveMq extends Construct implements IModule {
  /** The image ArmoniK deploys (aneoconsulting/ArmoniK `versions.tfvars.json`). */
  public static readonly DEFAULT_IMAGE = 'apache/activemq-classic:6.2.0';
  /** The image's home (its Dockerfile's `ACTIVEMQ_HOME`). */
  public static readonly HOME = '/opt/apache-activemq';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  public readonly port = 5672;
  public readonly workload: StatefulService;
  public readonly configMap: ApiObject;
  /** The Secrets this module declares for the generator (none with `generateSecrets: false`). */
  public readonly secrets: readonly GeneratedSecret[];

  constructor(scope: Construct, id: string, props: ActiveMqProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'ActiveMq', props, { defaultName: 'activemq' });
    const { name, namespace, where } = ident;
    const credentials = checkDns1123Subdomain(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`, 'Secret');
    const ca = checkDns1123Subdomain(where, 'caSecret', props.caSecret ?? name, 'Secret');
    const server = checkDns1123Subdomain(where, 'serverSecret', props.serverSecret ?? `${name}-server-certificates`, 'Secret');
    const configMapName = checkDns1123Subdomain(where, 'configMap', props.configMap ?? `${name}-configs`, 'ConfigMap');
    const mountPath = checkAbsolutePath(where, 'mountPath', props.mountPath ?? '/amqp');
    const queueStorage = checkOptionalString(where, 'queueStorageAdapter', props.queueStorageAdapter) ?? ARMONIK_ADAPTERS.amqp.queueStorage;
    const generate = checkOptionalBoolean(where, 'generateSecrets', props.generateSecrets) ?? true;
    this.host = `${name}.${namespace}.svc.cluster.local`;

    if (generate) {
      const root = moduleCa(this, name, namespace);
      const users = userCredentials(this, 'credentials', credentials, namespace, { user: 'Amqp__User', password: 'Amqp__Password' });
      const admin = userCredentials(this, 'admin', `${name}-admin`, namespace, { user: 'username', password: 'password' });
      const broker = serverCertificate(this, server, { name, namespace, host: this.host }, root, {
        'keystore-password': SecretValue.random({ length: 16 }),
        'certificate.pfx': SecretValue.pkcs12('keystore-password'),
        'credentials.properties': SecretValue.template([
          `activemq.username={{secret:${admin.name}/username}}`,
          `activemq.password={{secret:${admin.name}/password}}`,
          `guest.username={{secret:${users.name}/Amqp__User}}`,
          `guest.password={{secret:${users.name}/Amqp__Password}}`,
          'keystore.password={{key:keystore-password}}',
          '',
        ].join('\n')),
        'jetty-realm.properties': SecretValue.template([
          `{{secret:${admin.name}/username}}: {{secret:${admin.name}/password}}, admin`,
          `{{secret:${users.name}/Amqp__User}}: {{secret:${users.name}/Amqp__Password}}, user`,
          '',
        ].join('\n')),
      });
      const client = new GeneratedSecret(this, 'client', { name: ca, namespace, data: { 'ca.pem': SecretValue.fromSecret(root, 'tls.crt') } });
      this.secrets = [root, users, admin, broker, client];
    } else {
      this.secrets = [];
    }

    this.configMap = new ApiObject(this, 'configs', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: configMapName, namespace, labels: { 'app.kubernetes.io/part-of': 'armonik', 'app.kubernetes.io/managed-by': 'platform-constructs' } },
      data: {
        'activemq.xml': activemqXml(),
        'jetty.xml': jettyXml(),
        'log4j2.properties': log4j2Properties(),
        // The image's entrypoint edits activemq.xml unless this marker exists (apache/activemq
        // `assembly/src/docker/entrypoint.sh`); the configuration here is complete and read-only.
        'connection.security.enabled': '',
      },
    });

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'activemq',
      image: ident.image ?? ActiveMq.DEFAULT_IMAGE,
      ports: [
        { name: 'amqp', port: this.port },
        { name: 'dashboard', port: 8161 },
      ],
      // The AMQP connector takes clients; the console (Jetty, same JVM) answers while the broker's JVM lives.
      probes: { readiness: { tcpPort: this.port }, liveness: { tcpPort: 8161 } },
      secretMounts: [{ name: 'server', secret: server, path: '/credentials', mode: 0o440 }],
      configMapMounts: [{ name: 'configuration', configMap: configMapName, path: `${ActiveMq.HOME}/conf` }],
      scratch: ['/tmp', `${ActiveMq.HOME}/tmp`],
      dataPath: `${ActiveMq.HOME}/data`,
      uid: UNPRIVILEGED_ID,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__QueueStorage: queueStorage,
        ...queueAdaptorEnv(ARMONIK_ADAPTERS.amqp),
        Amqp__Host: this.host,
        Amqp__Port: String(this.port),
        Amqp__Scheme: 'AMQPS',
        Amqp__CaPath: `${mountPath.replace(/\/+$/, '')}/ca.pem`,
      },
      envSecret: [credentials],
      mountSecret: { certificate: { secret: ca, path: mountPath, mode: '0644' } },
    }).withEndpoints([statefulServiceEndpoint(ident, this.workload, [this.port])]);
    claimObjectNames(this, where);
  }
}
