import { FlagError, parseNamespaces, type FlagSpec, type FlagValuesOf } from '../flags.js';
import { MANAGER_FLAGS } from '../manager.js';
import { imageReferenceReason, quantityReason, quantityValue } from '../../k8s/validators.js';
import { parseAppIdPath, type AppIdPath } from './app-id.js';
import { DEFAULT_APP_ID_PATH, DEFAULT_OPTUNE_URL, DEFAULT_POD_NAMESPACES, ServoEnv } from './names.js';
import type { MonitorSettings } from './sidecar.js';
import { urlPatternProblems } from './wire.js';

/** The least memory a monitor (Node.js) runs in. */
export const MIN_MONITOR_MEMORY_MIB = 48;
/** Most measurements sent at the same time. */
export const MAX_SERVO_CONCURRENCY = 256;

/**
 * The servo's flags, then the manager's. Each of the original's settings falls back to its
 * environment variable (`POD_NAMESPACES`, `OPTUNE_URL`, `OPTUNE_ACCOUNT`, `OPTUNE_APP_ID`,
 * `OPTUNE_SLEEPER_IMG`); the token is read from `OPTUNE_AUTH_TOKEN` or `--auth-token-file`,
 * never from a flag (a flag is visible in the process list and the pod spec).
 */
export const SERVO_FLAGS = [
  { name: 'namespaces', type: 'string', env: ServoEnv.namespaces, default: DEFAULT_POD_NAMESPACES, description: 'Watched namespaces, comma-separated: their job pods are measured (one watch per namespace).' },
  { name: 'url', type: 'string', env: ServoEnv.url, default: DEFAULT_OPTUNE_URL, description: 'Where measurements are POSTed; {acct} is the account, {app_id} the job\'s app id.' },
  { name: 'account', type: 'string', env: ServoEnv.account, description: 'The account, put into {acct} of the URL.' },
  { name: 'auth-token-file', type: 'string', description: 'File holding the Bearer token (re-read on change, e.g. a mounted Secret); else env OPTUNE_AUTH_TOKEN; no token: no Authorization header.' },
  { name: 'app-id-path', type: 'string', env: ServoEnv.appIdPath, default: DEFAULT_APP_ID_PATH, description: 'Where a pod\'s app id is: map keys and array indexes separated by /, [K] picks the value of {name: K} in a list. Pods with a non-empty app id are jobs.' },
  { name: 'monitor-image', type: 'string', env: ServoEnv.monitorImage, description: 'Image of the monitor sidecar (platform-controllers); unset: job pods get only the finalizer, no cpu_time/max_memory.' },
  { name: 'monitor-image-pull-policy', type: 'string', default: 'IfNotPresent', description: 'Pull policy of the monitor image.' },
  { name: 'monitor-interval', type: 'duration', default: '100ms', description: 'How often the monitor samples the job\'s processes.' },
  { name: 'monitor-cpu', type: 'string', default: '50m', description: 'CPU request and limit of the monitor (equal, so a Guaranteed job stays Guaranteed).' },
  { name: 'monitor-memory', type: 'string', default: '64Mi', description: 'Memory request and limit of the monitor.' },
  { name: 'stats-timeout', type: 'duration', default: '30s', description: 'How long after the job container ends the monitor\'s figures are awaited.' },
  { name: 'send-timeout', type: 'duration', default: '10s', description: 'Timeout of one POST to the optimizer.' },
  { name: 'max-backoff', type: 'duration', default: '5m', description: 'Longest wait between two attempts of a measurement (exponential from 1s, with jitter; Retry-After honoured).' },
  { name: 'concurrency', type: 'int', default: '16', description: 'Measurements sent at the same time.' },
  { name: 'workers', type: 'int', default: '4', description: 'Pods reconciled in parallel.' },
  ...MANAGER_FLAGS,
] as const satisfies readonly FlagSpec[];

export type ServoFlags = FlagValuesOf<typeof SERVO_FLAGS>;

