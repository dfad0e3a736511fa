/**
 * The module-output contract of ArmoniK AEP 5, in three spellings:
 * - {@link ModuleOutputsProps}: TypeScript props (camelCase), for `ModuleOutputs.of`;
 * - {@link HclModuleOutputs}: the snake_case object a Terraform module exposes (`module.mongodb`);
 * - the `terraform output -json` document, whose entries wrap those values in `{ value, type, sensitive }`.
 */

/** A literal env value as Terraform may emit it; numbers and booleans become strings. */
export type EnvLiteral = string | number | boolean;

/** A file mode: an octal string (`"600"`, `"0644"`) or the integer Kubernetes stores (`420`). */
export type FileMode = string | number;

/** One key of a ConfigMap or Secret projected as a file. */
export interface ItemProps {
  /** The key inside the ConfigMap/Secret. */
  readonly field: string;
  /** Mode of this file. @default the mount's mode */
  readonly mode?: FileMode;
}

interface MountBaseProps {
  /** Absolute path in the container. */
  readonly path: string;
  /** Mount only this sub path of the volume. @default the whole volume */
  readonly subPath?: string;
}

interface ObjectMountProps extends MountBaseProps {
  /** Default mode of the files. @default Kubernetes' default, 0644 */
  readonly mode?: FileMode;
  /** Project only these keys, each to a file name (the map key). @default every key */
  readonly items?: Readonly<Record<string, ItemProps>>;
}

/** A ConfigMap mounted as files (always read-only). */
export interface ConfigMapMountProps extends ObjectMountProps {
  /** Name of the ConfigMap. */
  readonly configmap: string;
}

/** A Secret mounted as files (always read-only). */
export interface SecretMountProps extends ObjectMountProps {
  /** Name of the Secret. */
  readonly secret: string;
}

/** An inline NFS export. */
export interface NfsProps {
  /** Host name or IP of the NFS server. */
  readonly server: string;
  /** Exported path on the server. */
  readonly path: string;
}

/** A scratch volume that lives as long as the pod. */
export interface EmptyDirProps {
  /** `Memory` for a tmpfs. @default node storage */
  readonly medium?: '' | 'Memory';
  /** Size limit, a Kubernetes quantity such as `1Gi`. @default no limit */
  readonly sizeLimit?: string;
}

/**
 * A volume the consumer mounts: exactly one of `claimName`, `nfs` or `emptyDir`.
 * Writable unless `readOnly` (a shared storage adapter writes to it).
 */
export interface VolumeMountProps extends MountBaseProps {
  /** An existing PersistentVolumeClaim. */
  readonly claimName?: string;
  /** An NFS export mounted directly. */
  readonly nfs?: NfsProps;
  /** A pod-local scratch directory. */
  readonly emptyDir?: EmptyDirProps;
  /** Mount read-only. @default false */
  readonly readOnly?: boolean;
}

/** A PersistentVolumeClaim the consumer creates for itself and mounts. */
export interface VolumeClaimMountProps extends MountBaseProps {
  /** Requested size, a Kubernetes quantity such as `10Gi`. */
  readonly size: string;
  /** Storage class. @default the cluster's default class */
  readonly storageClass?: string;
  /** Access modes. @default ['ReadWriteOnce'] */
  readonly accessModes?: readonly AccessMode[];
  /** Mount read-only. @default false */
  readonly readOnly?: boolean;
}

export type AccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';

/** A reference to one key of a ConfigMap. */
export interface ConfigMapKeyProps {
  readonly configmap: string;
  readonly field: string;
}

/** A reference to one key of a Secret. */
export interface SecretKeyProps {
  readonly secret: string;
  readonly field: string;
}

