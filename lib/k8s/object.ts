/** A Kubernetes object as plain JSON: what `Chart.toJson()` returns and manifests hold. Pure TypeScript. */
export type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
};
