/** Names and defaults Konsumerator's construct and runtime share (the original's, where it has one). */

/** The controller's name in the image (`platform-controllers konsumerator`). */
export const KONSUMERATOR = 'konsumerator';
/** API group of Consumer (the original's, kept for its users). */
export const KONSUMERATOR_GROUP = 'konsumerator.lwolf.org';
export const KONSUMERATOR_VERSION = 'v1';
export const KONSUMERATOR_API_VERSION = `${KONSUMERATOR_GROUP}/${KONSUMERATOR_VERSION}`;

const A = `${KONSUMERATOR_GROUP}/`;
/** Annotations of the managed Deployments and of the Consumer (the original's). */
export const Annotations = {
  /** Deployment: its partitions, `0,1,2`. */
  partition: `${A}partition`,
  /** Deployment: its instance ordinal. */
  consumerId: `${A}consumer-id`,
  /** Deployment: the hash of the Consumer's deployment template it was made from. */
  generation: `${A}generation`,
  /** Deployment: `running`, `pendingScaleUp`, `pendingScaleDown`. */
  scalingStatus: `${A}scaling-status`,
  /** Deployment: when the scaling status last changed (RFC 3339). */
  scalingStatusChange: `${A}scaling-status-change`,
  /** Deployment: used CPU / limit of the last estimate (informational). */
  cpuSaturationLevel: `${A}cpu-saturation-level`,
  /** Consumer or one Deployment: any value stops autoscaling (the policy's minAllowed is used). */
  disableAutoscaler: `${A}disable-autoscaler`,
  /** ConfigMap in guest mode: marks a Consumer spec (key `consumer.yaml`). */
  managed: `${A}managed`,
} as const;

/** Scaling states in the `scaling-status` annotation (the original's words). */
export const ScalingStatus = {
  running: 'running',
  pendingScaleUp: 'pendingScaleUp',
  pendingScaleDown: 'pendingScaleDown',
} as const;
export type ScalingStatusValue = (typeof ScalingStatus)[keyof typeof ScalingStatus];

/** Env of every container of a managed Deployment (the original's names). */
export const DEFAULT_PARTITION_ENV_KEY = 'KONSUMERATOR_PARTITION';
export const INSTANCE_ENV_KEY = 'KONSUMERATOR_INSTANCE';
export const NUM_INSTANCES_ENV_KEY = 'KONSUMERATOR_NUM_INSTANCES';
export const NUM_PARTITIONS_ENV_KEY = 'KONSUMERATOR_NUM_PARTITIONS';
export const GOMAXPROCS_ENV_KEY = 'GOMAXPROCS';
export const GOMEMLIMIT_ENV_KEY = 'GOMEMLIMIT';

/** Labels of a managed Deployment: the original's `app` and `controller`, and the per-instance selector label. */
export const APP_LABEL = 'app';
export const CONTROLLER_LABEL = 'controller';
/**
 * The label that makes each Deployment's selector its own: `<consumer uid>-<instance>`. The
 * original copied the template's selector into every Deployment, so they all selected each
 * other's pods.
 */
export const INSTANCE_LABEL = `${A}instance`;
/** The label carrying the Consumer's uid on its Deployments (how they are found and cleaned up). */
export const CONSUMER_UID_LABEL = `${A}consumer-uid`;

/** Guest mode: the ConfigMap key holding the Consumer spec (YAML). */
export const GUEST_SPEC_KEY = 'consumer.yaml';

/** Finalizer on a Consumer whose Deployments live in another namespace (owner references cannot cross namespaces). */
export const DEPLOYMENTS_FINALIZER = `${A}deployments`;

/** Condition types of a Consumer's status. */
export const ConsumerConditions = {
  /** Every instance exists, is up to date and available. */
  Ready: 'Ready',
  /** The last metrics fetch worked (False: the reason, and resources are held). */
  MetricsAvailable: 'MetricsAvailable',
  /** The spec could be used (False: the field and why). */
  SpecValid: 'SpecValid',
} as const;
