import type { FlagSpec } from './flags.js';

/** Where the serving certificate of admission webhooks is mounted (controller-runtime's default). */
export const WEBHOOK_CERT_DIR = '/tmp/k8s-webhook-server/serving-certs';

/** Flags every controller accepts (the controller-runtime manager's, in Go flag syntax). */
export const MANAGER_FLAGS = [
  { name: 'kubeconfig', type: 'string', env: 'KUBECONFIG', description: 'Path to a kubeconfig; in-cluster config when absent.' },
  { name: 'namespace', type: 'string', env: 'NAMESPACE', description: 'Namespace the controller runs in (its Lease and outputs).', required: true },
  { name: 'pod-name', type: 'string', env: 'POD_NAME', description: "This replica's identity for leader election." },
  { name: 'metrics-port', type: 'int', default: '8080', description: 'Port of /healthz, /readyz and /metrics.' },
  { name: 'leader-elect', type: 'bool', default: 'true', description: 'Run leader election; only the leader writes.' },
  { name: 'leader-election-id', type: 'string', description: 'Name of the Lease (default: the controller name).' },
  { name: 'lease-duration', type: 'duration', default: '15s', description: 'How long others wait before taking over a lease that is not renewed.' },
  { name: 'renew-deadline', type: 'duration', default: '10s', description: 'The leader stops writing when it could not renew for this long.' },
  { name: 'retry-period', type: 'duration', default: '2s', description: 'Time between lease acquire/renew attempts.' },
  {
    name: 'watch-timeout',
    type: 'duration',
    default: '5m',
    description: 'Server-side timeout of each watch (randomized up to twice that); the watch then resumes from its resourceVersion.',
  },
  { name: 'webhook-port', type: 'int', default: '9443', description: 'HTTPS port of the admission webhooks (when the controller serves any).' },
  {
    name: 'webhook-cert-dir',
    type: 'string',
    default: WEBHOOK_CERT_DIR,
    description: 'Directory with the serving certificate tls.crt and key tls.key; reloaded when they change.',
  },
  {
    name: 'webhook-ca-inject',
    type: 'string',
    description:
      'Webhook configurations whose caBundle is kept equal to ca.crt of --webhook-cert-dir, as <mutating|validating>:<name>, comma-separated (needs get and patch on them).',
  },
] as const satisfies readonly FlagSpec[];

export interface LeaseTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/**
 * Renew deadline and retry period scaled from the lease duration like client-go's defaults
 * (15s/10s/2s), in whole seconds so they render as Go durations.
 */
export function leaseTiming(leaseDurationMs: number): LeaseTiming {
  const leaseSeconds = Math.round(leaseDurationMs / 1000);
  return {
    leaseDurationMs: leaseSeconds * 1000,
    renewDeadlineMs: Math.max(2, Math.floor((leaseSeconds * 2) / 3)) * 1000,
    retryPeriodMs: Math.max(1, Math.floor(leaseSeconds / 7.5)) * 1000,
  };
}
