/**
 * The flags of the monitor sidecar (`platform-controllers servo-monitor`), shared by the webhook
 * that injects it (which renders them) and the monitor (which parses them). A tool, not a
 * controller: no manager, no leader election, no API access, so none of MANAGER_FLAGS.
 */
import { FlagError, type FlagSpec, type FlagValuesOf } from '../flags.js';

/** Shortest sampling interval accepted: below it the monitor would spend more than it measures. */
export const MIN_MONITOR_INTERVAL_MS = 10;

export const SERVO_MONITOR_FLAGS = [
  {
    name: 'interval',
    type: 'duration',
    default: '100ms',
    description: `Time between two samples of /proc (at least ${MIN_MONITOR_INTERVAL_MS}ms): at most one interval of a process's CPU time is missed at its end.`,
  },
  {
    name: 'termination-message-path',
    type: 'string',
    default: '/dev/termination-log',
    description: "File the report is written to, in place (the container's terminationMessagePath).",
  },
  {
    name: 'proc',
    type: 'string',
    default: '/proc',
    description: 'The proc filesystem to sample; another path is for tests (a fake tree).',
  },
] as const satisfies readonly FlagSpec[];

export type ServoMonitorFlags = FlagValuesOf<typeof SERVO_MONITOR_FLAGS>;

export interface ServoMonitorOptions {
  readonly intervalMs: number;
  readonly terminationMessagePath: string;
  readonly proc: string;
}

/** The options of the flags; a bad value is a FlagError naming the flag. */
export function servoMonitorOptionsFromFlags(v: ServoMonitorFlags): ServoMonitorOptions {
  if (v.interval < MIN_MONITOR_INTERVAL_MS) throw new FlagError('interval', `must be at least ${MIN_MONITOR_INTERVAL_MS}ms`);
  if (v['termination-message-path'] === '') throw new FlagError('termination-message-path', 'must not be empty');
  if (v.proc === '') throw new FlagError('proc', 'must not be empty');
  return { intervalMs: v.interval, terminationMessagePath: v['termination-message-path'], proc: v.proc };
}
