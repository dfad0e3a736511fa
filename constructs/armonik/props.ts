/**
 * The ArmoniK-specific checks of props where they enter (the generic ones, such as props objects
 * with known fields and `env` maps, are lib/k8s/props.ts): `conf` lists, the module env style,
 * partition names, the `core` source, env that would override derived settings. Each throws a {@link ValidationError} naming the
 * construct (`where`) and the prop; never a TypeError from reading a field of something else.
 */
import type { Construct } from 'constructs';
import { describeValue, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain, checkInteger, labelKeyReason, labelValueReason } from '../../lib/k8s/validators.js';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { isDns1123Label } from '../../lib/k8s/names.js';
import { MODULE_ENV_HASH_ANNOTATION, ModuleEnv } from './module-env.js';
import { checkInstance, checkMetadataMap, checkObject, checkStringList } from '../../lib/k8s/props.js';
import { ArmoniKServiceAccount } from './service-account.js';
import type { MetricsExporterProps } from './metrics-exporter.js';
import type { CoreSettingsSource, ModuleList } from './workload.js';

/**
 * A `conf` prop: a list of modules (constructs with `outputs`) or ModuleOutputs, or `[]` when not
 * given. Check each prop before spreading lists together: a string spread into a list is its characters.
 */
export function checkModuleList(where: string, field: string, conf: ModuleList | undefined): ModuleList {
  if (conf === undefined) return [];
  if (!Array.isArray(conf)) throw new ValidationError(where, field, `must be a list of modules, not ${describeValue(conf)}`, conf);
  conf.forEach((m, i) => {
    if (!(m instanceof ModuleOutputs) && !((m as IModule | null)?.outputs instanceof ModuleOutputs)) {
      throw new ValidationError(where, `${field}[${i}]`, `must be a module (a construct with outputs) or ModuleOutputs, not ${describeValue(m)}`);
    }
  });
  return conf;
}

/** The `moduleEnv` prop: one of {@link ModuleEnv}'s values. */
export function checkModuleEnv(where: string, field: string, value: ModuleEnv | undefined): ModuleEnv {
  if (value === undefined) return ModuleEnv.INLINE;
  const allowed = Object.values(ModuleEnv) as string[];
  if (!allowed.includes(value as string)) {
    throw new ValidationError(where, field, `${showValue(value)} is not a ModuleEnv (${allowed.map((v) => `'${v}'`).join(' or ')})`, value);
  }
  return value;
}

/** An optional ServiceAccount name (a DNS-1123 subdomain). */
export function checkServiceAccountName(where: string, field: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : checkDns1123Subdomain(where, field, value, 'ServiceAccount');
}

