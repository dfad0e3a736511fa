/**
 * The kube-score checks the GitOps layout of the example stack is allowed to fail, each with its
 * reason: the one place they are listed (README "Hardening" points here). The test
 * (gitops-kube-score.test.ts) fails on any other critical finding, and on an ignore below that
 * no longer matches a finding (so the list cannot go stale).
 */

/** An ignored check: for every object (`object` absent) or for one object. */
export interface KubeScoreIgnore {
  /** kube-score's check id (`kube-score list`). */
  readonly check: string;
  /** The one object it is ignored for: `<kind>/<namespace>/<name>`. @default every object */
  readonly object?: string;
  readonly reason: string;
}

export const KUBE_SCORE_IGNORES: readonly KubeScoreIgnore[] = [
  {
    check: 'container-image-pull-policy',
    reason:
      'Every image is pinned to a release tag, and the default pull policy (IfNotPresent) starts a pod from the node\'s copy '
      + 'when the registry is down. Re-checking image pull secrets on every start is the cluster\'s choice (the AlwaysPullImages '
      + 'admission plugin), not each workload\'s; `imagePullPolicy` is a pod setting of every component for those who want Always.',
  },
  {
    check: 'networkpolicy-targets-pod',
    object: 'NetworkPolicy/armonik/mongodb-db-ps-rs0',
    reason:
      'It selects the mongod pods, which the Percona operator creates from the PerconaServerMongoDB resource: they are not in '
      + 'the layout for kube-score to match (the policy evaluator test checks the selector against the operator\'s labels).',
  },
];
