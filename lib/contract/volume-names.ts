import { shortHash, toDns1123Label } from '../k8s/names.js';
import { ValidationError } from '../k8s/validation.js';
import { ModuleOutputsError } from './errors.js';
import { describeClaimConflict, volumeIdentity } from './merge.js';
import type { MountEntry } from './types.js';

/** The longest mount key kept whole before a `-<hash>` suffix (63 - 1 - 8). */
const KEY_ROOM = 54;

/**
 * The volume (and claim) names of one pod, shared by all of its containers: each distinct source
 * gets exactly one name, and no name is given to two sources, whichever module or container
 * asked first. Render every container of a pod with the same instance
 * (`toPodSpecParts({ volumeNames })`) so that two containers mounting one source share its
 * volume, and two sources with the same mount key (or a key that looks like another's hashed
 * name) never end up behind one name: unique by construction, not by a check afterwards.
 */
export class PodVolumeNames {
  private readonly byIdentity = new Map<string, string>();
  private readonly taken = new Map<string, string>();
  private readonly claims = new Map<string, MountEntry>();

  /**
   * @param reserved names the pod already uses for its own volumes (never given to a module's)
   */
  constructor(reserved: Iterable<string> = []) {
    for (const name of reserved) {
      if (typeof name !== 'string') throw new ValidationError('PodVolumeNames', 'reserved', 'must list volume names (strings)', name);
      this.taken.set(name, `reserved:${name}`);
    }
  }

  /** The name of `mount`'s volume: its key as a DNS-1123 label, or that plus a hash of its source when the key's name is taken. */
  public nameOf(mount: MountEntry): string {
    const id = volumeIdentity(mount);
    const known = this.byIdentity.get(id);
    if (known !== undefined) return known;
    let name = toDns1123Label(mount.key);
    for (let attempt = 0; this.taken.has(name); attempt++) {
      name = `${toDns1123Label(mount.key, KEY_ROOM)}-${shortHash(attempt === 0 ? id : `${id}#${attempt}`)}`;
    }
    this.taken.set(name, id);
    this.byIdentity.set(id, name);
    return name;
  }

  /**
   * Records the claim `claimName` that `mount` asks for. One claim name for two different
   * claims (the same `mount_volume_claim` key with another size, class or access modes, in
   * another module or another container's modules) is an error naming both modules: one of
   * them would silently get the other's claim.
   */
  public claim(claimName: string, mount: MountEntry): void {
    const first = this.claims.get(claimName);
    if (!first) {
      this.claims.set(claimName, mount);
      return;
    }
    if (volumeIdentity(first) === volumeIdentity(mount)) return;
    throw new ModuleOutputsError(
      mount.module,
      mount.path,
      `${describeClaimConflict(claimName, first, mount)}; ` +
        'give one of them another mount_volume_claim key, or the same size, storage class and access modes',
      first.module === mount.module ? undefined : first.module,
    );
  }
}