/** The pod settings every ArmoniK component takes (the compute plane's partitions too), with ArmoniK.Infra's names. */
export interface PodSettingsProps {
  /**
   * Name of an existing ServiceAccount the pods run as (Infra's `service_account_name`), e.g. one bound to a
   * cloud IAM role for S3 or SQS; shorthand for `serviceAccount: ArmoniKServiceAccount.fromName(name)`.
   * @default none (no API token mounted)
   */
  readonly serviceAccountName?: string;
  /** The ServiceAccount the pods run as: an existing one or one created here (e.g. annotated with an IAM role); not with `serviceAccountName`. @default none (no API token mounted) */
  readonly serviceAccount?: ArmoniKServiceAccount;
  /** Labels of the nodes the pods may run on (Infra's `node_selector`); each is also tolerated as a `NoSchedule` taint, as Infra does. @default none */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** Tolerations of the pods, after those of `nodeSelector`. @default none */
  readonly tolerations?: readonly Toleration[];
  /** Secrets to pull the images with (Infra's `image_pull_secrets`, one name there). @default none */
  readonly imagePullSecrets?: readonly string[];
  /** When the kubelet pulls the images of the pods' containers (Infra's `image_pull_policy`). @default 'IfNotPresent' (Infra's) */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Annotations of the pods (Infra's `annotations`); not those the component sets itself
   * (`platform-constructs.io/module-env-hash`, `armonik.aneo.fr/partition-priority`).
   * On the compute plane: the pod-deletion-cost updater (`PodDeletionCost`, on by default in `ArmoniK`)
   * replaces all the annotations of running compute-plane pods (its JSON patch adds `/metadata/annotations`
   * whole), so these hold only until its first update of a pod; the pod template keeps them.
   * @default none
   */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Pod annotations a component sets itself: not for an `annotations` prop. */
const OWN_POD_ANNOTATIONS = [MODULE_ENV_HASH_ANNOTATION, 'armonik.aneo.fr/partition-priority'];

const IMAGE_PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];

/** A toleration of a taint, as Kubernetes spells it. */
export interface Toleration {
  /** Taint key; none with `Exists` tolerates every taint. @default none */
  readonly key?: string;
  /** @default 'Equal' */
  readonly operator?: 'Equal' | 'Exists';
  /** Taint value, with `Equal` only. @default none */
  readonly value?: string;
  /** @default none: every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /** Seconds the pod stays bound once tainted, with `NoExecute` only. @default forever */
  readonly tolerationSeconds?: number;
}

const TOLERATION_FIELDS: ReadonlyArray<keyof Toleration> = ['key', 'operator', 'value', 'effect', 'tolerationSeconds'];
const TOLERATION_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** The fields of {@link PodSettingsProps}, for the checks of unknown fields. */
export const POD_SETTINGS_PROPS: ReadonlyArray<keyof PodSettingsProps> = [
  'serviceAccountName', 'serviceAccount', 'nodeSelector', 'tolerations', 'imagePullSecrets', 'imagePullPolicy', 'annotations',
];

/** {@link PodSettingsProps}, checked: what a component's pod spec gets from them (only what was given). */
export interface PodSettings {
  readonly serviceAccountName?: string;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: ReadonlyArray<Record<string, unknown>>;
  readonly imagePullSecrets?: readonly string[];
  readonly imagePullPolicy?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A pod's `annotations` prop: valid keys, string values, none the component sets itself. */
export function checkPodAnnotations(where: string, field: string, annotations: Readonly<Record<string, string>> | undefined): Record<string, string> {
  checkMetadataMap(where, field, annotations as Record<string, string> | undefined, 'annotation');
  for (const key of OWN_POD_ANNOTATIONS) {
    if (annotations && Object.prototype.hasOwnProperty.call(annotations, key)) {
      throw new ValidationError(where, `${field}.${key}`, `${quote(key)} is set by the component itself; remove it from ${field}`, annotations[key]);
    }
  }
  return { ...annotations };
}

/** Names of the Secrets to pull images with (`imagePullSecrets`), each a DNS-1123 subdomain. */
export function checkImagePullSecrets(where: string, field: string, list: readonly string[] | undefined): string[] {
  const names = checkStringList(where, field, list);
  names.forEach((s, i) => checkDns1123Subdomain(where, `${field}[${i}]`, s, 'Secret'));
  return names;
}

/** Infra's `node_selector`: label keys to label values. */
export function checkNodeSelector(where: string, field: string, selector: Readonly<Record<string, string>> | undefined): Record<string, string> {
  checkMetadataMap(where, field, selector as Record<string, string> | undefined, 'label');
  return { ...selector };
}

/** ArmoniK.Infra's tolerations of a node selector: one `NoSchedule` toleration per label (e.g. `control-plane.tf`, `pdc.tf`). */
export function nodeSelectorTolerations(selector: Readonly<Record<string, string>> | undefined): Array<Record<string, unknown>> {
  return Object.entries(selector ?? {}).map(([key, value]) => ({ key, operator: 'Equal', value, effect: 'NoSchedule' }));
}

/** A list of tolerations, as the API server accepts them. */
export function checkTolerations(where: string, field: string, list: readonly Toleration[] | undefined): Array<Record<string, unknown>> {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ValidationError(where, field, `must be a list of tolerations, not ${describeValue(list)}`, list);
  return list.map((t, i) => {
    const f = `${field}[${i}]`;
    const o = checkObject<Toleration>(where, f, t, TOLERATION_FIELDS);
    const operator = o.operator ?? 'Equal';
    if (operator !== 'Equal' && operator !== 'Exists') throw new ValidationError(where, `${f}.operator`, `${showValue(operator)} is not 'Equal' or 'Exists'`, operator);
    if (o.key !== undefined) {
      const bad = labelKeyReason(o.key);
      if (bad) throw new ValidationError(where, `${f}.key`, bad, o.key);
    } else if (operator !== 'Exists') {
      throw new ValidationError(where, `${f}.key`, `give a key, or operator 'Exists' to tolerate every taint`);
    }
    if (o.value !== undefined) {
      if (operator === 'Exists') throw new ValidationError(where, `${f}.value`, `a toleration with operator 'Exists' has no value`, o.value);
      const bad = labelValueReason(o.value);
      if (bad) throw new ValidationError(where, `${f}.value`, bad, o.value);
    }
    if (o.effect !== undefined && !TOLERATION_EFFECTS.includes(o.effect)) {
      throw new ValidationError(where, `${f}.effect`, `${showValue(o.effect)} is not ${TOLERATION_EFFECTS.map((e) => `'${e}'`).join(', ')}`, o.effect);
    }
    if (o.tolerationSeconds !== undefined) {
      if (o.effect !== 'NoExecute') throw new ValidationError(where, `${f}.tolerationSeconds`, `applies to effect 'NoExecute' only`, o.tolerationSeconds);
      checkInteger(where, `${f}.tolerationSeconds`, o.tolerationSeconds, 0);
    }
    return {
      ...(o.key === undefined ? {} : { key: o.key }),
      operator,
      ...(o.value === undefined ? {} : { value: o.value }),
      ...(o.effect === undefined ? {} : { effect: o.effect }),
      ...(o.tolerationSeconds === undefined ? {} : { tolerationSeconds: o.tolerationSeconds }),
    };
  });
}

/** An `imagePullPolicy` prop. */
export function checkImagePullPolicy(where: string, field: string, policy: unknown): string {
  if (typeof policy === 'string' && IMAGE_PULL_POLICIES.includes(policy)) return policy;
  throw new ValidationError(where, field, `${showValue(policy)} is not ${IMAGE_PULL_POLICIES.map((p) => `'${p}'`).join(', ')}`, policy);
}

/** What a pod spec gets from checked {@link PodSettings}: the node selector's tolerations (Infra's) before the explicit ones. */
export function podSettingsSpec(s: PodSettings): {
  serviceAccountName?: string; nodeSelector?: Readonly<Record<string, string>>; tolerations: Array<Record<string, unknown>>; imagePullSecrets?: readonly string[]; imagePullPolicy: string;
  annotations?: Readonly<Record<string, string>>;
} {
  return {
    ...(s.annotations === undefined ? {} : { annotations: s.annotations }),
    ...(s.imagePullSecrets === undefined ? {} : { imagePullSecrets: s.imagePullSecrets }),
    imagePullPolicy: s.imagePullPolicy ?? 'IfNotPresent',
    ...(s.serviceAccountName === undefined ? {} : { serviceAccountName: s.serviceAccountName }),
    ...(s.nodeSelector === undefined ? {} : { nodeSelector: s.nodeSelector }),
    tolerations: [...nodeSelectorTolerations(s.nodeSelector), ...(s.tolerations ?? [])],
  };
}

/**
 * Checks a component's {@link PodSettingsProps} (`prefix` before each field, e.g. `partitions.a.`) and
 * creates what they ask for under `scope` (a ServiceAccount named `target.name` by default).
 */
export function checkPodSettings(scope: Construct, where: string, props: PodSettingsProps, target: { name: string; namespace: string }, prefix = ''): PodSettings {
  const account = checkInstance(where, `${prefix}serviceAccount`, props.serviceAccount, ArmoniKServiceAccount, 'ArmoniKServiceAccount.fromName() or .create()');
  if (account !== undefined && props.serviceAccountName !== undefined) {
    throw new ValidationError(where, `${prefix}serviceAccountName`, `give serviceAccountName or serviceAccount, not both`, props.serviceAccountName);
  }
  const serviceAccountName = account?._bind(scope, where, `${prefix}serviceAccount`, target)
    ?? checkServiceAccountName(where, `${prefix}serviceAccountName`, props.serviceAccountName);
  return {
    ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
    ...(props.nodeSelector === undefined ? {} : { nodeSelector: checkNodeSelector(where, `${prefix}nodeSelector`, props.nodeSelector) }),
    ...(props.tolerations === undefined ? {} : { tolerations: checkTolerations(where, `${prefix}tolerations`, props.tolerations) }),
    ...(props.imagePullSecrets === undefined ? {} : { imagePullSecrets: checkImagePullSecrets(where, `${prefix}imagePullSecrets`, props.imagePullSecrets) }),
    ...(props.imagePullPolicy === undefined ? {} : { imagePullPolicy: checkImagePullPolicy(where, `${prefix}imagePullPolicy`, props.imagePullPolicy) }),
    ...(props.annotations === undefined ? {} : { annotations: checkPodAnnotations(where, `${prefix}annotations`, props.annotations) }),
  };
}

/** The longest partition name: `compute-plane-<partition>` names its Deployment and pods' instance label (at most 63). */
export const PARTITION_NAME_MAX = 63 - 'compute-plane-'.length;

/** Why `name` cannot name a partition, or undefined. */
export function partitionNameReason(name: string): string | undefined {
  if (typeof name === 'string' && isDns1123Label(name) && name.length <= PARTITION_NAME_MAX) return undefined;
  const shown = showValue(name);
  return `${shown} is not a DNS-1123 label of at most ${PARTITION_NAME_MAX} characters (lower-case alphanumerics and '-'; "compute-plane-<partition>" names its Deployment and must fit in 63)`;
}

/** The props of a MetricsExporter, for the check of unknown fields (the partition metrics exporter adds its own). */
export const METRICS_EXPORTER_PROPS: ReadonlyArray<keyof MetricsExporterProps> = [
  'conf', 'core', 'coreVersion', 'namespace', 'name', 'image', 'resources', 'moduleEnv', 'env', ...POD_SETTINGS_PROPS,
];

/**
 * The `core` prop: a CoreSettings, another module (`outputs`) or ModuleOutputs, when given.
 * (Merged first, it would otherwise be reported as the first of the `conf` modules.)
 */
export function checkCoreSettingsSource(where: string, field: string, core: CoreSettingsSource | undefined): CoreSettingsSource | undefined {
  if (core === undefined || core === null) return undefined;
  if (core instanceof ModuleOutputs) return core;
  if (typeof core === 'object' && (core as IModule).outputs instanceof ModuleOutputs) return core;
  throw new ValidationError(where, field, `must be a CoreSettings, another module (with \`outputs\`) or ModuleOutputs, not ${describeValue(core)}`, core);
}

/**
 * Refuses, in an `env` prop, a variable the component derives from another prop (the partition,
 * the socket type, the partitions of the init): the env would silently override it, and the pod
 * would disagree with its own Deployment. `owner(name)` says which prop sets `name`, if any.
 */
export function refuseDerivedEnv(where: string, field: string, env: Readonly<Record<string, string>> | undefined, owner: (name: string) => string | undefined): void {
  for (const name of Object.keys(env ?? {})) {
    const prop = owner(name);
    if (prop !== undefined) throw new ValidationError(where, `${field}.${name}`, `${quote(name)} is set from ${prop}; remove it from ${field}`, env![name]);
  }
}
