/** The one shape of Kubernetes objects as plain JSON, for constructs, manifests and controllers. Pure TypeScript. */

/** A metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/**
 * Object metadata (the fields this library reads and writes; others, such as the timestamps,
 * pass through untyped: client-node types them as Date, the wire as strings).
 */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

/** A Kubernetes object as plain JSON: what `Chart.toJson()` returns and manifests hold. */
export type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata?: ObjectMeta;
  [k: string]: unknown;
};
