import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain, isHttpUrl, urlHasCredentials } from '../../lib/k8s/validators.js';
import { ARMONIK_ADAPTERS, objectAdaptorEnv } from './adapters.js';
import { checkBucketName } from './service-module.js';

/** Props of {@link ExternalS3}. */
export interface ExternalS3Props {
  /** Endpoint URL, e.g. `https://s3.eu-west-3.amazonaws.com` or a MinIO service; no credentials in it. */
  readonly endpointUrl: string;
  /** Bucket name. */
  readonly bucketName: string;
  /**
   * Secret holding the credentials (keys `username` and `password`); referenced, never read.
   * @default none: the AWS SDK's default credential chain, e.g. an IAM role bound to the pods'
   * ServiceAccount (ArmoniK.Infra `storage/aws/s3` publishes no credentials either)
   */
  readonly credentialsSecret?: string;
  /** Path-style addressing (MinIO needs it). @default true (ArmoniK.Infra's) */
  readonly mustForcePathStyle?: boolean;
  /** Chunked transfer encoding. @default true */
  readonly useChunkEncoding?: boolean;
  /** Payload checksums. @default true */
  readonly useChecksum?: boolean;
}

/** Props of {@link ExternalS3.aws}. */
export interface AwsS3Props extends Omit<ExternalS3Props, 'endpointUrl'> {
  /** AWS region of the bucket, e.g. `eu-west-3`. */
  readonly region: string;
}

/**
 * An S3 bucket that lives elsewhere (AWS, a managed MinIO): props in, ArmoniK's S3 object storage
 * env out (`Components__ObjectStorageAdaptorSettings__*` for Core's S3 adaptor, `S3__*`), nothing
 * deployed. Without `credentialsSecret`, Core's S3 client takes the AWS SDK's default credential
 * chain: run the components with a ServiceAccount bound to an IAM role (`serviceAccountName`).
 */
export class ExternalS3 extends Construct implements IModule {
  /** An AWS S3 bucket as ArmoniK.Infra's `storage/aws/s3` publishes it (endpoint `https://s3.<region>.amazonaws.com`). */
  public static aws(scope: Construct, id: string, props: AwsS3Props): ExternalS3 {
    if (!props || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(String(props.region))) {
      throw new ValidationError(`ExternalS3 ${scope.node.path}/${id}`, 'region', `"${String(props?.region)}" is not an AWS region (such as eu-west-3)`, props?.region);
    }
    return new ExternalS3(scope, id, { ...props, endpointUrl: `https://s3.${props.region}.amazonaws.com` });
  }

  public readonly outputs: ModuleOutputs;

  constructor(scope: Construct, id: string, props: ExternalS3Props) {
    super(scope, id);
    const where = `ExternalS3 ${this.node.path}`;
    if (!isHttpUrl(props.endpointUrl)) throw new ValidationError(where, 'endpointUrl', `"${props.endpointUrl}" is not an http(s) URL`, props.endpointUrl);
    if (urlHasCredentials(props.endpointUrl)) throw new ValidationError(where, 'endpointUrl', 'credentials in the URL would be written into manifests; give them as credentialsSecret');
    checkBucketName(where, 'bucketName', props.bucketName);
    if (props.credentialsSecret !== undefined) checkDns1123Subdomain(where, 'credentialsSecret', props.credentialsSecret, 'Secret');
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...objectAdaptorEnv(ARMONIK_ADAPTERS.s3),
        S3__EndpointUrl: props.endpointUrl,
        S3__BucketName: props.bucketName,
        S3__MustForcePathStyle: props.mustForcePathStyle ?? true,
        S3__UseChunkEncoding: props.useChunkEncoding ?? true,
        S3__UseChecksum: props.useChecksum ?? true,
      },
      ...(props.credentialsSecret === undefined
        ? {}
        : {
            envFromSecret: {
              S3__Login: { secret: props.credentialsSecret, field: 'username' },
              S3__Password: { secret: props.credentialsSecret, field: 'password' },
            },
          }),
    });
  }
}
