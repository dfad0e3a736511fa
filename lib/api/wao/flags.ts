import { FlagError, parseNamespaces, type FlagSpec, type FlagValuesOf } from '../flags.js';
import { MANAGER_FLAGS } from '../manager.js';
import { WAO_DEFAULT_NAMESPACE } from './names.js';

/** Port of the prediction endpoint (`POST /predict`) when none is given. */
export const DEFAULT_PREDICTION_PORT = 5656;
/** Most entries of the prediction cache. */
export const MAX_PREDICTION_CACHE_SIZE = 1_000_000;
/** Most NodeConfigs and templates reconciled in parallel. */
export const MAX_WAO_WORKERS = 64;

/**
 * WAO's flags, then the manager's (kubeconfig, namespace, leader election, `--metrics-port` for
 * /healthz, /readyz and /metrics, ...).
 */
export const WAO_FLAGS = [
  {
    name: 'namespaces',
    type: 'string',
    default: WAO_DEFAULT_NAMESPACE,
    description: 'Namespaces whose NodeConfigs and NodeConfigTemplates are reconciled (and whose Secrets are read), comma-separated.',
  },
  {
    name: 'prediction-port',
    type: 'int',
    default: String(DEFAULT_PREDICTION_PORT),
    description: 'Port of the prediction endpoint for schedulers (POST /predict: node and CPU usage to watts); 0 turns it off.',
  },
  { name: 'prediction-cache-ttl', type: 'duration', default: '30s', description: 'How long a prediction (and a provider\'s endpoint) is reused.' },
  { name: 'prediction-cache-size', type: 'int', default: '10000', description: 'Most predictions kept; the least recently used go first.' },
  { name: 'workers', type: 'int', default: '4', description: 'NodeConfigs and NodeConfigTemplates reconciled in parallel.' },
  {
    name: 'status-interval',
    type: 'duration',
    default: '10s',
    description: 'Shortest time between two status writes of a NodeConfig (readings in between go to the metrics only).',
  },
  ...MANAGER_FLAGS,
] as const satisfies readonly FlagSpec[];

export type WaoFlags = FlagValuesOf<typeof WAO_FLAGS>;

export interface WaoOptions {
  /** The controller's own namespace (its Lease). */
  readonly namespace: string;
  /** Watched namespaces, sorted, at least one. */
  readonly namespaces: readonly string[];
  /** 0: no prediction endpoint. */
  readonly predictionPort: number;
  readonly predictionCacheTtlMs: number;
  readonly predictionCacheSize: number;
  readonly workers: number;
  readonly statusIntervalMs: number;
  /** Port of /healthz, /readyz and /metrics. */
  readonly metricsPort: number;
}

/** Parses a comma-separated list of namespaces: trimmed, unique, sorted, each a DNS-1123 label. */
/** The options of the flags; a bad value is a FlagError naming the flag. */
export function waoOptionsFromFlags(v: WaoFlags): WaoOptions {
  const port = (name: 'prediction-port' | 'metrics-port', min: number) => {
    const p = v[name];
    if (!Number.isInteger(p) || p < min || p > 65535) throw new FlagError(name, `${p} is not a port (${min} to 65535)`);
    return p;
  };
  const predictionPort = port('prediction-port', 0);
  // 0: any free port (the manager's rule; tests and `run` with several processes use it).
  const metricsPort = port('metrics-port', 0);
  if (predictionPort !== 0 && predictionPort === metricsPort) throw new FlagError('prediction-port', `is the same as --metrics-port (${metricsPort})`);
  if (v['prediction-cache-ttl'] <= 0) throw new FlagError('prediction-cache-ttl', 'must be more than 0');
  const size = v['prediction-cache-size'];
  if (size < 1 || size > MAX_PREDICTION_CACHE_SIZE) throw new FlagError('prediction-cache-size', `must be from 1 to ${MAX_PREDICTION_CACHE_SIZE}`);
  if (v.workers < 1 || v.workers > MAX_WAO_WORKERS) throw new FlagError('workers', `must be from 1 to ${MAX_WAO_WORKERS}`);
  return {
    namespace: v.namespace,
    namespaces: parseNamespaces(v.namespaces),
    predictionPort,
    predictionCacheTtlMs: v['prediction-cache-ttl'],
    predictionCacheSize: size,
    workers: v.workers,
    statusIntervalMs: v['status-interval'],
    metricsPort,
  };
}
