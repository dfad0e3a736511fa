/**
 * Power predictions for schedulers: node + CPU usage → watts, from the node's NodeConfig (the
 * oldest, when templates overlap) with its latest inlet temperature and differential pressure.
 * The predictor is the NodeConfig's `powerConsumption` endpoint, or the one its
 * `powerConsumptionEndpointProvider` names (with `powerConsumption`'s credentials, as wao-core
 * documents). Predictions and provided endpoints are cached in bounded TTL caches (the original's
 * caches grew without bound); identical concurrent requests share one upstream call.
 *
 * Runs on every replica: the leader reads its collectors' newest values, the others the
 * readings in the NodeConfig's status (at most `--status-interval` older).
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { EndpointTerm, EndpointType } from '../../lib/api/wao/index.js';
import { TtlCache, type KitMetrics } from '../kit/index.js';
import type { AccessResolver } from './access.js';
import type { WaoClients } from './clients/index.js';
import { failureOf } from './collector.js';
import type { WaoInformers } from './informers.js';
import type { NodeConfigController } from './nodeconfig-controller.js';
import type { NodeConfig } from './resources.js';

export interface PredictRequest {
  readonly node: string;
  readonly cpuUsage: number;
}

export interface Prediction {
  readonly node: string;
  /** `namespace/name` of the NodeConfig used. */
  readonly nodeConfig: string;
  readonly watts: number;
  readonly inputs: { readonly cpuUsage: number; readonly inletTemp: number; readonly deltaP: number };
  /** True when the answer came from the cache (or a request in flight). */
  readonly cached: boolean;
}

/** A prediction that could not be made; `status` is the HTTP status the endpoint answers. */
export class PredictionError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'PredictionError';
  }
}

export interface PredictorDeps {
  readonly informers: WaoInformers;
  readonly access: AccessResolver;
  readonly clients: WaoClients;
  /** The leader's in-memory readings and the PredictorAvailable condition. */
  readonly nodeConfigs?: Pick<NodeConfigController, 'state' | 'notePredictor'>;
  readonly metrics: KitMetrics;
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
  /** Timeout of a call to the predictor or the provider. @default 5 s */
  readonly timeoutMs?: number;
}

export class Predictor {
  private readonly predictions: TtlCache<number>;
  private readonly endpoints: TtlCache<{ type: EndpointType; endpoint: string }>;
  private readonly m: { predictions: Counter<'result'>; seconds: Histogram<'cache'>; entries: Gauge };

  constructor(private readonly deps: PredictorDeps) {
    this.predictions = new TtlCache({ ttlMs: deps.cacheTtlMs, maxEntries: deps.cacheSize });
    this.endpoints = new TtlCache({ ttlMs: deps.cacheTtlMs, maxEntries: deps.cacheSize });
    const registers = [deps.metrics.registry];
    const predictions = this.predictions;
    this.m = {
      predictions: new Counter({ name: 'wao_predictions_total', help: 'Prediction requests, by result (hit, miss, or the failure reason).', labelNames: ['result'], registers }),
      seconds: new Histogram({ name: 'wao_prediction_duration_seconds', help: 'Time to answer a prediction, by cache hit or miss.', labelNames: ['cache'], buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
      entries: new Gauge({
        name: 'wao_prediction_cache_entries',
        help: 'Predictions in the cache.',
        registers,
        collect() {
          this.set(predictions.size);
        },
      }),
    };
  }

  async predict(req: PredictRequest): Promise<Prediction> {
    const started = performance.now();
    try {
      const p = await this.compute(req);
      this.m.predictions.inc({ result: p.cached ? 'hit' : 'miss' });
      this.m.seconds.observe({ cache: p.cached ? 'hit' : 'miss' }, (performance.now() - started) / 1000);
      return p;
    } catch (err) {
      this.m.predictions.inc({ result: err instanceof PredictionError ? err.reason : 'Error' });
      throw err;
    }
  }

  private async compute({ node, cpuUsage }: PredictRequest): Promise<Prediction> {
    const nc = this.deps.informers.nodeConfigsOfNode(node)[0];
    if (!nc) throw new PredictionError(404, 'NodeConfigNotFound', `no NodeConfig for node ${node} in the watched namespaces (${this.deps.informers.namespaces.join(', ')})`);
    const ns = nc.metadata!.namespace!;
    const key = `${ns}/${nc.metadata!.name}`;
    const { inletTemp, deltaP } = this.readings(key, nc);
    const pc = nc.spec.predictor?.powerConsumption as EndpointTerm | undefined;
    const provider = nc.spec.predictor?.powerConsumptionEndpointProvider as EndpointTerm | undefined;
    if (!pc && !provider) throw new PredictionError(404, 'NoPredictor', `NodeConfig ${key} has no predictor.powerConsumption nor powerConsumptionEndpointProvider`);
    const version = `${nc.metadata!.uid}/${nc.metadata!.generation}`;
    const timeoutMs = this.deps.timeoutMs ?? 5000;
    try {
      let override: { type: EndpointType; endpoint: string } | undefined;
      if (!pc || (pc.type as string) === '') {
        const { value } = await this.endpoints.getOrCompute(version, async () =>
          this.deps.clients.providePowerConsumptionEndpoint(await this.deps.access.resolve(ns, provider!), { timeoutMs }),
        );
        override = value;
      }
      const term = pc ?? ({ type: override!.type, endpoint: override!.endpoint } as EndpointTerm);
      const inputs = { cpuUsage, inletTemp, deltaP };
      const cacheKey = `${version}|${override ? `${override.type}|${override.endpoint}` : ''}|${cpuUsage}|${inletTemp}|${deltaP}`;
      const { value: watts, hit } = await this.predictions.getOrCompute(cacheKey, async () =>
        this.deps.clients.predictPowerConsumption(await this.deps.access.resolve(ns, term, override), inputs, { timeoutMs }),
      );
      this.deps.nodeConfigs?.notePredictor(key, true, 'Predicted', `last prediction ${watts} W`);
      return { node, nodeConfig: key, watts, inputs, cached: hit };
    } catch (err) {
      if (err instanceof PredictionError) throw err;
      const f = failureOf(err);
      this.deps.nodeConfigs?.notePredictor(key, false, f.reason, f.message);
      throw new PredictionError(f.reason === 'Timeout' ? 504 : 502, f.reason, `NodeConfig ${key}: ${f.message}`);
    }
  }

  /** The newest inputs: the leader's collectors, else the status; both metrics are required. */
  private readings(key: string, nc: NodeConfig): { inletTemp: number; deltaP: number } {
    const state = this.deps.nodeConfigs?.state(key);
    const pick = (m: 'inletTemp' | 'deltaP'): number => {
      const live = state?.metrics[m];
      const stored = nc.status?.readings?.[m];
      const liveAt = live?.time?.getTime() ?? -Infinity;
      const storedAt = stored ? Date.parse(stored.time) : -Infinity;
      if (live?.value !== undefined && liveAt >= storedAt) return live.value;
      if (stored) return stored.value;
      throw new PredictionError(503, 'ReadingsUnavailable', `NodeConfig ${key} has no ${m === 'inletTemp' ? 'inlet temperature' : 'differential pressure'} reading yet`);
    };
    return { inletTemp: pick('inletTemp'), deltaP: pick('deltaP') };
  }
}
