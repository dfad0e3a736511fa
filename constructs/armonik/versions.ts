/**
 * The ArmoniK releases the constructs deploy, and what depends on the Core version.
 *
 * Defaults are what ArmoniK 2.23.0 deploys together: aneoconsulting/ArmoniK `versions.tfvars.json`
 * (`armonik_versions`: core 0.37.2, extcsharp 0.21.2, gui 0.15.1, infra 0.15.1, infra_plugins 0.3.0).
 * The image of each component takes the version of the project that releases it (ArmoniK.Infra
 * `utils/default-images/outputs.tf`, `image_tags`): Core images the Core version, the C#
 * dynamic worker the `extcsharp` version, the pod-deletion-cost updater the `infra_plugins` version.
 */
import { UNPRIVILEGED_ID } from '../../lib/k8s/security.js';
import { describeValue, ValidationError } from '../../lib/k8s/validation.js';

/** The versions ArmoniK 2.23.0 deploys together. */
export const ARMONIK_VERSIONS = {
  armonik: '2.23.0',
  core: '0.37.2',
  extcsharp: '0.21.2',
  gui: '0.15.1',
  infra: '0.15.1',
  /** ArmoniK.Infra.Plugins: the pod-deletion-cost updater (and the load balancer, not deployed here). */
  infraPlugins: '0.3.0',
} as const;

/** Images of ArmoniK's components (ArmoniK `versions.tfvars.json`, `armonik_images`). */
export const ARMONIK_IMAGES = {
  /** The control plane (`Control/Submitter`), also run as the init Job. */
  controlPlane: 'dockerhubaneo/armonik_control',
  pollingAgent: 'dockerhubaneo/armonik_pollingagent',
  metricsExporter: 'dockerhubaneo/armonik_control_metrics',
  /** Removed from Core in 0.37.1. */
  partitionMetricsExporter: 'dockerhubaneo/armonik_control_partition_metrics',
  /** ArmoniK.Extensions.Csharp's dynamic worker, tagged with the `extcsharp` version. */
  dynamicWorker: 'dockerhubaneo/armonik-dynamic-dotnet-worker',
  /** ArmoniK.Infra.Plugins' `pdc-update`, tagged with the `infra_plugins` version. */
  podDeletionCost: 'dockerhubaneo/armonik_pdc_update',
  /** ArmoniK.Admin.GUI's app, tagged with the `gui` version. */
  adminGui: 'dockerhubaneo/armonik_admin_app',
} as const;

/** The oldest Core these constructs configure: from 0.34.0 the polling agent reads `Pollster__PartitionId`. */
export const OLDEST_SUPPORTED_CORE = '0.34.0';

/**
 * uid and gid of the Core pods. The images name `$APP_UID` (1654, the .NET base images' `app`
 * user) from Core 0.36.0 and `armonikuser` (5000) before, but run as any user: ArmoniK.Core's
 * `Dockerfile` copies the binaries as root (readable by all) and the pods write only to their
 * volumes. So they run above 10000, clear of the node's users.
 */
export const CORE_POD_UID = UNPRIVILEGED_ID;

/** A Core release number, `major.minor.patch`, compared numerically. */
export class CoreVersion {
  /** Parses and checks a Core version; the error names `where` and the field. */
  public static parse(version: string, where: string, field = 'coreVersion'): CoreVersion {
    const m = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/.exec(typeof version === 'string' ? version : '');
    if (!m) throw new ValidationError(where, field, `"${String(version)}" is not an ArmoniK Core release (major.minor.patch, such as "${ARMONIK_VERSIONS.core}")`, version);
    const parsed = new CoreVersion(version, [Number(m[1]), Number(m[2]), Number(m[3])]);
    if (!parsed.atLeast(OLDEST_SUPPORTED_CORE)) {
      throw new ValidationError(where, field, `Core ${version} is older than ${OLDEST_SUPPORTED_CORE}, the oldest these constructs configure (its polling agent does not read Pollster__PartitionId)`, version);
    }
    return parsed;
  }

  private constructor(
    /** As given, e.g. `0.37.2`: the image tag. */
    public readonly version: string,
    private readonly parts: readonly [number, number, number],
  ) {}

  /** True when this version is `other` or newer. */
  public atLeast(other: string): boolean {
    if (typeof other !== 'string' || !/^\d+\.\d+\.\d+$/.test(other)) {
      throw new ValidationError('CoreVersion.atLeast()', 'other', `${typeof other === 'string' ? JSON.stringify(other) : describeValue(other)} is not a version (major.minor.patch)`, other);
    }
    const o = other.split('.').map(Number);
    for (let i = 0; i < 3; i++) if (this.parts[i] !== o[i]) return this.parts[i] > o[i];
    return true;
  }
}
