import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs } from '../../lib/contract/index.js';
import { shortHash } from '../../lib/k8s/index.js';
import { isDns1123Label } from '../../lib/k8s/names.js';
import { scratchVolume, type PlainResources } from '../../lib/k8s/resources.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, isPlainObject, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Label, checkImage, checkInteger } from '../../lib/k8s/validators.js';
import type { ModuleEnv } from './module-env.js';
import { checkModuleEnv, checkServiceAccountName, podSettingsSpec, refuseDerivedEnv, type PodSettings } from './props.js';
import { checkOptionalEnv, checkStringList } from '../../lib/k8s/props.js';
import { armonikPodLabels, buildPodTemplate, registerNetworkPolicy } from './workload.js';
import type { NetworkPolicyTarget } from '../../lib/network/index.js';

/**
 * What the long-running Core components get when the init Job initializes the storage
 * (ArmoniK.Infra `armonik/control-plane-configmap.tf` and `compute-plane-configmap.tf` with
 * `job_init`): they do not create collections, buckets or queues themselves.
 */
export const INIT_BY_JOB_ENV: Readonly<Record<string, string>> = Object.freeze({
  InitServices__InitDatabase: 'false',
  InitServices__InitObjectStorage: 'false',
  InitServices__InitQueue: 'false',
  InitServices__StopAfterInit: 'false',
});

/**
 * A partition as Core inserts it into the database (ArmoniK.Core
 * `Common/src/Injection/Options/Database/Partition.cs`: every field but `PodConfiguration` is
 * required; System.Text.Json, so the names are case-sensitive).
 */
export interface PartitionDocument {
  readonly PartitionId: string;
  readonly ParentPartitionIds: readonly string[];
  readonly PodReserved: number;
  readonly PodMax: number;
  readonly PreemptionPercentage: number;
  readonly Priority: number;
  readonly PodConfiguration?: Readonly<Record<string, string>>;
}

/** The longest name of the init: a Job `<name>-<10 hex>` labels its pods `job-name`, at most 63 characters. */
const INIT_NAME_MAX = 52;

/** Props of {@link InitJob}. */
export interface InitJobProps {
  readonly namespace: string;
  /** Name of the CronJob, and prefix of the Job. @default 'init' */
  readonly name?: string;
  /** The control plane image of the Core release (the init is the control plane binary, stopping after init). */
  readonly image: string;
  readonly uid: number;
  /** The Core settings and the storage modules, merged. */
  readonly conf: ModuleOutputs;
  /** The Job's own env on top of the init env (e.g. a shorter `MongoDB__DataRetention`). @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** The users, roles and certificates to store (`ArmoniKAuthentication.initEnv`). @default none */
  readonly authenticationEnv?: Readonly<Record<string, string>>;
  readonly partitions: readonly PartitionDocument[];
  /** Schedule of the CronJob that runs the init again (it is idempotent), or `null` for none. @default '* * * * *' (ArmoniK.Infra's) */
  readonly schedule?: string | null;
  readonly resources: PlainResources;
  readonly hashInputs?: readonly string[];
  readonly moduleEnv?: ModuleEnv;
  readonly serviceAccountName?: string;
  /** Pod settings (checked, e.g. by the compute plane's `init`): node selector, tolerations, pull secrets and policy, annotations; `serviceAccountName` above wins. @default none */
  readonly podSettings?: PodSettings;
  /** For messages: the construct that owns the init. */
  readonly where: string;
}

/**
 * ArmoniK's init (ArmoniK.Infra `armonik/init.tf`, `jobs-in-database-configmap.tf`): the control
 * plane image with `InitServices__StopAfterInit=true` creates the database collections and
 * indexes, the object storage bucket and the queues, and inserts the partitions given as
 * `InitServices__Partitioning__Partitions__<i>` (ArmoniK.Core `Control/Submitter/src/Program.cs`
 * returns after init). A Job runs it once; a CronJob runs it again on a schedule, as Infra does.
 * A Job's pod template cannot change, so the Job's name carries a hash of it: a changed init
 * (new partition, new module) is a new Job.
 */
