import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkConfigKey, checkDns1123Subdomain, checkPort, ensure, hostNameReason } from '../../lib/k8s/validators.js';
import { checkOptionalBoolean, checkOptionalObject, checkOptionalString, checkPropsObject } from '../../lib/k8s/props.js';
import { ARMONIK_ADAPTERS } from './adapters.js';
import { checkMongoDatabaseName, externalEndpoint, type ExternalEndpointProps } from './service-module.js';

/** Props of {@link ExternalMongoDb}. */
export interface ExternalMongoDbProps extends ExternalEndpointProps {
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
    const p = checkPropsObject(where, props, ['host', 'credentialsSecret']);
    const host = ensure(where, 'host', p.host, hostNameReason(p.host));
    const port = checkPort(where, 'port', p.port ?? 27017);
    const credentialsSecret = checkDns1123Subdomain(where, 'credentialsSecret', p.credentialsSecret, 'Secret');
    if (p.caSecret !== undefined) checkDns1123Subdomain(where, 'caSecret', p.caSecret, 'Secret');
    const cs = checkOptionalObject(where, 'connectionString', p.connectionString, 'an object { secret, key? }');
    if (cs !== undefined) {
      checkDns1123Subdomain(where, 'connectionString.secret', cs.secret, 'Secret');
      if (cs.key !== undefined) checkConfigKey(where, 'connectionString.key', cs.key);
    }
    const database = checkMongoDatabaseName(where, 'databaseName', p.databaseName ?? 'database');
    const authSource = checkOptionalString(where, 'authSource', p.authSource) ?? database;
    const replicaSet = checkOptionalString(where, 'replicaSet', p.replicaSet);
    const directConnection = checkOptionalBoolean(where, 'directConnection', p.directConnection) ?? false;
    const sharding = checkOptionalBoolean(where, 'sharding', p.sharding) ?? false;
    const endpoint = externalEndpoint(where, p, port);
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__TableStorage: ARMONIK_ADAPTERS.mongodb.tableStorage,
        MongoDB__Host: host,
        MongoDB__Port: port,
        MongoDB__Tls: true,
        MongoDB__DatabaseName: database,
        MongoDB__AuthSource: authSource,
        MongoDB__DirectConnection: directConnection,
        MongoDB__Sharding: sharding,
        ...(replicaSet ? { MongoDB__ReplicaSet: replicaSet } : {}),
        ...(p.caSecret ? { MongoDB__CAFile: '/mongodb/certificate/mongodb-ca-cert' } : {}),
      },
      envFromSecret: {
        MongoDB__User: { secret: credentialsSecret, field: 'username' },
        MongoDB__Password: { secret: credentialsSecret, field: 'password' },
        ...(cs ? { MongoDB__ConnectionString: { secret: cs.secret, field: cs.key ?? 'uri' } } : {}),
      },
      ...(p.caSecret ? { mountSecret: { 'mongo-certificate': { secret: p.caSecret, path: '/mongodb/certificate/', mode: '0644' } } } : {}),
    }).withEndpoints([endpoint]);
    claimObjectNames(this, where);
  }
}