/** The nine outputs of AEP 5, each optional. */
export interface ModuleOutputsProps {
  /** Literal environment variables. @default none */
  readonly env?: Readonly<Record<string, EnvLiteral>>;
  /** ConfigMaps loaded whole with `envFrom`. @default none */
  readonly envConfigmap?: readonly string[];
  /** Secrets loaded whole with `envFrom`. @default none */
  readonly envSecret?: readonly string[];
  /** Variables read from one ConfigMap key each. @default none */
  readonly envFromConfigmap?: Readonly<Record<string, ConfigMapKeyProps>>;
  /** Variables read from one Secret key each. @default none */
  readonly envFromSecret?: Readonly<Record<string, SecretKeyProps>>;
  /** ConfigMaps mounted as files. @default none */
  readonly mountConfigmap?: Readonly<Record<string, ConfigMapMountProps>>;
  /** Secrets mounted as files. @default none */
  readonly mountSecret?: Readonly<Record<string, SecretMountProps>>;
  /** Existing or inline volumes. @default none */
  readonly mountVolume?: Readonly<Record<string, VolumeMountProps>>;
  /** Claims the consumer creates. @default none */
  readonly mountVolumeClaim?: Readonly<Record<string, VolumeClaimMountProps>>;
}

/** The snake_case object of a Terraform module (`module.x`); unknown outputs are ignored. */
export type HclModuleOutputs = Record<string, unknown>;

/** The names of the nine outputs, in the order of AEP 5. */
export const OUTPUT_NAMES = [
  'env',
  'env_configmap',
  'env_secret',
  'env_from_configmap',
  'env_from_secret',
  'mount_configmap',
  'mount_secret',
  'mount_volume',
  'mount_volume_claim',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

// ---- Normalized form: validated, strings everywhere, each entry tagged with its module ----

export type EnvSource =
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'configMapKey'; readonly name: string; readonly key: string }
  | { readonly kind: 'secretKey'; readonly name: string; readonly key: string };

export interface EnvEntry {
  readonly name: string;
  readonly source: EnvSource;
  readonly module: string;
  /** Pointer inside the module's outputs, for error messages. */
  readonly path: string;
}

export interface EnvFromEntry {
  readonly kind: 'configMap' | 'secret';
  readonly name: string;
  readonly module: string;
  readonly path: string;
}

export interface KeyToPath {
  readonly key: string;
  readonly path: string;
  readonly mode?: number;
}

export type VolumeSource =
  | { readonly kind: 'configMap' | 'secret'; readonly name: string; readonly defaultMode?: number; readonly items?: readonly KeyToPath[] }
  | { readonly kind: 'claim'; readonly claimName: string }
  | { readonly kind: 'nfs'; readonly server: string; readonly path: string }
  | { readonly kind: 'emptyDir'; readonly medium?: string; readonly sizeLimit?: string }
  | { readonly kind: 'newClaim'; readonly size: string; readonly storageClass?: string; readonly accessModes: readonly string[] };

export interface MountEntry {
  /** The mount's key in the module's output map. */
  readonly key: string;
  readonly output: OutputName;
  readonly mountPath: string;
  readonly subPath?: string;
  readonly readOnly: boolean;
  readonly source: VolumeSource;
  readonly module: string;
  readonly path: string;
}

// ---- Rendered form: plain Kubernetes JSON ----

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string }; secretKeyRef?: { name: string; key: string } };
}
export interface EnvFromSource {
  configMapRef?: { name: string };
  secretRef?: { name: string };
}
export interface Volume {
  name: string;
  [source: string]: unknown;
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly?: boolean;
}
/** A PersistentVolumeClaim to create, from `mount_volume_claim`. */
export interface PersistentVolumeClaimSpec {
  name: string;
  spec: { accessModes: string[]; resources: { requests: { storage: string } }; storageClassName?: string };
}

/** What a component's pod spec gets from its modules. */
export interface PodSpecParts {
  readonly env: EnvVar[];
  readonly envFrom: EnvFromSource[];
  readonly volumes: Volume[];
  readonly volumeMounts: VolumeMount[];
  /** Claims the consumer must create (from `mount_volume_claim`). */
  readonly persistentVolumeClaims: PersistentVolumeClaimSpec[];
}
