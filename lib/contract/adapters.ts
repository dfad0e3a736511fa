import { Size } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { describeValue, isPlainObject, ValidationError } from '../k8s/validation.js';
import { normalizeAbsolutePath } from '../k8s/validators.js';
import { ModuleOutputsError } from './errors.js';
import type { ModuleOutputs } from './module-outputs.js';
import type { PodSpecParts } from './types.js';

/** A raw PodSpec: plain JSON, or the `k8s.PodSpec` of the L1 `k8s.Kube*` classes. */
export interface RawPodSpec {
  readonly containers: ReadonlyArray<{ readonly name: string }>;
  readonly volumes?: ReadonlyArray<{ readonly name: string }>;
}

/** Options of {@link applyToPodSpec}. */
export interface ApplyToPodSpecOptions {
  /** Containers (by name) that get env, envFrom and mounts. @default every container */
  readonly containers?: readonly string[];
}

/**
 * Returns a copy of `podSpec` with the parts applied: env, envFrom and mounts on the chosen
 * containers, volumes on the pod. A container that already sets an env var the modules set, or a
 * volume name or mount path already in use, is an error: nothing is silently overridden.
 */
export function applyToPodSpec<T extends RawPodSpec>(spec: T, parts: PodSpecParts, options: ApplyToPodSpecOptions = {}): T {
  const where = 'applyToPodSpec';
  if (!isPlainObject(spec) || !Array.isArray(spec.containers)) {
    throw new ValidationError(where, 'podSpec', `must be a PodSpec with a list of containers, not ${describeValue(spec)}${isPlainObject(spec) ? ' without containers' : ''}`);
  }
  checkParts(where, parts);
  if (!isPlainObject(options)) throw new ValidationError(where, 'options', `must be an object ({ containers }), not ${describeValue(options)}`);
  const podSpec = spec as unknown as { containers: Array<Record<string, any> & { name: string }>; volumes?: Array<{ name: string }> };
  const wanted = options.containers;
  if (wanted !== undefined && !Array.isArray(wanted)) throw new ValidationError(where, 'options.containers', `must be a list of container names, not ${describeValue(wanted)}`);
  const names = podSpec.containers.map((c, i) => {
    if (!isPlainObject(c) || typeof c.name !== 'string') throw new ValidationError(where, `podSpec.containers[${i}]`, `must be a container with a name, not ${describeValue(c)}`);
    return c.name;
  });
  for (const name of wanted ?? []) {
    if (!names.includes(name)) throw new ValidationError(where, 'options.containers', `no container named ${JSON.stringify(name)} (have ${names.join(', ')})`, name);
  }
  const volumes = [...(podSpec.volumes ?? [])];
  const volumeNames = new Set(volumes.map((v) => v.name));
  for (const v of parts.volumes) {
    if (volumeNames.has(v.name)) throw new ValidationError(where, 'podSpec.volumes', `the pod already has a volume named "${v.name}", which the modules need for their own source; reserve the pod's names with PodVolumeNames when rendering`, v.name);
    volumes.push(v);
  }
  const containers = podSpec.containers.map((c) => {
    if (wanted && !wanted.includes(c.name)) return c;
    const env: Array<{ name: string }> = [...(c.env ?? [])];
    const own = new Set(env.map((e) => e.name));
    for (const e of parts.env) {
      if (own.has(e.name)) throw new ValidationError(where, `containers.${c.name}.env`, `container "${c.name}" already sets env "${e.name}", which a module sets too`, e.name);
      env.push(e);
    }
    const mounts: Array<{ mountPath: string }> = [...(c.volumeMounts ?? [])];
    // One normal form for both sides: the container's own `/data/` is the module's `/data`.
    const paths = new Set(mounts.map((m) => normalizeAbsolutePath(String(m.mountPath))));
    for (const m of parts.volumeMounts) {
      if (paths.has(normalizeAbsolutePath(m.mountPath))) {
        throw new ValidationError(where, `containers.${c.name}.volumeMounts`, `container "${c.name}" already mounts "${m.mountPath}", which a module mounts too`, m.mountPath);
      }
      mounts.push(m);
    }
    return {
      ...c,
      ...(env.length ? { env } : {}),
      ...(c.envFrom?.length || parts.envFrom.length ? { envFrom: [...(c.envFrom ?? []), ...parts.envFrom] } : {}),
      ...(mounts.length ? { volumeMounts: mounts } : {}),
    };
  });
  return { ...podSpec, containers, ...(volumes.length ? { volumes } : {}) } as unknown as T;
}

/** The parts must be what toPodSpecParts returned: five lists. */
function checkParts(where: string, parts: PodSpecParts): void {
  if (!isPlainObject(parts)) throw new ValidationError(where, 'parts', `must be what ModuleOutputs.toPodSpecParts() returns, not ${describeValue(parts)}`);
  for (const field of ['env', 'envFrom', 'volumes', 'volumeMounts', 'persistentVolumeClaims'] as const) {
    if (!Array.isArray(parts[field])) throw new ValidationError(where, `parts.${field}`, `must be a list (what ModuleOutputs.toPodSpecParts() returns), not ${describeValue(parts[field])}`);
  }
}

