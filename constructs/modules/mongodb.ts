import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { checkPeer, NetworkPolicies, type NetworkPeerProps, type NetworkPolicyTarget } from '../../lib/network/index.js';
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from '../../lib/k8s/security.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkPositiveInteger } from '../../lib/k8s/validators.js';
import { checkOptionalBoolean } from '../../lib/k8s/props.js';
import { GeneratedSecret, SecretValue } from '../secret-generator/index.js';
import { ARMONIK_ADAPTERS } from './adapters.js';
import { commonName, moduleCa } from './credentials.js';
import { checkMongoDatabaseName, resolveIdentity, type ServiceModuleProps } from './service-module.js';

/** Props of {@link MongoDb}. */
export interface MongoDbProps extends ServiceModuleProps {
  /** `MongoDB__DatabaseName`, where the application user lives. @default 'database' */
  readonly databaseName?: string;
  /** Declare the cluster's users, TLS and connection-string Secrets as GeneratedSecrets filled in the cluster; off: you create them. @default true */
  readonly generateSecrets?: boolean;
  /**
   * The Percona operator's pods, which connect to mongod to configure the replica set: allowed by
   * the pods' NetworkPolicy. @default the pods labelled `app.kubernetes.io/name: percona-server-mongodb-operator`, in any namespace
   */
  readonly operator?: NetworkPeerProps;
}

/** The keys of the Percona operator's users Secret (percona-server-mongodb-operator `deploy/secrets.yaml`) and their user names. */
const SYSTEM_USERS: ReadonlyArray<readonly [string, string]> = [
  ['BACKUP', 'backup'],
  ['DATABASE_ADMIN', 'databaseAdmin'],
  ['CLUSTER_ADMIN', 'clusterAdmin'],
  ['CLUSTER_MONITOR', 'clusterMonitor'],
  ['USER_ADMIN', 'userAdmin'],
];

/** uid and gid of Percona Server for MongoDB's images. */
const PSMDB_UID = 1001;

/**
 * MongoDB as ArmoniK deploys it today (ArmoniK.Infra `storage/onpremise/mongodb-percona`): a
 * `PerconaServerMongoDB` cluster `<name>-db-ps` (replica set `rs0`, its pods restricted), run by the
 * Percona Operator for MongoDB, which must be installed (as KEDA must be; ArmoniK.Infra installs
 * it with its Helm chart). Published exactly as Infra's module publishes it: the connection string
 * by `env_from_secret` (Core then uses it as is), the CA at `/mongodb/certs/ca.crt` by
 * `mount_secret` `mongo-certificate`, `MongoDB__Sharding` and `MongoDB__ReplicaSet`.
 *
 * Self-contained: the operator's users Secret, the application user's password, the TLS
 * certificates (server and internal, issued by the module's CA, for the replica set's Service and
 * pod names) and the connection strings are GeneratedSecrets; the operator creates the
 * application user from the cluster's `users`. The connection string asks for TLS
 * (`tls=true`), which Infra's does not.
 */
export class MongoDb extends Construct implements IModule {
  /** The image ArmoniK deploys (aneoconsulting/ArmoniK `versions.tfvars.json`: percona-server-mongodb 8.0.19-7). */
  public static readonly DEFAULT_IMAGE = 'percona/percona-server-mongodb:8.0.19-7';
  public readonly outputs: ModuleOutputs;
  /** The cluster (`<name>-db-ps`). */
  public readonly cluster: ApiObject;
  /** `<name>-db-ps-rs0.<namespace>.svc.cluster.local`, the replica set's Service. */
  public readonly host: string;
  public readonly port = 27017;
  /** The Secrets this module declares for the generator (none with `generateSecrets: false`). */
  public readonly secrets: readonly GeneratedSecret[];
  /** The NetworkPolicy of the replica set's pods (made by the operator). */
  public readonly networkPolicy: NetworkPolicyTarget;

