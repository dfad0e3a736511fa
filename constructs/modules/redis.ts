import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkAbsolutePath, checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { checkOptionalBoolean, checkOptionalString } from '../../lib/k8s/props.js';
import { GeneratedSecret, SecretValue } from '../secret-generator/index.js';
import { ARMONIK_ADAPTERS, objectAdaptorEnv } from './adapters.js';
import { moduleCa, serverCertificate } from './credentials.js';
import { deployStatefulService, statefulServiceEndpoint, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link Redis}. */
export interface RedisProps extends ServiceModuleProps {
  /** Secret with the consumers' `Redis__Password` key, loaded whole (`env_secret`); the server's password too. @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Secret with the chain consumers trust (key `chain.pem`), mounted at `mountPath`. @default `<name>` */
  readonly caSecret?: string;
  /** Secret with the server's `cert.pem`, `key.pem` and `ca.pem`. @default `<name>-server-certificates` */
  readonly serverSecret?: string;
  /** Where consumers find the chain (`Redis__CaPath` is `<mountPath>/chain.pem`). @default '/redis' */
  readonly mountPath?: string;
  /** `Redis__ClientName`. @default 'ArmoniK.Core' */
  readonly clientName?: string;
  /** `Redis__InstanceName`. @default 'ArmoniKRedis' */
  readonly instanceName?: string;
  /** `maxmemory` of the server. @default '12000mb' */
  readonly maxMemory?: string;
  /** Declare the Secrets above as GeneratedSecrets filled in the cluster; off: you create them. @default true */
  readonly generateSecrets?: boolean;
}

/**
 * Redis as ArmoniK's object storage, publishing the outputs of ArmoniK.Infra's
 * `storage/onpremise/redis` module: the Redis object storage adaptor (`Components__ObjectStorage`
 * and `Components__ObjectStorageAdaptorSettings__*`), `Redis__*`, credentials as `env_secret`,
 * the chain as `mount_secret` `redis-secret1` at `/redis` (mode 0644).
 *
 * TLS only (`--port 0`) with a password (`--requirepass`). Self-contained: the password, a CA and
 * the server's certificate (for the Service names, so no `Redis__SslHost` is needed, unlike with
 * Infra's certificate for 127.0.0.1) are GeneratedSecrets. The image runs as uid 999 with a
 * read-only root filesystem, `/data` is the data claim.
 */
export class Redis extends Construct implements IModule {
  public static readonly DEFAULT_IMAGE = 'redis:7.2.5';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  public readonly port = 6379;
  public readonly workload: StatefulService;
  /** The Secrets this module declares for the generator (none with `generateSecrets: false`). */
  public readonly secrets: readonly GeneratedSecret[];

  constructor(scope: Construct, id: string, props: RedisProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'Redis', props, { defaultName: 'redis' });
    const { name, namespace, where } = ident;
    const credentials = checkDns1123Subdomain(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`, 'Secret');
    const ca = checkDns1123Subdomain(where, 'caSecret', props.caSecret ?? name, 'Secret');
    const server = checkDns1123Subdomain(where, 'serverSecret', props.serverSecret ?? `${name}-server-certificates`, 'Secret');
    const mountPath = checkAbsolutePath(where, 'mountPath', props.mountPath ?? '/redis');
    const maxMemory = props.maxMemory ?? '12000mb';
    if (typeof maxMemory !== 'string' || !/^\d+(b|kb|mb|gb)?$/i.test(maxMemory)) {
      throw new ValidationError(where, 'maxMemory', `${showValue(maxMemory)} is not a Redis memory size (digits and b, kb, mb or gb, e.g. "12000mb")`, maxMemory);
    }
    const clientName = checkOptionalString(where, 'clientName', props.clientName) ?? 'ArmoniK.Core';
    const instanceName = checkOptionalString(where, 'instanceName', props.instanceName) ?? 'ArmoniKRedis';
    const generate = checkOptionalBoolean(where, 'generateSecrets', props.generateSecrets) ?? true;
    this.host = `${name}.${namespace}.svc.cluster.local`;
    if (generate) {
      const root = moduleCa(this, name, namespace);
      const users = new GeneratedSecret(this, 'credentials', { name: credentials, namespace, data: { Redis__Password: SecretValue.random({ length: 24 }) } });
      const tls = serverCertificate(this, server, { name, namespace, host: this.host }, root);
      const client = new GeneratedSecret(this, 'client', { name: ca, namespace, data: { 'chain.pem': SecretValue.fromSecret(root, 'tls.crt') } });
      this.secrets = [root, users, tls, client];
    } else {
      this.secrets = [];
    }

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'redis',
      image: ident.image ?? Redis.DEFAULT_IMAGE,
      ports: [{ name: 'redis', port: this.port }],
      // One TLS port and a password: no liveness check apart from readiness (redis-server exits when it fails).
      probes: { readiness: { tcpPort: this.port } },
      command: ['redis-server'],
      args: [
        '--port', '0',
        '--tls-port', String(this.port),
        '--tls-cert-file', '/certificates/cert.pem',
        '--tls-key-file', '/certificates/key.pem',
        '--tls-ca-cert-file', '/certificates/ca.pem',
        '--tls-auth-clients', 'no',
        '--requirepass', '$(REDIS_PASSWORD)',
        '--maxmemory', maxMemory,
        '--maxmemory-policy', 'volatile-lru',
        '--dir', '/data',
      ],
      env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: credentials, key: 'Redis__Password' } } }],
      secretMounts: [{ name: 'server', secret: server, path: '/certificates', mode: 0o440 }],
      dataPath: '/data',
      uid: 999,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...objectAdaptorEnv(ARMONIK_ADAPTERS.redis),
        Redis__EndpointUrl: `${this.host}:${this.port}`,
        Redis__Ssl: 'true',
        Redis__ClientName: clientName,
        Redis__CaPath: `${mountPath.replace(/\/+$/, '')}/chain.pem`,
        Redis__InstanceName: instanceName,
      },
      envSecret: [credentials],
      mountSecret: { 'redis-secret1': { secret: ca, path: mountPath, mode: '0644' } },
    }).withEndpoints([statefulServiceEndpoint(ident, this.workload, [this.port])]);
    claimObjectNames(this, where);
  }
}
