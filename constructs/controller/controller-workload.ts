import { Duration } from 'cdk8s';
import { checkPropsObject } from '../../lib/k8s/props.js';

/** How a controller's pods run: leader-elected replicas, or one pod per node. */
export class ControllerWorkload {
  /**
   * A Deployment of `replicas`; one leads on a Lease of `leaseDuration`, the others stand by
   * with warm caches (webhooks are served by all).
   */
  static deployment(props: { readonly replicas?: number; readonly leaseDuration?: Duration } = {}): ControllerWorkload {
    // replicas and leaseDuration are checked by the PlatformController, which names its path.
    const p = checkPropsObject('ControllerWorkload.deployment', props);
    return new ControllerWorkload('Deployment', p.replicas ?? 2, p.leaseDuration ?? Duration.seconds(15));
  }

  /**
   * A DaemonSet: one pod per node for per-node work (collectors), without leader election. The
   * pod gets `NODE_NAME` from `spec.nodeName`.
   */
  static daemonSet(): ControllerWorkload {
    return new ControllerWorkload('DaemonSet', undefined, undefined);
  }

  private constructor(
    /** `Deployment` or `DaemonSet`. */
    readonly kind: 'Deployment' | 'DaemonSet',
    /** Replicas of a Deployment. */
    readonly replicas: number | undefined,
    /** Lease duration when leader-elected; undefined: no leader election. */
    readonly leaseDuration: Duration | undefined,
  ) {}
}
