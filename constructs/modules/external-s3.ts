import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { isDns1123Subdomain } from '../../lib/k8s/index.js';

/** Props of {@link ExternalS3}. */
export interface ExternalS3Props {
  /** Endpoint URL, e.g. `https://s3.eu-west-3.amazonaws.com` or a MinIO service. */
  readonly endpointUrl: string;
  /** Bucket name. */
  readonly bucketName: string;
  /** Secret holding the credentials (keys `username` and `password`); referenced, never read. */
  readonly credentialsSecret: string;
  /** Path-style addressing (MinIO needs it). @default false */
  readonly mustForcePathStyle?: boolean;
  /** Chunked transfer encoding. @default true */
  readonly useChunkEncoding?: boolean;
  /** Payload checksums. @default true */
  readonly useChecksum?: boolean;
}

/**
 * An S3 bucket that lives elsewhere (AWS, a managed MinIO): props in, the ArmoniK S3 object
 * storage contract out, nothing deployed.
 */
export class ExternalS3 extends Construct implements IModule {
  public readonly outputs: ModuleOutputs;

  constructor(scope: Construct, id: string, props: ExternalS3Props) {
    super(scope, id);
    const where = `ExternalS3 ${this.node.path}`;
    if (!/^https?:\/\/[^\s/]+/.test(props.endpointUrl)) throw new Error(`${where}: endpointUrl: "${props.endpointUrl}" is not an http(s) URL`);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.bucketName)) throw new Error(`${where}: bucketName: "${props.bucketName}" is not a valid S3 bucket name`);
    if (!isDns1123Subdomain(props.credentialsSecret)) throw new Error(`${where}: credentialsSecret: "${props.credentialsSecret}" is not a valid Secret name`);
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        Components__ObjectStorage: 'ArmoniK.Adapters.S3.ObjectStorage',
        S3__EndpointUrl: props.endpointUrl,
        S3__BucketName: props.bucketName,
        S3__MustForcePathStyle: props.mustForcePathStyle ?? false,
        S3__UseChunkEncoding: props.useChunkEncoding ?? true,
        S3__UseChecksum: props.useChecksum ?? true,
      },
      envFromSecret: {
        S3__Login: { secret: props.credentialsSecret, field: 'username' },
        S3__Password: { secret: props.credentialsSecret, field: 'password' },
      },
    });
  }
}
