import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { isDns1123Subdomain } from '../../lib/k8s/names.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain, checkPort, ensure, hostNameReason, isConfigKey } from '../../lib/k8s/validators.js';
import { ARMONIK_ADAPTERS } from './adapters.js';

/** Props of {@link ExternalMongoDb}. */
export interface ExternalMongoDbProps {
  /** Host name of the server or replica set seed (e.g. a managed cluster's). */
  readonly host: string;
  /** Port. @default 27017 */
  readonly port?: number;
  /** `MongoDB__DatabaseName`. @default 'database' */
  readonly databaseName?: string;
  /** `MongoDB__AuthSource`. @default the database name */
  readonly authSource?: string;
  /** `MongoDB__ReplicaSet`. @default none (not set) */
  readonly replicaSet?: string;
  /** `MongoDB__DirectConnection`. @default false */
  readonly directConnection?: boolean;
  /** Secret with the user (keys `username`, `password`); referenced, never read. */
  readonly credentialsSecret: string;
  /**
   * Secret with the CA bundle (key `mongodb-ca-cert`), mounted at `/mongodb/certificate/`; TLS is
   * on when given. @default none: TLS with the system's trust store
   */
  readonly caSecret?: string;
  /**
   * A Secret key with the full connection string (`mongodb://` or `mongodb+srv://`), which Core
   * then uses as is (`MongoDB__ConnectionString`, as ArmoniK.Infra's `storage/atlas` publishes it:
   * Secret `<cluster>-mongodbatlas-connection-string`, key `string`). @default none: Core builds the
   * connection from host, port and the credentials
   */
  readonly connectionString?: { readonly secret: string; readonly key?: string };
  /** `MongoDB__Sharding`: shard Core's collections (a sharded cluster, through mongos). @default false */
  readonly sharding?: boolean;
}

/**
 * A MongoDB that lives elsewhere (Atlas, DocumentDB, a platform team's cluster): props in, the
 * table storage contract out (`Components__TableStorage`, `MongoDB__*`, credentials by
 * `env_from_secret`, the CA by `mount_secret` at `/mongodb/certificate/` like the in-cluster
 * module), nothing deployed.
 */
export class ExternalMongoDb extends Construct implements IModule {
  public readonly outputs: ModuleOutputs;

  constructor(scope: Construct, id: string, props: ExternalMongoDbProps) {
    super(scope, id);
    const where = `ExternalMongoDb ${this.node.path}`;
    ensure(where, 'host', props.host, hostNameReason(props.host));
    const port = props.port ?? 27017;
    checkPort(where, 'port', port);
    checkDns1123Subdomain(where, 'credentialsSecret', props.credentialsSecret, 'Secret');
    if (props.caSecret !== undefined) checkDns1123Subdomain(where, 'caSecret', props.caSecret, 'Secret');
    const cs = props.connectionString;
    if (cs !== undefined && (!isDns1123Subdomain(String(cs.secret)) || (cs.key !== undefined && !isConfigKey(cs.key)))) {
      throw new ValidationError(where, 'connectionString', `{ secret: "${cs.secret}", key: "${cs.key ?? 'uri'}" } is not a Secret name and key`, cs);
    }
    const database = props.databaseName ?? 'database';
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__TableStorage: ARMONIK_ADAPTERS.mongodb.tableStorage,
        MongoDB__Host: props.host,
        MongoDB__Port: port,
        MongoDB__Tls: true,
        MongoDB__DatabaseName: database,
        MongoDB__AuthSource: props.authSource ?? database,
        MongoDB__DirectConnection: props.directConnection ?? false,
        MongoDB__Sharding: props.sharding ?? false,
        ...(props.replicaSet ? { MongoDB__ReplicaSet: props.replicaSet } : {}),
        ...(props.caSecret ? { MongoDB__CAFile: '/mongodb/certificate/mongodb-ca-cert' } : {}),
      },
      envFromSecret: {
        MongoDB__User: { secret: props.credentialsSecret, field: 'username' },
        MongoDB__Password: { secret: props.credentialsSecret, field: 'password' },
        ...(cs ? { MongoDB__ConnectionString: { secret: cs.secret, field: cs.key ?? 'uri' } } : {}),
      },
      ...(props.caSecret ? { mountSecret: { 'mongo-certificate': { secret: props.caSecret, path: '/mongodb/certificate/', mode: '0644' } } } : {}),
    });
  }
}
