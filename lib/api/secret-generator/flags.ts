import { FlagError, type FlagSpec, type FlagValuesOf } from '../flags.js';
import { MANAGER_FLAGS } from '../manager.js';

/** The controller's name in the image (`platform-controllers secret-generator`). */
export const SECRET_GENERATOR = 'secret-generator';

/** The generator's flags, then the manager's (kubeconfig, namespace, leader election, port...). */
export const SECRET_GENERATOR_FLAGS = [
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
] as const satisfies readonly FlagSpec[];

export type SecretGeneratorFlags = FlagValuesOf<typeof SECRET_GENERATOR_FLAGS>;

/** Most Secrets reconciled in parallel. */
export const MAX_WORKERS = 64;

export interface SecretGeneratorOptions {
  /** The controller's own namespace (its Lease). */
  readonly namespace: string;
  /** Watched namespaces; empty = all. */
  readonly namespaces: readonly string[];
  readonly workers: number;
  readonly resyncIntervalMs: number;
  readonly maxRetryDelayMs: number;
}

export function optionsFromFlags(v: SecretGeneratorFlags): SecretGeneratorOptions {
  const list = v.namespaces
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (v.workers < 1 || v.workers > MAX_WORKERS) throw new FlagError('workers', `must be from 1 to ${MAX_WORKERS}`);
  return {
    namespace: v.namespace,
    namespaces: [...new Set(list)].sort(),
    workers: v.workers,
    resyncIntervalMs: v.resync,
    maxRetryDelayMs: v['max-retry-delay'],
  };
}
