import { FlagError, type FlagSpec, type FlagValuesOf } from '../flags.js';
import { MANAGER_FLAGS } from '../manager.js';

/** Most Consumers reconciled in parallel. */
export const MAX_KONSUMERATOR_WORKERS = 64;

/** Konsumerator's flags, then the manager's (`--namespace` is guest mode's one namespace). */
export const KONSUMERATOR_FLAGS = [
  {
    name: 'guest-mode',
    type: 'bool',
    default: 'false',
    description: 'Read Consumer specs from ConfigMaps annotated konsumerator.lwolf.org/managed (key consumer.yaml) in --namespace only, instead of Consumer objects cluster-wide: no CRD and no cluster-wide permission needed.',
  },
  { name: 'workers', type: 'int', default: '4', description: 'Consumers reconciled in parallel.' },
  { name: 'prometheus-timeout', type: 'duration', default: '10s', description: 'Timeout of one Prometheus query.' },
  ...MANAGER_FLAGS,
] as const satisfies readonly FlagSpec[];

export type KonsumeratorFlags = FlagValuesOf<typeof KONSUMERATOR_FLAGS>;

export interface KonsumeratorOptions {
  /** The controller's namespace (its Lease; guest mode's only namespace). */
  readonly namespace: string;
  readonly guestMode: boolean;
  readonly workers: number;
  readonly prometheusTimeoutMs: number;
}

/** The options of the flags; a bad value is a FlagError naming the flag. */
export function konsumeratorOptionsFromFlags(v: KonsumeratorFlags): KonsumeratorOptions {
  if (v.workers < 1 || v.workers > MAX_KONSUMERATOR_WORKERS) throw new FlagError('workers', `must be from 1 to ${MAX_KONSUMERATOR_WORKERS}`);
  if (v['prometheus-timeout'] < 100) throw new FlagError('prometheus-timeout', 'must be at least 100ms');
  return { namespace: v.namespace, guestMode: v['guest-mode'], workers: v.workers, prometheusTimeoutMs: v['prometheus-timeout'] };
}
