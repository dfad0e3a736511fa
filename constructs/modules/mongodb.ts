import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ARMONIK_ADAPTERS } from './adapters.js';
import { checkObjectName, deployStatefulService, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link MongoDb}. */
export interface MongoDbProps extends ServiceModuleProps {
  /** Name of the StatefulSet and Services (the Helm release in ArmoniK.Infra). @default `<name>-armonik` */
  readonly releaseName?: string;
  /** `MongoDB__DatabaseName` and `MongoDB__AuthSource`. @default 'database' */
  readonly databaseName?: string;
  /** `MongoDB__ReplicaSet`. @default 'rs0' */
  readonly replicaSet?: string;
  /** Secret with the application user (keys `username`, `password`). @default `<name>-user` */
  readonly userSecret?: string;
  /** Secret with the connection string (key `uri`). @default `<name>-connection-string` */
  readonly connectionStringSecret?: string;
  /** Secret with the monitoring connection string (key `uri`). @default `<name>-monitoring-connection-string` */
  readonly monitoringConnectionStringSecret?: string;
  /** Secret with the client certificate chain, mounted at `/mongodb/certs/`. @default `<name>` */
  readonly certificateSecret?: string;
  /** Secret with the CA (key `mongodb-ca-cert`), mounted at `/mongodb/certificate/`. @default `<releaseName>-ca` */
  readonly caSecret?: string;
  /** Secret with the server's `mongodb.pem` (key and certificate), `ca.pem`, the replica-set `keyfile` and the root user (`root-username`, `root-password`). @default `<name>-server-certificates` */
  readonly serverSecret?: string;
}

/**
 * MongoDB as ArmoniK's table storage, publishing the outputs of ArmoniK.Infra's
 * `storage/onpremise/mongodb` module (bitnami chart flavour): `Components__TableStorage` and
 * `MongoDB__*`, the user, password and connection strings by `env_from_secret`
 * (`MongoDB_ConnectionString` keeps its single underscore, as upstream), the certificates by
 * `mount_secret` `mongo-certificate` (`/mongodb/certs/`) and `mongo-certificate-helm`
 * (`/mongodb/certificate/`), mode 0644.
 *
 * A replica set with TLS required and keyfile authentication; the image runs as uid 999 with a
 * read-only root filesystem, `/data/db` is the data claim, `/tmp` is scratch.
 */
export class MongoDb extends Construct implements IModule {
  public static readonly DEFAULT_IMAGE = 'mongo:7.0.14';
  public readonly outputs: ModuleOutputs;
  /** `<releaseName>-headless.<namespace>.svc.cluster.local`, the replica set's seed. */
  public readonly host: string;
  public readonly port = 27017;
  public readonly workload: StatefulService;

  constructor(scope: Construct, id: string, props: MongoDbProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'MongoDb', props, 'mongodb');
    const { name, namespace, where } = ident;
    const release = props.releaseName ?? `${name}-armonik`;
    checkObjectName(where, 'releaseName', release);
    const database = props.databaseName ?? 'database';
    if (!/^[^/\\. "$]{1,63}$/.test(database)) throw new Error(`${where}: databaseName: "${database}" is not a MongoDB database name`);
    const replicaSet = props.replicaSet ?? 'rs0';
    const user = checkObjectName(where, 'userSecret', props.userSecret ?? `${name}-user`);
    const uri = checkObjectName(where, 'connectionStringSecret', props.connectionStringSecret ?? `${name}-connection-string`);
    const monitoring = checkObjectName(where, 'monitoringConnectionStringSecret', props.monitoringConnectionStringSecret ?? `${name}-monitoring-connection-string`);
    const certificate = checkObjectName(where, 'certificateSecret', props.certificateSecret ?? name);
    const ca = checkObjectName(where, 'caSecret', props.caSecret ?? `${release}-ca`);
    const server = checkObjectName(where, 'serverSecret', props.serverSecret ?? `${name}-server-certificates`);
    this.host = `${release}-headless.${namespace}.svc.cluster.local`;

    this.workload = deployStatefulService(this, {
      id: { ...ident, name: release },
      component: 'mongodb',
      image: props.image ?? MongoDb.DEFAULT_IMAGE,
      ports: [{ name: 'mongodb', port: this.port }],
      probePort: this.port,
      command: ['mongod'],
      args: [
        '--bind_ip_all',
        '--replSet', replicaSet,
        '--dbpath', '/data/db',
        '--tlsMode', 'requireTLS',
        '--tlsCertificateKeyFile', '/mongodb/server/mongodb.pem',
        '--tlsCAFile', '/mongodb/server/ca.pem',
        '--keyFile', '/mongodb/server/keyfile',
      ],
      env: [
        { name: 'MONGO_INITDB_ROOT_USERNAME', valueFrom: { secretKeyRef: { name: server, key: 'root-username' } } },
        { name: 'MONGO_INITDB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: server, key: 'root-password' } } },
      ],
      secretMounts: [{ name: 'server', secret: server, path: '/mongodb/server', mode: 0o400 }],
      dataPath: '/data/db',
      uid: 999,
      props,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__TableStorage: ARMONIK_ADAPTERS.mongodb.tableStorage,
        MongoDB__Host: this.host,
        MongoDB__Port: String(this.port),
        MongoDB__Tls: 'true',
        MongoDB__ReplicaSet: replicaSet,
        MongoDB__DatabaseName: database,
        MongoDB__AuthSource: database,
        MongoDB__DirectConnection: 'false',
        MongoDB__CAFile: '/mongodb/certificate/mongodb-ca-cert',
      },
      envFromSecret: {
        MongoDB__User: { secret: user, field: 'username' },
        MongoDB__Password: { secret: user, field: 'password' },
        MongoDB_ConnectionString: { secret: uri, field: 'uri' },
        MongoDB__MonitoringConnectionString: { secret: monitoring, field: 'uri' },
      },
      mountSecret: {
        'mongo-certificate': { secret: certificate, path: '/mongodb/certs/', mode: '0644' },
        'mongo-certificate-helm': { secret: ca, path: '/mongodb/certificate/', mode: '0644' },
      },
    });
  }
}