  constructor(scope: Construct, id: string, props: MongoDbProps = {}) {
    super(scope, id);
    // The operator names the replica set's Service and StatefulSet `<name>-db-ps-rs0`.
    const ident = resolveIdentity(this, 'MongoDb', props, {
      defaultName: 'mongodb',
      resources: MONGODB_RESOURCES,
      derived: (n) => ({ services: [`${n}-db-ps-rs0`], statefulSets: [`${n}-db-ps-rs0`] }),
    });
    const { name, namespace, where } = ident;
    const release = `${name}-db-ps`;
    const database = checkMongoDatabaseName(where, 'databaseName', props.databaseName ?? 'database');
    const replicas = checkPositiveInteger(where, 'replicas', ident.replicas);
    const generate = checkOptionalBoolean(where, 'generateSecrets', props.generateSecrets) ?? true;
    const rsService = `${release}-rs0`;
    this.host = `${rsService}.${namespace}.svc.cluster.local`;
    const names = {
      users: `${release}-secrets`,
      ssl: `${release}-ssl`,
      sslInternal: `${release}-ssl-internal`,
      appPassword: `${name}-application-user-password`,
      connection: `${name}-connection-string`,
      monitoring: `${name}-monitoring-connection-string`,
    };

    if (generate) {
      const root = moduleCa(this, name, namespace);
      // ArmoniK.Infra `mongodb-percona/certificates.tf`: the Service names and every pod of the replica set.
      const sans = [
        rsService, `${rsService}.${namespace}`, `${rsService}.${namespace}.svc`, this.host,
        `*.${rsService}`, `*.${rsService}.${namespace}`, `*.${rsService}.${namespace}.svc`, `*.${this.host}`, 'localhost',
      ];
      const tls = (id: string, secretName: string, cn: string) => new GeneratedSecret(this, id, {
        name: secretName,
        namespace,
        certificate: { commonName: cn, dnsNames: sans, issuer: root },
        data: { 'tls.crt': SecretValue.certificate('cert'), 'tls.key': SecretValue.certificate('key'), 'ca.crt': SecretValue.certificate('ca') },
      });
      const users = new GeneratedSecret(this, 'users', {
        name: names.users,
        namespace,
        data: Object.fromEntries(SYSTEM_USERS.flatMap(([key, user]) => [
          [`MONGODB_${key}_USER`, SecretValue.value(user)],
          [`MONGODB_${key}_PASSWORD`, SecretValue.random({ length: 24 })],
        ])),
      });
      const appPassword = new GeneratedSecret(this, 'application-user', { name: names.appPassword, namespace, data: { password: SecretValue.random({ length: 24 }) } });
      const hosts = `${this.host}:${this.port}`;
      const connection = new GeneratedSecret(this, 'connection-string', {
        name: names.connection,
        namespace,
        data: { uri: SecretValue.template(`mongodb://application_user:{{secret:${appPassword.name}/password}}@${hosts}/${database}?replicaSet=rs0&tls=true`) },
      });
      const monitoring = new GeneratedSecret(this, 'monitoring-connection-string', {
        name: names.monitoring,
        namespace,
        data: { uri: SecretValue.template(`mongodb://{{secret:${users.name}/MONGODB_CLUSTER_MONITOR_USER}}:{{secret:${users.name}/MONGODB_CLUSTER_MONITOR_PASSWORD}}@${hosts}/admin?replicaSet=rs0&tls=true`) },
      });
      this.secrets = [root, tls('ssl', names.ssl, commonName(this.host, rsService)), tls('ssl-internal', names.sslInternal, `${release}-internal`), users, appPassword, connection, monitoring];
    } else {
      this.secrets = [];
    }

    // mongod and the operator's init containers write outside their volumes.
    const restricted = restrictedContainerSecurityContext({ writableRootFilesystem: true });
    // percona-server-mongodb-operator `deploy/cr.yaml` (v1.22.0) and ArmoniK.Infra `mongodb-percona/main.tf`.
    this.cluster = new ApiObject(this, 'cluster', {
      apiVersion: 'psmdb.percona.com/v1',
      kind: 'PerconaServerMongoDB',
      metadata: { name: release, namespace, labels: { 'app.kubernetes.io/part-of': 'armonik', 'app.kubernetes.io/managed-by': 'platform-constructs' } },
      spec: {
        crVersion: '1.22.0',
        image: ident.image ?? MongoDb.DEFAULT_IMAGE,
        unsafeFlags: { replsetSize: replicas < 3 },
        secrets: { users: names.users, ssl: names.ssl, sslInternal: names.sslInternal },
        tls: { mode: 'requireTLS', allowInvalidCertificates: false },
        initContainerSecurityContext: restricted,
        users: [
          {
            name: 'application_user',
            db: database,
            passwordSecretRef: { name: names.appPassword, key: 'password' },
            roles: [
              { name: 'readWrite', db: database },
              { name: 'dbAdmin', db: database },
              { name: 'clusterAdmin', db: 'admin' },
            ],
          },
        ],
        sharding: { enabled: false },
        // The CRD requires an image even when backups are off (ArmoniK.Infra's value).
        backup: { enabled: false, image: 'percona/percona-backup-mongodb:2.12.0' },
        replsets: [
          {
            name: 'rs0',
            size: replicas,
            affinity: { antiAffinityTopologyKey: 'none' },
            podSecurityContext: restrictedPodSecurityContext(PSMDB_UID),
            containerSecurityContext: restricted,
            resources: ident.resources,
            volumeSpec: {
              persistentVolumeClaim: {
                ...(ident.storageClass ? { storageClassName: ident.storageClass } : {}),
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: ident.storageSize } },
              },
            },
          },
        ],
      },
    });

    // The operator's pods carry MongodLabels (percona-server-mongodb-operator `pkg/naming/labels.go`).
    const mongod = { 'app.kubernetes.io/name': 'percona-server-mongodb', 'app.kubernetes.io/instance': release, 'app.kubernetes.io/replset': 'rs0', 'app.kubernetes.io/component': 'mongod' };
    const self = { namespace, labels: mongod };
    if (props.operator !== undefined) checkPeer(where, 'operator', props.operator);
    // Members replicate from each other; the operator initiates and reconfigures the set.
    this.networkPolicy = NetworkPolicies.of(this).add(this, where, {
      name: rsService,
      namespace,
      podSelector: mongod,
      allowIngress: [{ peer: self, ports: [this.port] }, { peer: props.operator ?? { labels: { 'app.kubernetes.io/name': 'percona-server-mongodb-operator' } }, ports: [this.port] }],
      allowEgress: [{ peer: self, ports: [this.port] }],
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__TableStorage: ARMONIK_ADAPTERS.mongodb.tableStorage,
        MongoDB__Tls: 'true',
        MongoDB__CAFile: '/mongodb/certs/ca.crt',
        MongoDB__DatabaseName: database,
        MongoDB__Sharding: 'false',
        MongoDB__ReplicaSet: 'rs0',
      },
      envFromSecret: {
        MongoDB__User: { secret: names.users, field: 'MONGODB_DATABASE_ADMIN_USER' },
        MongoDB__Password: { secret: names.users, field: 'MONGODB_DATABASE_ADMIN_PASSWORD' },
        MongoDB__ConnectionString: { secret: names.connection, field: 'uri' },
        MongoDB__MonitoringConnectionString: { secret: names.monitoring, field: 'uri' },
      },
      mountSecret: { 'mongo-certificate': { secret: names.ssl, path: '/mongodb/certs/', mode: '0644' } },
    }).withEndpoints([{ pods: self, ports: [{ port: this.port }] }]);
    claimObjectNames(this, where);
  }
}

/** Requests and limits of mongod when none are given (ArmoniK.Infra's). */
const MONGODB_RESOURCES = { cpuRequest: '300m', memoryRequest: '1Gi', cpuLimit: '1', memoryLimit: '2Gi' };

