/**
 * How a component receives its modules' literal env: inline in the container (the default), or
 * written into a ConfigMap loaded with `envFrom` (ArmoniK.Infra's style), whose content hash
 * annotates the pod template so that pods roll when it changes.
 */
export enum ModuleEnv {
  /** Literal env values inline in each container's `env`. */
  INLINE = 'inline',
  /** Literal env values in a ConfigMap `<workload>-<container>-env`, loaded last with `envFrom`. */
  CONFIG_MAP = 'configmap',
}

/** Annotation of the pod template carrying the hash of the generated env ConfigMaps. */
export const MODULE_ENV_HASH_ANNOTATION = 'platform-constructs.io/module-env-hash';