export interface ServoOptions {
  /** The controller's own namespace (its Lease). */
  readonly namespace: string;
  /** Watched namespaces, sorted. */
  readonly namespaces: readonly string[];
  readonly url: string;
  readonly account?: string;
  readonly authTokenFile?: string;
  readonly appIdPath: AppIdPath;
  readonly monitor?: MonitorSettings;
  readonly statsTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly maxBackoffMs: number;
  readonly concurrency: number;
  readonly workers: number;
}

/** The monitor's heap: what its memory leaves after Node's own ~30 MiB, at least 16 MiB. */
export function monitorHeapMiB(memoryMiB: number): number {
  return Math.max(16, Math.floor(memoryMiB - 40));
}

/** The options of the flags; a bad value is a FlagError naming the flag. */
export function servoOptionsFromFlags(v: ServoFlags): ServoOptions {
  const namespaces = parseNamespaces(v.namespaces);
  const account = v.account || undefined;
  const [urlProblem] = urlPatternProblems(v.url, account);
  if (urlProblem) throw new FlagError(urlProblem.field, urlProblem.reason);
  const appIdPath = parseAppIdPath(v['app-id-path']);
  if (typeof appIdPath === 'string') throw new FlagError('app-id-path', appIdPath);
  if (v['monitor-interval'] < 10) throw new FlagError('monitor-interval', 'must be at least 10ms');
  const memReason = quantityReason(v['monitor-memory'], { positive: true });
  if (memReason) throw new FlagError('monitor-memory', memReason);
  const memoryMiB = quantityValue(v['monitor-memory'])! / 2 ** 20;
  if (memoryMiB < MIN_MONITOR_MEMORY_MIB) throw new FlagError('monitor-memory', `"${v['monitor-memory']}" is below the ${MIN_MONITOR_MEMORY_MIB}Mi a Node.js monitor needs`);
  const cpuReason = quantityReason(v['monitor-cpu'], { positive: true });
  if (cpuReason) throw new FlagError('monitor-cpu', cpuReason);
  const policy = v['monitor-image-pull-policy'];
  if (!['Always', 'IfNotPresent', 'Never'].includes(policy)) throw new FlagError('monitor-image-pull-policy', `"${policy}" is not Always, IfNotPresent or Never`);
  if (v['stats-timeout'] < 1000) throw new FlagError('stats-timeout', 'must be at least 1s');
  if (v['send-timeout'] < 100) throw new FlagError('send-timeout', 'must be at least 100ms');
  if (v['max-backoff'] < 1000) throw new FlagError('max-backoff', 'must be at least 1s');
  if (v.concurrency < 1 || v.concurrency > MAX_SERVO_CONCURRENCY) throw new FlagError('concurrency', `must be from 1 to ${MAX_SERVO_CONCURRENCY}`);
  if (v.workers < 1 || v.workers > 64) throw new FlagError('workers', 'must be from 1 to 64');
  const image = v['monitor-image'] || undefined;
  const imageReason = image === undefined ? undefined : imageReferenceReason(image);
  if (imageReason) throw new FlagError('monitor-image', imageReason);
  return {
    namespace: v.namespace,
    namespaces,
    url: v.url,
    ...(account ? { account } : {}),
    ...(v['auth-token-file'] ? { authTokenFile: v['auth-token-file'] } : {}),
    appIdPath,
    ...(image
      ? {
          monitor: {
            image,
            imagePullPolicy: policy,
            intervalMs: v['monitor-interval'],
            cpu: v['monitor-cpu'],
            memory: v['monitor-memory'],
            heapMiB: monitorHeapMiB(memoryMiB),
          },
        }
      : {}),
    statsTimeoutMs: v['stats-timeout'],
    sendTimeoutMs: v['send-timeout'],
    maxBackoffMs: v['max-backoff'],
    concurrency: v.concurrency,
    workers: v.workers,
  };
}
