import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { checkOptionalBoolean } from '../../lib/k8s/props.js';
import { UNPRIVILEGED_ID } from '../../lib/k8s/security.js';
import type { GeneratedSecret } from '../secret-generator/index.js';
import { ARMONIK_ADAPTERS, objectAdaptorEnv } from './adapters.js';
import { userCredentials } from './credentials.js';
import { checkBucketName, deployStatefulService, statefulServiceEndpoint, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link MinIo}. */
export interface MinIoProps extends ServiceModuleProps {
  /** `S3__BucketName`. @default 'minio-bucket' (ArmoniK's) */
  readonly bucketName?: string;
  /** Secret with the consumers' `S3__Login` and `S3__Password` keys, loaded whole (`env_secret`); also the server's root user, as in ArmoniK.Infra. @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Declare the credentials Secret as a GeneratedSecret filled in the cluster; off: you create it. @default true */
  readonly generateSecrets?: boolean;
}

/**
 * MinIO as ArmoniK's S3 object storage, publishing the outputs of ArmoniK.Infra's
 * `storage/onpremise/minio` module: Core's S3 adaptor (`Components__ObjectStorageAdaptorSettings__*`)
 * and `S3__*`, with `S3__UseChecksum`, `S3__MustForcePathStyle`, `S3__UseChunkEncoding` all `true`,
 * the credentials as `env_secret` (`S3__Login`, `S3__Password`). Plain HTTP inside the cluster, as
 * ArmoniK.Infra's.
 *
 * Self-contained: the credentials are a GeneratedSecret, also MinIO's root user (as in Infra).
 * Core does not create the bucket (ArmoniK.Core `Adaptors/S3/src/ObjectStorage.cs` only checks it),
 * so the server creates it as Infra's does (`mkdir -p /data/<bucket>` before `minio server /data`).
 * The image (no user of its own, binaries readable by all) runs as uid 10001 with a read-only root filesystem: `/data` is the data claim, `/tmp`
 * is scratch (also `HOME`, for MinIO's own config directory).
 */
export class MinIo extends Construct implements IModule {
  /** The image ArmoniK deploys (aneoconsulting/ArmoniK `versions.tfvars.json`). */
  public static readonly DEFAULT_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  public readonly port = 9000;
  public readonly workload: StatefulService;
  /** The Secrets this module declares for the generator (none with `generateSecrets: false`). */
  public readonly secrets: readonly GeneratedSecret[];

  constructor(scope: Construct, id: string, props: MinIoProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'MinIo', props, { defaultName: 'minio' });
    const { name, namespace, where } = ident;
    const credentials = checkDns1123Subdomain(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`, 'Secret');
    const bucket = checkBucketName(where, 'bucketName', props.bucketName ?? 'minio-bucket');
    const generate = checkOptionalBoolean(where, 'generateSecrets', props.generateSecrets) ?? true;
    this.secrets = generate ? [userCredentials(this, 'credentials', credentials, namespace, { user: 'S3__Login', password: 'S3__Password' })] : [];
    this.host = `${name}.${namespace}.svc.cluster.local`;

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'minio',
      image: ident.image ?? MinIo.DEFAULT_IMAGE,
      ports: [
        { name: 's3', port: this.port },
        { name: 'console', port: 9001 },
      ],
      // MinIO `cmd/healthcheck-router.go`: `/minio/health/ready` and `/minio/health/live`, anonymous GETs.
      probes: { readiness: { httpPath: '/minio/health/ready', port: this.port }, liveness: { httpPath: '/minio/health/live', port: this.port } },
      // ArmoniK.Infra `storage/onpremise/minio/main.tf`: the bucket as a directory of the data drive.
      command: ['/bin/bash'],
      args: ['-c', `mkdir -p /data/${bucket} && exec minio server /data --address :${this.port} --console-address :9001`],
      env: [
        { name: 'HOME', value: '/tmp' },
        { name: 'MINIO_ROOT_USER', valueFrom: { secretKeyRef: { name: credentials, key: 'S3__Login' } } },
        { name: 'MINIO_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: credentials, key: 'S3__Password' } } },
      ],
      dataPath: '/data',
      uid: UNPRIVILEGED_ID,
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...objectAdaptorEnv(ARMONIK_ADAPTERS.s3),
        S3__BucketName: bucket,
        S3__UseChecksum: true,
        S3__MustForcePathStyle: true,
        S3__UseChunkEncoding: true,
        S3__EndpointUrl: `http://${this.host}:${this.port}`,
      },
      envSecret: [credentials],
    }).withEndpoints([statefulServiceEndpoint(ident, this.workload, [this.port])]);
    claimObjectNames(this, where);
  }
}