export class InitJob extends Construct {
  public readonly job: ApiObject;
  public readonly cronJob?: ApiObject;
  /** The NetworkPolicy of the init pods (the Job's and the CronJob's). */
  public readonly networkPolicy: NetworkPolicyTarget;
  /** The partition env, `InitServices__Partitioning__Partitions__<i>` → JSON, in partition order. */
  public readonly partitionEnv: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: InitJobProps) {
    super(scope, id);
    if (!isPlainObject(props)) throw new ValidationError(`InitJob ${this.node.path}`, 'props', `must be an object, not ${describeValue(props)}`, props);
    const where = typeof props.where === 'string' ? props.where : `InitJob ${this.node.path}`;
    // The CronJob's name, and the Job's with an 11-character suffix: both at most 52 (the Job's pods are labelled `job-name`, at most 63).
    const name = props.name ?? 'init';
    if (typeof name !== 'string' || !isDns1123Label(name) || name.length > INIT_NAME_MAX) {
      throw new ValidationError(where, 'init.name', `${showValue(name)} is not a DNS-1123 label of at most ${INIT_NAME_MAX} characters (the CronJob's name, and the Job's before its 11-character hash)`, name);
    }
    const schedule = props.schedule === undefined ? '* * * * *' : props.schedule;
    if (schedule !== null && (typeof schedule !== 'string' || !/^((\S+\s+){4}\S+|@(yearly|annually|monthly|weekly|daily|midnight|hourly))$/.test(schedule.trim()))) {
      throw new ValidationError(where, 'init.schedule', `${showValue(schedule)} is not a cron schedule (five fields, or @hourly, @daily, ...), or null for none`, schedule);
    }
    const env = checkOptionalEnv(where, 'init.env', props.env);
    refuseDerivedEnv(where, 'init.env', env, (name) => (name.startsWith('InitServices__Partitioning__') ? 'the partitions of the compute plane'
      : props.authenticationEnv !== undefined && name.startsWith('InitServices__Authentication__') ? 'init.authentication' : undefined));
    if (!Array.isArray(props.partitions)) throw new ValidationError(where, 'partitions', `must be a list of partitions, not ${describeValue(props.partitions)}`, props.partitions);
    // What the compute plane has checked already, for an InitJob made directly.
    const namespace = checkDns1123Label(where, 'namespace', props.namespace);
    const image = checkImage(where, 'init.image', props.image);
    const uid = checkInteger(where, 'uid', props.uid, 1);
    if (!(props.conf instanceof ModuleOutputs)) throw new ValidationError(where, 'conf', `must be ModuleOutputs (merged), not ${describeValue(props.conf)}`, props.conf);
    if (!isPlainObject(props.resources)) throw new ValidationError(where, 'init.resources', `must be an object of requests and limits, not ${describeValue(props.resources)}`, props.resources);
    const moduleEnv = checkModuleEnv(where, 'moduleEnv', props.moduleEnv);
    const serviceAccountName = checkServiceAccountName(where, 'serviceAccountName', props.serviceAccountName);
    const hashInputs = checkStringList(where, 'hashInputs', props.hashInputs);
    this.partitionEnv = Object.fromEntries(
      props.partitions.map((p, i) => [`InitServices__Partitioning__Partitions__${i}`, JSON.stringify(p)]),
    );
    if (props.podSettings !== undefined && !isPlainObject(props.podSettings)) throw new ValidationError(where, 'podSettings', `must be checked pod settings, not ${describeValue(props.podSettings)}`, props.podSettings);
    const podSettings = podSettingsSpec(props.podSettings ?? {});
    const podSpec = {
      ...podSettings,
      where: `${where} (init)`,
      name,
      namespace,
      component: 'init',
      instance: name,
      moduleEnv,
      podLabels: armonikPodLabels('init'),
      uid,
      hashInputs,
      serviceAccountName: serviceAccountName ?? podSettings.serviceAccountName,
      restartPolicy: 'OnFailure',
      volumes: [scratchVolume('tmp')],
      containers: [
        {
          name: 'init',
          image,
          env: {
            InitServices__InitDatabase: 'true',
            InitServices__InitObjectStorage: 'true',
            InitServices__InitQueue: 'true',
            InitServices__StopAfterInit: 'true',
            Serilog__Properties__Application: 'ArmoniK.Control.Init',
            ...this.partitionEnv,
            ...props.authenticationEnv,
            ...env,
          },
          resources: props.resources,
          volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          conf: props.conf,
          confField: 'core, conf, pollingAgent.conf (init)',
        },
      ],
    } as const;
    const pod = buildPodTemplate(this, podSpec);
    const jobSpec = { backoffLimit: 20, template: pod.template };
    this.job = new ApiObject(this, 'job', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: `${name}-${shortHash(JSON.stringify(pod.template), 10)}`, namespace, labels: pod.labels },
      spec: jobSpec,
    });
    if (schedule !== null) {
      this.cronJob = new ApiObject(this, 'cronjob', {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name, namespace, labels: pod.labels },
        spec: {
          schedule: schedule.trim(),
          concurrencyPolicy: 'Replace',
          startingDeadlineSeconds: 20,
          successfulJobsHistoryLimit: 1,
          failedJobsHistoryLimit: 5,
          jobTemplate: { metadata: { labels: pod.labels }, spec: jobSpec },
        },
      });
    }
    this.networkPolicy = registerNetworkPolicy(this, podSpec, pod);
    claimObjectNames(this, where);
  }
}
