import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { checkMetadataMap, checkObject } from '../../lib/k8s/props.js';
import { checkDns1123Subdomain } from '../../lib/k8s/validators.js';

/** Options of {@link ArmoniKServiceAccount.create}. */
export interface ArmoniKServiceAccountOptions {
  /** Name of the ServiceAccount. @default the component's (e.g. `control-plane`, `compute-plane-<partition>`) */
  readonly name?: string;
  /** Annotations of the ServiceAccount, e.g. `{ 'eks.amazonaws.com/role-arn': <role ARN> }` for an IAM role. @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

const OPTIONS: ReadonlyArray<keyof ArmoniKServiceAccountOptions> = ['name', 'annotations'];

/**
 * The ServiceAccount of a component's pods (ArmoniK.Infra's `service_account_name`): an existing
 * one, by name, or one the component creates in its namespace, e.g. annotated with a cloud IAM
 * role for storage reached by role (S3, SQS). Either way the pods run as it with its API token
 * mounted (a projected token is what IAM roles for service accounts exchange).
 */
export class ArmoniKServiceAccount {
  /** An existing ServiceAccount of the component's namespace. */
  public static fromName(name: string): ArmoniKServiceAccount {
    return new ArmoniKServiceAccount({ name }, false);
  }

  /** A ServiceAccount the component creates. */
  public static create(options: ArmoniKServiceAccountOptions = {}): ArmoniKServiceAccount {
    return new ArmoniKServiceAccount(options, true);
  }

  private constructor(private readonly options: ArmoniKServiceAccountOptions, private readonly created: boolean) {}

  /**
   * Checks the options and, for {@link create}, creates the ServiceAccount under `scope`.
   * Returns the name the pods use. @internal
   */
  public _bind(scope: Construct, where: string, field: string, target: { name: string; namespace: string; labels?: Record<string, string> }): string {
    const o = checkObject<ArmoniKServiceAccountOptions>(where, field, this.options, OPTIONS);
    if (!this.created) return checkDns1123Subdomain(where, `${field}.name`, o.name as string, 'ServiceAccount');
    const name = checkDns1123Subdomain(where, `${field}.name`, o.name ?? target.name, 'ServiceAccount');
    checkMetadataMap(where, `${field}.annotations`, o.annotations as Record<string, string> | undefined, 'annotation');
    // An id no partition can take (partitions are DNS-1123 labels, children of the compute plane too).
    new ApiObject(scope, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name,
        namespace: target.namespace,
        ...(target.labels ? { labels: target.labels } : {}),
        ...(o.annotations && Object.keys(o.annotations).length ? { annotations: { ...o.annotations } } : {}),
      },
    });
    return name;
  }
}
