import { ModuleOutputsError } from './errors.js';
import type { ParsedModule } from './parse.js';
import type { EnvEntry, EnvFromEntry, EnvSource, MountEntry } from './types.js';

/** How a merge treats two modules that set the same thing differently. */
export interface MergeOptions {
  /**
   * `error`: throw a {@link ModuleOutputsError} naming both modules.
   * `last-wins`: the later module silently wins, as ArmoniK.Infra's Terraform merge does.
   * @default 'error'
   */
  readonly onConflict?: 'error' | 'last-wins';
}

const RESOLVE_HINT = "remove it from one of them, or merge with { onConflict: 'last-wins' } to let the later module win";

/** Merges parsed modules in order; sets are unions in first-seen order, maps must agree. */
export function mergeParsed(parts: readonly ParsedModule[], options: MergeOptions = {}): ParsedModule {
  const lastWins = options.onConflict === 'last-wins';
  if (options.onConflict !== undefined && options.onConflict !== 'error' && !lastWins) {
    throw new ModuleOutputsError('merge', '/onConflict', `must be 'error' or 'last-wins', not ${JSON.stringify(options.onConflict)}`);
  }
  const env = new Map<string, EnvEntry>();
  const envFrom = new Map<string, EnvFromEntry>();
  const mounts = new Map<string, MountEntry>();
  // One mount_volume_claim key is one claim (named after the key): two different claims under one
  // key would share a name, and one of them would silently be dropped.
  const claims = new Map<string, MountEntry>();

  for (const part of parts) {
    for (const entry of part.env) {
      const existing = env.get(entry.name);
      if (existing && !sameEnvSource(existing.source, entry.source)) {
        if (!lastWins) {
          throw conflict(existing, entry, `"${entry.name}" is ${describeEnv(existing.source)} by "${existing.module}" but ${describeEnv(entry.source)} by "${entry.module}"`);
        }
        env.delete(entry.name); // re-insert: the winner takes the later position
      }
      if (!existing || lastWins) env.set(entry.name, entry);
    }
    for (const entry of part.envFrom) {
      const id = `${entry.kind}/${entry.name}`;
      if (!envFrom.has(id)) envFrom.set(id, entry);
    }
    for (const entry of part.mounts) {
      if (entry.source.kind === 'newClaim') {
        const claim = claims.get(entry.key);
        if (claim && volumeIdentity(claim) !== volumeIdentity(entry)) {
          if (!lastWins) {
            throw conflict(claim, entry, describeClaimConflict(entry.key, claim, entry));
          }
          // As Terraform's merge() of the output maps: the later entry under that key replaces the earlier one.
          if (mounts.get(claim.mountPath) === claim) mounts.delete(claim.mountPath);
        }
        if (!claim || lastWins) claims.set(entry.key, entry);
      }
      const existing = mounts.get(entry.mountPath);
      if (existing && !sameMount(existing, entry)) {
        if (!lastWins) {
          throw conflict(
            existing,
            { module: entry.module, path: `${entry.path}/path` },
            volumeIdentity(existing) === volumeIdentity(entry)
              ? `${describeMount(existing)} is mounted at "${entry.mountPath}" ${describeMountOptions(existing)} by "${existing.module}" but ${describeMountOptions(entry)} by "${entry.module}"`
              : `two different volumes are mounted at "${entry.mountPath}": ${describeMount(existing)} by "${existing.module}" and ${describeMount(entry)} by "${entry.module}"`,
          );
        }
        mounts.delete(entry.mountPath);
      }
      if (!existing || lastWins) mounts.set(entry.mountPath, entry);
    }
  }
  return { env: [...env.values()], envFrom: [...envFrom.values()], mounts: [...mounts.values()] };
}

function conflict(first: { module: string }, second: { module: string; path: string }, what: string): ModuleOutputsError {
  if (first.module === second.module) {
    return new ModuleOutputsError(second.module, second.path, `${what}; a module must not set one thing twice`);
  }
  return new ModuleOutputsError(second.module, second.path, `${what}; ${RESOLVE_HINT}`, first.module);
}

function sameEnvSource(a: EnvSource, b: EnvSource): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'value') return a.value === (b as typeof a).value;
  return a.name === (b as typeof a).name && a.key === (b as typeof a).key;
}

function describeEnv(s: EnvSource): string {
  switch (s.kind) {
    case 'value':
      return `set to ${JSON.stringify(s.value)}`;
    case 'configMapKey':
      return `read from ConfigMap "${s.name}" key "${s.key}"`;
    case 'secretKey':
      return `read from Secret "${s.name}" key "${s.key}"`;
  }
}

function sameMount(a: MountEntry, b: MountEntry): boolean {
  return a.subPath === b.subPath && a.readOnly === b.readOnly && volumeIdentity(a) === volumeIdentity(b);
}

/**
 * Two mounts share a volume when their sources are equal. A claim to create is tied to its key:
 * two modules asking for a claim under different keys get two claims.
 */
export function volumeIdentity(m: MountEntry): string {
  return m.source.kind === 'newClaim' ? JSON.stringify([m.source, m.key]) : JSON.stringify(m.source);
}

function describeMountOptions(m: MountEntry): string {
  return `${m.readOnly ? 'read-only' : 'writable'}, ${m.subPath === undefined ? 'whole' : `subPath "${m.subPath}"`}`;
}

/** Two different claims asked for under one name, as messages say it. */
export function describeClaimConflict(claimName: string, first: MountEntry, second: MountEntry): string {
  return `claim "${claimName}" is asked for as ${describeSource(first)} by "${first.module}" but as ${describeSource(second)} by "${second.module}"`;
}

/** A claim to create as messages describe it: `10Gi, ReadWriteOnce, storage class "fast"`. */
export function describeSource(m: MountEntry): string {
  const s = m.source;
  if (s.kind !== 'newClaim') return describeMount(m);
  return `${s.size}, ${s.accessModes.join('+')}${s.storageClass === undefined ? '' : `, storage class "${s.storageClass}"`}`;
}

function describeMount(m: MountEntry): string {
  const s = m.source;
  switch (s.kind) {
    case 'configMap':
      return `ConfigMap "${s.name}"`;
    case 'secret':
      return `Secret "${s.name}"`;
    case 'claim':
      return `claim "${s.claimName}"`;
    case 'nfs':
      return `NFS ${s.server}:${s.path}`;
    case 'emptyDir':
      return 'an emptyDir';
    case 'newClaim':
      return `a new claim "${m.key}"`;
  }
}
