/**
 * `platform-controllers servo-monitor`: the sidecar the servo webhook injects into every job pod
 * (a native sidecar, with `spec.shareProcessNamespace: true` on the pod). It samples /proc every
 * interval, accounts the CPU time and peak memory of each other container's processes
 * (accounting.ts) and leaves the figures in its termination message (monitor-report.ts), which
 * the kubelet copies into the pod's status for the daemon to read. Unprivileged: no network, no
 * API access.
 *
 * The report is written in place (truncated, never renamed over: the path is a bind-mounted
 * file) after the first sample, then after a sample whose figures changed at most once per
 * second, so that a SIGKILL still leaves recent figures; on SIGTERM or SIGINT one last sample is
 * taken and written and the monitor exits 0.
 */
import { writeFile } from 'node:fs/promises';
import { FlagError, flagsUsage, parseFlags } from '../../../lib/api/flags.js';
import { SERVO_MONITOR_COMMAND } from '../../../lib/api/servo/names.js';
import { SERVO_MONITOR_FLAGS, servoMonitorOptionsFromFlags } from '../../../lib/api/servo/monitor-flags.js';
import { encodeMonitorReport, type MonitorReport } from '../../../lib/api/servo/monitor-report.js';
import { Accounting } from './accounting.js';
import { ProcSampler, type GroupSelector } from './proc.js';

export const SERVO_MONITOR_DESCRIPTION = "Job pod sidecar: samples the pod's processes in /proc, writes their CPU time and peak memory per container to its termination message.";

/** Least time between two writes of the report while running. */
export const WRITE_EVERY_MS = 1000;

export const NOT_SHARED_ERROR =
  'no process of another container was seen: the pod does not share its process namespace (spec.shareProcessNamespace) or the workload had not started';

export interface MonitorOptions {
  readonly proc: string;
  readonly intervalMs: number;
  readonly terminationMessagePath: string;
  /** @default one group per cgroup without the monitor's own */
  readonly groupOf?: GroupSelector;
  /** @default Date.now */
  readonly now?: () => number;
  /** Waits `ms` or until `signal` aborts, whichever comes first. @default a timer */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** One JSON line per call. @default stderr */
  readonly log?: (entry: Record<string, unknown>) => void;
  /** Called after each sample (tests). */
  readonly onSample?: (samples: number) => void;
}

function stderrLog(entry: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
}

function timerSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Samples until `signal` aborts, then takes one last sample, writes the report and returns it.
 * A failed sample or write is logged and the loop goes on.
 */
export async function runMonitor(opts: MonitorOptions, signal: AbortSignal): Promise<MonitorReport> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? timerSleep;
  const log = opts.log ?? stderrLog;
  // The same message again within a minute (a /proc that cannot be listed) is not repeated.
  let lastMsg = '';
  let lastMsgAt = -Infinity;
  const logError = (msg: string, err: unknown) => {
    const at = now();
    if (msg === lastMsg && at - lastMsgAt < 60_000) return;
    lastMsg = msg;
    lastMsgAt = at;
    log({ level: 'error', msg, err: String((err as Error)?.message ?? err) });
  };
  const sampler = new ProcSampler({ proc: opts.proc, groupOf: opts.groupOf, log });
  const accounting = new Accounting();
  const report = (): MonitorReport => ({
    v: 1,
    intervalMs: opts.intervalMs,
    samples: accounting.samples,
    groups: accounting.groups(),
    ...(accounting.sawAny ? {} : { error: NOT_SHARED_ERROR }),
  });
  let pending = true;
  let lastWrite = -Infinity;
  const sample = () => {
    try {
      if (accounting.add(sampler.sample())) pending = true;
    } catch (err) {
      logError(`cannot sample ${opts.proc}`, err);
    }
    opts.onSample?.(accounting.samples);
  };
  const write = async () => {
    pending = false;
    lastWrite = now();
    try {
      // Flag 'w': truncate and write the same file (a bind mount: a rename over it would fail).
      await writeFile(opts.terminationMessagePath, encodeMonitorReport(report()));
    } catch (err) {
      logError(`cannot write ${opts.terminationMessagePath}`, err);
    }
  };

  while (!signal.aborted) {
    const started = now();
    sample();
    if (pending && now() - lastWrite >= WRITE_EVERY_MS) await write();
    if (signal.aborted) break;
    await sleep(Math.max(0, opts.intervalMs - (now() - started)), signal);
  }
  sample();
  await write();
  return report();
}

export function servoMonitorUsage(): string {
  return `Usage: platform-controllers ${SERVO_MONITOR_COMMAND} [flags]\n\n${SERVO_MONITOR_DESCRIPTION}\n\nFlags:\n${flagsUsage(SERVO_MONITOR_FLAGS)}\n`;
}

/** `platform-controllers servo-monitor [flags]`; returns the exit code. */
export async function servoMonitorMain(argv: readonly string[]): Promise<number> {
  let options;
  try {
    const parsed = parseFlags(SERVO_MONITOR_FLAGS, argv);
    if (parsed.help) {
      process.stdout.write(servoMonitorUsage());
      return 0;
    }
    if (parsed.positional.length) throw new FlagError(parsed.positional[0], `unexpected argument "${parsed.positional[0]}"`);
    options = servoMonitorOptionsFromFlags(parsed.values);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`${SERVO_MONITOR_COMMAND}: ${err.message}\n\nFlags:\n${flagsUsage(SERVO_MONITOR_FLAGS)}\n`);
      return 2;
    }
    throw err;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await runMonitor(options, stop.signal);
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  return 0;
}
