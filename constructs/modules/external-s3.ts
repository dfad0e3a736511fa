import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { urlPort } from '../../lib/network/index.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { checkOptionalBoolean, checkPropsObject } from '../../lib/k8s/props.js';
import { ARMONIK_ADAPTERS, objectAdaptorEnv } from './adapters.js';
import { checkBucketName, checkUrl, externalEndpoint, type ExternalEndpointProps } from './service-module.js';

/** Props of {@link ExternalS3}. */
export interface ExternalS3Props extends ExternalEndpointProps {
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
    const where = `ExternalS3 ${scope.node.path ? `${scope.node.path}/` : ''}${id}`;
    const p = checkPropsObject(where, props, ['region', 'bucketName']);
    if (typeof p.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(p.region)) {
      const shown = showValue(p.region);
      throw new ValidationError(where, 'region', `${shown} is not an AWS region (such as "eu-west-3")`, p.region);
    }
    return new ExternalS3(scope, id, { ...p, endpointUrl: `https://s3.${p.region}.amazonaws.com` });
  }

  public readonly outputs: ModuleOutputs;

  constructor(scope: Construct, id: string, props: ExternalS3Props) {
    super(scope, id);
    const where = `ExternalS3 ${this.node.path}`;
    const p = checkPropsObject(where, props, ['endpointUrl', 'bucketName']);
    const endpointUrl = checkUrl(where, 'endpointUrl', p.endpointUrl, 'a Secret given as credentialsSecret (keys username and password)');
    const bucketName = checkBucketName(where, 'bucketName', p.bucketName);
    if (p.credentialsSecret !== undefined) checkDns1123Subdomain(where, 'credentialsSecret', p.credentialsSecret, 'Secret');
    const mustForcePathStyle = checkOptionalBoolean(where, 'mustForcePathStyle', p.mustForcePathStyle) ?? true;
    const useChunkEncoding = checkOptionalBoolean(where, 'useChunkEncoding', p.useChunkEncoding) ?? true;
    const useChecksum = checkOptionalBoolean(where, 'useChecksum', p.useChecksum) ?? true;
    const endpoint = externalEndpoint(where, p, urlPort(endpointUrl));
    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...objectAdaptorEnv(ARMONIK_ADAPTERS.s3),
        S3__EndpointUrl: endpointUrl,
        S3__BucketName: bucketName,
        S3__MustForcePathStyle: mustForcePathStyle,
        S3__UseChunkEncoding: useChunkEncoding,
        S3__UseChecksum: useChecksum,
      },
      ...(p.credentialsSecret === undefined
        ? {}
        : {
            envFromSecret: {
              S3__Login: { secret: p.credentialsSecret, field: 'username' },
              S3__Password: { secret: p.credentialsSecret, field: 'password' },
            },
          }),
    }).withEndpoints([endpoint]);
    claimObjectNames(this, where);
  }
}
