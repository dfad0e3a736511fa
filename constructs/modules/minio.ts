import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ARMONIK_ADAPTERS, objectAdaptorEnv } from './adapters.js';
import { checkObjectName, deployStatefulService, resolveIdentity, type ServiceModuleProps, type StatefulService } from './service-module.js';

/** Props of {@link MinIo}. */
export interface MinIoProps extends ServiceModuleProps {
  /** `S3__BucketName`. @default 'minioarmonikbucket' */
  readonly bucketName?: string;
  /** Secret with the consumers' `S3__Login` and `S3__Password` keys, loaded whole (`env_secret`). @default `<name>-user-credentials` */
  readonly credentialsSecret?: string;
  /** Secret with the server's root user (keys `username`, `password`). @default `<name>-user` */
  readonly rootSecret?: string;
}

/**
 * MinIO as ArmoniK's S3 object storage, publishing the outputs of ArmoniK.Infra's
 * `storage/onpremise/minio` module: `Components__ObjectStorage` (S3) and `S3__*`, with the
 * booleans `S3__UseChecksum`, `S3__MustForcePathStyle`, `S3__UseChunkEncoding` all `true`.
 *
 * Difference from ArmoniK.Infra: its `env_from_secret` is a map of two Secret names rather than
 * `{ VAR = { secret, field } }`; here the credentials arrive as `env_secret` (keys `S3__Login`,
 * `S3__Password`). Plain HTTP inside the cluster, as ArmoniK.Infra's. The bucket is created by
 * whoever provisions the credentials (MinIO does not create buckets from configuration).
 *
 * The image runs as uid 1000 with a read-only root filesystem: `/data` is the data claim,
 * `/tmp` is scratch (also `HOME`, for MinIO's own config directory).
 */
export class MinIo extends Construct implements IModule {
  public static readonly DEFAULT_IMAGE = 'quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z';
  public readonly outputs: ModuleOutputs;
  /** `<name>.<namespace>.svc.cluster.local` */
  public readonly host: string;
  public readonly port = 9000;
  public readonly workload: StatefulService;

  constructor(scope: Construct, id: string, props: MinIoProps = {}) {
    super(scope, id);
    const ident = resolveIdentity(this, 'MinIo', props, 'minio');
    const { name, namespace, where } = ident;
    const credentials = checkObjectName(where, 'credentialsSecret', props.credentialsSecret ?? `${name}-user-credentials`);
    const root = checkObjectName(where, 'rootSecret', props.rootSecret ?? `${name}-user`);
    const bucket = props.bucketName ?? 'minioarmonikbucket';
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`${where}: bucketName: "${bucket}" is not a valid S3 bucket name`);
    this.host = `${name}.${namespace}.svc.cluster.local`;

    this.workload = deployStatefulService(this, {
      id: ident,
      component: 'minio',
      image: props.image ?? MinIo.DEFAULT_IMAGE,
      ports: [
        { name: 's3', port: this.port },
        { name: 'console', port: 9001 },
      ],
      probePort: this.port,
      args: ['server', '/data', '--address', `:${this.port}`, '--console-address', ':9001'],
      env: [
        { name: 'HOME', value: '/tmp' },
        { name: 'MINIO_ROOT_USER', valueFrom: { secretKeyRef: { name: root, key: 'username' } } },
        { name: 'MINIO_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: root, key: 'password' } } },
      ],
      dataPath: '/data',
      uid: 1000,
      props,
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
    });
  }
}
