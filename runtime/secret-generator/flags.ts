import { MANAGER_FLAGS, type FlagSpec, type FlagValues } from '../kit/index.js';

/** The generator's flags, then the manager's (kubeconfig, namespace, leader election, port...). */
export const SECRET_GENERATOR_FLAGS: readonly FlagSpec[] = [
  {
    name: 'namespaces',
    type: 'string',
    default: '',
    description: 'Namespaces whose labelled Secrets are filled, comma-separated; empty: all namespaces (then RBAC must allow all).',
  },
  { name: 'workers', type: 'int', default: '2', description: 'Secrets reconciled in parallel (key generation itself is CPU-bound).' },
  { name: 'resync', type: 'duration', default: '10m', description: 'Re-check every labelled Secret this often: a safety net (changes arrive by watch).' },
  {
    name: 'max-retry-delay',
    type: 'duration',
    default: '2m',
    description: 'Longest wait between retries of a Secret whose dependencies (another Secret, the issuer) are not ready; the wait starts at 1s and doubles.',
  },
  ...MANAGER_FLAGS,
];

export interface SecretGeneratorOptions {
  /** The controller's own namespace (its Lease). */
  readonly namespace: string;
  /** Watched namespaces; empty = all. */
  readonly namespaces: readonly string[];
  readonly workers: number;
  readonly resyncIntervalMs: number;
  readonly maxRetryDelayMs: number;
}

export function optionsFromFlags(v: FlagValues): SecretGeneratorOptions {
  const list = String(v['namespaces'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const workers = (v['workers'] as number | undefined) ?? 2;
  if (workers < 1) throw new Error('--workers: must be at least 1');
  return {
    namespace: v['namespace'] as string,
    namespaces: [...new Set(list)].sort(),
    workers,
    resyncIntervalMs: (v['resync'] as number | undefined) ?? 600_000,
    maxRetryDelayMs: (v['max-retry-delay'] as number | undefined) ?? 120_000,
  };
}
