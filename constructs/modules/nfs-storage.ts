import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule, type NfsProps } from '../../lib/contract/index.js';
import { appLabels } from '../../lib/k8s/labels.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { checkAbsolutePath, checkDns1123Subdomain, ensure, hostNameReason } from '../../lib/k8s/validators.js';
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
    const namespace = resolveNamespace(this, where, props.namespace);
    const claimName = checkDns1123Subdomain(where, 'claimName', props.claimName ?? 'nfsvolume');
    const mountPath = checkAbsolutePath(where, 'mountPath', props.mountPath ?? '/local_storage');
    if (!!props.nfs === !!props.storageClass) throw new Error(`${where}: give exactly one of nfs (an existing export) or storageClass (a provisioner)`);
    if (props.storageClass) checkDns1123Subdomain(where, 'storageClass', props.storageClass);
    if (props.nfs) {
      ensure(where, 'nfs.server', props.nfs.server, hostNameReason(props.nfs.server));
      checkAbsolutePath(where, 'nfs.path', props.nfs.path);
    }
    const size = props.size ?? '10Gi';
    const labels = appLabels({ name: 'nfs', instance: claimName, component: 'storage', partOf: 'armonik' });
    const storage = k8s.Quantity.fromString(size);

    let storageClassName = props.storageClass;
    if (props.nfs) {
      // A static volume: an empty class name keeps the default class from provisioning instead.
      storageClassName = '';
      this.volume = new k8s.KubePersistentVolume(this, 'volume', {
        metadata: { name: `${namespace}-${claimName}`, labels },
        spec: {
          capacity: { storage },
          accessModes: ['ReadWriteMany'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: '',
          nfs: { server: props.nfs.server, path: props.nfs.path },
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
      mountVolume: { [`nfs-${claimName}`]: { claimName, path: mountPath } },
    });
  }
}