/**
 * Applies module outputs to a cdk8s-plus-28 container (its pod gets the volumes through the
 * mounts). Claims of `mount_volume_claim` are created in `scope` as PersistentVolumeClaims.
 */
export function applyToContainer(scope: Construct, container: plus.Container, outputs: ModuleOutputs, options: { claimNamePrefix?: string } = {}): void {
  const parts = outputs.toPodSpecParts(options);
  const refs = new Map<string, plus.IConfigMap | plus.ISecret>();
  const ref = (kind: 'ConfigMap' | 'Secret', name: string): any => {
    const id = `${kind}-${name}`;
    let r = refs.get(id) ?? (scope.node.tryFindChild(id) as plus.IConfigMap | undefined);
    if (!r) {
      r = kind === 'ConfigMap' ? plus.ConfigMap.fromConfigMapName(scope, id, name) : plus.Secret.fromSecretName(scope, id, name);
    }
    refs.set(id, r);
    return r;
  };
  for (const e of parts.env) {
    const from = e.valueFrom;
    const value = from?.configMapKeyRef
      ? plus.EnvValue.fromConfigMap(ref('ConfigMap', from.configMapKeyRef.name), from.configMapKeyRef.key)
      : from?.secretKeyRef
        ? plus.EnvValue.fromSecretValue({ secret: ref('Secret', from.secretKeyRef.name), key: from.secretKeyRef.key })
        : plus.EnvValue.fromValue(e.value!);
    container.env.addVariable(e.name, value);
  }
  for (const e of parts.envFrom) {
    container.env.copyFrom(
      e.configMapRef ? plus.Env.fromConfigMap(ref('ConfigMap', e.configMapRef.name)) : plus.Env.fromSecret(ref('Secret', e.secretRef!.name)),
    );
  }
  const volumes = new Map<string, plus.Volume>();
  for (const v of parts.volumes) volumes.set(v.name, toPlusVolume(scope, v as any, parts));
  for (const m of parts.volumeMounts) {
    container.mount(m.mountPath, volumes.get(m.name)!, { readOnly: m.readOnly ?? false, ...(m.subPath ? { subPath: m.subPath } : {}) });
  }
}

function toPlusVolume(scope: Construct, v: Record<string, any>, parts: PodSpecParts): plus.Volume {
  const id = `Volume-${v.name}`;
  const items = (list?: Array<{ key: string; path: string; mode?: number }>) =>
    list ? Object.fromEntries(list.map((i) => [i.key, { path: i.path, ...(i.mode === undefined ? {} : { mode: i.mode }) }])) : undefined;
  if (v.configMap) {
    const cm = plus.ConfigMap.fromConfigMapName(scope, `${id}-source`, v.configMap.name);
    return plus.Volume.fromConfigMap(scope, id, cm, { name: v.name, defaultMode: v.configMap.defaultMode, items: items(v.configMap.items) });
  }
  if (v.secret) {
    const secret = plus.Secret.fromSecretName(scope, `${id}-source`, v.secret.secretName);
    return plus.Volume.fromSecret(scope, id, secret, { name: v.name, defaultMode: v.secret.defaultMode, items: items(v.secret.items) });
  }
  if (v.persistentVolumeClaim) {
    const claimName: string = v.persistentVolumeClaim.claimName;
    const spec = parts.persistentVolumeClaims.find((c) => c.name === claimName);
    const claim = spec
      ? new plus.PersistentVolumeClaim(scope, `Claim-${claimName}`, {
          metadata: { name: claimName },
          accessModes: spec.spec.accessModes as plus.PersistentVolumeAccessMode[],
          storage: toSize(spec.spec.resources.requests.storage, `mount_volume_claim ${claimName}: size`),
          ...(spec.spec.storageClassName ? { storageClassName: spec.spec.storageClassName } : {}),
        })
      : plus.PersistentVolumeClaim.fromClaimName(scope, `${id}-source`, claimName);
    return plus.Volume.fromPersistentVolumeClaim(scope, id, claim, { name: v.name });
  }
  if (v.nfs) return plus.Volume.fromNfs(scope, id, v.name, { server: v.nfs.server, path: v.nfs.path });
  const medium = v.emptyDir.medium === 'Memory' ? plus.EmptyDirMedium.MEMORY : undefined;
  const sizeLimit = v.emptyDir.sizeLimit ? toSize(v.emptyDir.sizeLimit, `volume ${v.name}: size_limit`) : undefined;
  return plus.Volume.fromEmptyDir(scope, id, v.name, { ...(medium ? { medium } : {}), ...(sizeLimit ? { sizeLimit } : {}) });
}

/** cdk8s `Size` knows binary units only; decimal quantities need the raw PodSpec adapter. */
function toSize(quantity: string, field: string): Size {
  const m = /^(\d+)(Ki|Mi|Gi|Ti|Pi)$/.exec(quantity);
  if (!m) throw new ModuleOutputsError('cdk8s-plus', field, `"${quantity}" cannot be expressed as a cdk8s Size (use Ki, Mi, Gi, Ti or Pi), or use applyToPodSpec`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'Ki':
      return Size.kibibytes(n);
    case 'Mi':
      return Size.mebibytes(n);
    case 'Gi':
      return Size.gibibytes(n);
    case 'Ti':
      return Size.tebibytes(n);
    default:
      return Size.pebibyte(n);
  }
}
