import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule, type NfsProps } from '../../lib/contract/index.js';
import { appLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { quote, ValidationError } from '../../lib/k8s/validation.js';
import { checkAbsolutePath, checkDns1123Subdomain, checkQuantity, checkStorageClass, dns1123LabelReason, ensure, hostNameReason } from '../../lib/k8s/validators.js';
import { checkOptionalObject, checkPropsObject } from '../../lib/k8s/props.js';
import { ARMONIK_ADAPTERS, objectAdaptorEnv } from './adapters.js';

/** Props of {@link NfsStorage}. */
export interface NfsStorageProps {
  /** Namespace of the claim (the consumers'). @default the chart's namespace */
  readonly namespace?: string;
  /** Name of the PersistentVolumeClaim. @default 'nfsvolume' (ArmoniK.Infra's) */
  readonly claimName?: string;
  /** Requested size. @default '10Gi' */
  readonly size?: string;
  /**
   * An NFS export to bind the claim to (a PersistentVolume named `<namespace>-<claimName>` is
   * created). Give this or `storageClass`. @default none
   */
  readonly nfs?: NfsProps;
  /** A storage class that provisions ReadWriteMany volumes (e.g. an nfs-subdir provisioner's). @default none */
  readonly storageClass?: string;
  /** Where consumers mount the share (`LocalStorage__Path`). @default '/local_storage' */
  readonly mountPath?: string;
}

/**
 * Shared storage for ArmoniK's local-storage object adaptor, publishing the outputs of
 * ArmoniK.Infra's `storage/onpremise/nfs` module: `Components__ObjectStorage` (LocalStorage),
 * the adaptor settings, `LocalStorage__Path`, and `mount_volume` `nfs-<claimName>` of the
 * claim, writable (the adaptor writes to it).
 *
 * Nothing privileged is deployed: a ReadWriteMany claim, bound either to a PersistentVolume on an
 * existing NFS export or to a class that provisions one. (ArmoniK.Infra deploys an NFS
 * provisioner; run one as a platform service if you use `storageClass`.)
 */
export class NfsStorage extends Construct implements IModule {
  public readonly outputs: ModuleOutputs;
  public readonly claim: k8s.KubePersistentVolumeClaim;
  public readonly volume?: k8s.KubePersistentVolume;

  constructor(scope: Construct, id: string, props: NfsStorageProps) {
    super(scope, id);
    const where = `NfsStorage ${this.node.path}`;
    const p = checkPropsObject(where, props, ['nfs or storageClass']);
    const namespace = resolveNamespace(this, where, p.namespace);
    const claimName = checkDns1123Subdomain(where, 'claimName', p.claimName ?? 'nfsvolume', 'PersistentVolumeClaim');
    // Consumers mount the claim as the pod volume `nfs-<claimName>`, a DNS-1123 label.
    const volumeName = `nfs-${claimName}`;
    const volumeReason = dns1123LabelReason(volumeName);
    if (volumeReason) throw new ValidationError(where, 'claimName', `${quote(claimName)} is too long or invalid for the consumers' volume name: ${volumeReason}`, claimName);
    const mountPath = checkAbsolutePath(where, 'mountPath', p.mountPath ?? '/local_storage');
    const nfs = checkOptionalObject(where, 'nfs', p.nfs, 'an object with server and path');
    if (nfs === undefined && p.storageClass === undefined) {
      throw new ValidationError(where, 'nfs', 'give exactly one of nfs (an existing export) or storageClass (a provisioner); neither is given');
    }
    if (nfs !== undefined && p.storageClass !== undefined) {
      throw new ValidationError(where, 'storageClass', 'give exactly one of nfs (an existing export) or storageClass (a provisioner); both are given', p.storageClass);
    }
    if (p.storageClass !== undefined) checkStorageClass(where, 'storageClass', p.storageClass);
    if (nfs) {
      ensure(where, 'nfs.server', nfs.server, hostNameReason(nfs.server));
      checkAbsolutePath(where, 'nfs.path', nfs.path);
      // The PersistentVolume is cluster-scoped: `<namespace>-<claimName>`.
      checkDns1123Subdomain(where, 'claimName', `${namespace}-${claimName}`, 'PersistentVolume');
    }
    const size = checkQuantity(where, 'size', p.size ?? '10Gi', { positive: true });
    const labels = appLabels({ name: 'nfs', instance: claimName, component: 'storage', partOf: 'armonik' });
    const storage = k8s.Quantity.fromString(size);

    let storageClassName = p.storageClass;
    if (nfs) {
      // A static volume: an empty class name keeps the default class from provisioning instead.
      storageClassName = '';
      this.volume = new k8s.KubePersistentVolume(this, 'volume', {
        metadata: { name: `${namespace}-${claimName}`, labels },
        spec: {
          capacity: { storage },
          accessModes: ['ReadWriteMany'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '',
          nfs: { server: nfs.server, path: nfs.path },
          claimRef: { namespace, name: claimName },
        },
      });
    }
    this.claim = new k8s.KubePersistentVolumeClaim(this, 'claim', {
      metadata: { name: claimName, namespace, labels },
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage } },
        storageClassName,
        ...(this.volume ? { volumeName: `${namespace}-${claimName}` } : {}),
      },
    });

    this.outputs = ModuleOutputs.of(this.node.id, {
      env: {
        ...objectAdaptorEnv(ARMONIK_ADAPTERS.localStorage),
        LocalStorage__Path: mountPath,
      },
      mountVolume: { [volumeName]: { claimName, path: mountPath } },
    });
    claimObjectNames(this, where);
  }
}
