import { toDns1123Label } from '../k8s/names.js';
import { by } from '../k8s/sort.js';
import { PodVolumeNames } from './volume-names.js';
import { defined, type ParsedModule } from './parse.js';
import type { EnvFromSource, EnvVar, MountEntry, PersistentVolumeClaimSpec, PodSpecParts, Volume, VolumeMount } from './types.js';

/** Options of {@link ModuleOutputs.toPodSpecParts}. */
export interface RenderOptions {
  /**
   * Prefix of the PersistentVolumeClaims created for `mount_volume_claim`, so that two components
   * consuming one module get a claim each (e.g. the component's name).
   * @default none: the claim is named after its mount key
   */
  readonly claimNamePrefix?: string;
  /**
   * The volume names of the whole pod: pass one instance to every container's render (and
   * reserve the pod's own volume names in it), so containers agree on shared sources and no
   * name is given twice.
   * @default names private to this render
   */
  readonly volumeNames?: PodVolumeNames;
}

/** Renders merged outputs as plain Kubernetes JSON, deterministically. */
export function renderPodSpecParts(merged: ParsedModule, options: RenderOptions = {}): PodSpecParts {
  const literals: EnvVar[] = [];
  const refs: EnvVar[] = [];
  for (const e of merged.env) {
    const s = e.source;
    if (s.kind === 'value') literals.push({ name: e.name, value: s.value });
    else if (s.kind === 'configMapKey') refs.push({ name: e.name, valueFrom: { configMapKeyRef: { name: s.name, key: s.key } } });
    else refs.push({ name: e.name, valueFrom: { secretKeyRef: { name: s.name, key: s.key } } });
  }
  const byName = by('name');
  const env = [...literals.sort(byName), ...refs.sort(byName)];

  const envFrom: EnvFromSource[] = merged.envFrom.map((e) =>
    e.kind === 'configMap' ? { configMapRef: { name: e.name } } : { secretRef: { name: e.name } },
  );

  const mounts = [...merged.mounts].sort(by('mountPath'));
  const names = options.volumeNames ?? new PodVolumeNames();
  const volumes: Volume[] = [];
  const claims: PersistentVolumeClaimSpec[] = [];
  const volumeMounts: VolumeMount[] = [];
  const emitted = new Set<string>();
  for (const m of mounts) {
    const name = names.nameOf(m);
    if (!emitted.has(name)) {
      emitted.add(name);
      const claimName = m.source.kind === 'newClaim' ? toDns1123Label(options.claimNamePrefix ? `${options.claimNamePrefix}-${m.key}` : m.key) : '';
      if (m.source.kind === 'newClaim') names.claim(claimName, m);
      volumes.push(renderVolume(name, m, claimName));
      if (m.source.kind === 'newClaim') {
        claims.push({
          name: claimName,
          spec: {
            accessModes: [...m.source.accessModes],
            resources: { requests: { storage: m.source.size } },
            ...defined({ storageClassName: m.source.storageClass }),
          },
        });
      }
    }
    volumeMounts.push({ name, mountPath: m.mountPath, ...defined({ subPath: m.subPath }), ...(m.readOnly ? { readOnly: true } : {}) });
  }
  volumes.sort(byName);
  claims.sort(byName);
  return { env, envFrom, volumes, volumeMounts, persistentVolumeClaims: claims };
}

function renderVolume(name: string, m: MountEntry, claimName: string): Volume {
  const s = m.source;
  switch (s.kind) {
    case 'configMap':
      return { name, configMap: { name: s.name, ...defined({ defaultMode: s.defaultMode, items: s.items?.map((i) => ({ ...i })) }) } };
    case 'secret':
      return { name, secret: { secretName: s.name, ...defined({ defaultMode: s.defaultMode, items: s.items?.map((i) => ({ ...i })) }) } };
    case 'claim':
      return { name, persistentVolumeClaim: { claimName: s.claimName } };
    case 'nfs':
      return { name, nfs: { server: s.server, path: s.path } };
    case 'emptyDir':
      return { name, emptyDir: defined({ medium: s.medium, sizeLimit: s.sizeLimit }) };
    case 'newClaim':
      return { name, persistentVolumeClaim: { claimName } };
  }
}
