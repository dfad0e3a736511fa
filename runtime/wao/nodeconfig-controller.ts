/**
 * The NodeConfig controller: one collector per NodeConfig and metric, running on the leader.
 * A reconcile compares each metric's configuration (term, node, namespace) with the running
 * collector's: unchanged keeps it, changed stops it and starts a new one (never two), gone stops it.
 * Outcomes go to the NodeConfig's state, to the gauges at once, and to its status through the
 * rate-limited StatusWriter.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { parseDuration } from '../../lib/api/flags.js';
import { DEFAULT_FETCH_INTERVAL, MIN_FETCH_INTERVAL, type EndpointTerm, type NodeConfigStatus } from '../../lib/api/wao/index.js';
import {
  Controller,
  LeaderWorker,
  generationChanged,
  keyOf,
  sameJson,
  silentLogger,
  systemClock,
  type Clock,
  type KitMetrics,
  type KubeClient,
  type Logger,
  type Runnable,
} from '../kit/index.js';
import { AccessResolver } from './access.js';
import type { WaoClients } from './clients/index.js';
import { Collector, type FetchOutcome } from './collector.js';
import { splitKey, type WaoInformers } from './informers.js';
import { METRICS, record, statusOf, type MetricName, type NodeConfigState } from './readings.js';
import { NODECONFIGS, type NodeConfig } from './resources.js';
import { StatusWriter } from './status-writer.js';

export interface NodeConfigControllerDeps {
  readonly informers: WaoInformers;
  /** Status writes (guarded by leadership in production). */
  readonly client: Pick<KubeClient, 'patchStatus'>;
  readonly access: AccessResolver;
  readonly clients: WaoClients;
  readonly metrics: KitMetrics;
  readonly isLeader: () => boolean;
  readonly statusIntervalMs: number;
  readonly workers: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Resync of every NodeConfig. @default 10 min */
  readonly resyncIntervalMs?: number;
}

interface Running {
  readonly fingerprint: string;
  readonly collector: Collector;
  readonly node: string;
}

const GAUGE_OF: Record<MetricName, 'inlet' | 'deltaP'> = { inletTemp: 'inlet', deltaP: 'deltaP' };

export class NodeConfigController {
  readonly controller: Controller<string>;
  private readonly worker: LeaderWorker;
  private readonly collectors = new Map<string, Map<MetricName, Running>>();
  private readonly states = new Map<string, NodeConfigState>();
  readonly statusWriter: StatusWriter;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly m: {
    inlet: Gauge<'node' | 'nodeconfig'>;
    deltaP: Gauge<'node' | 'nodeconfig'>;
    readingTime: Gauge<'metric' | 'node' | 'nodeconfig'>;
    fetches: Counter<'metric' | 'result'>;
    fetchSeconds: Histogram<'metric'>;
    collectors: Gauge<'metric'>;
    statusWrites: Counter<'result'>;
  };

  constructor(private readonly deps: NodeConfigControllerDeps) {
    this.log = (deps.logger ?? silentLogger()).child({ controller: 'wao-nodeconfig' });
    this.clock = deps.clock ?? systemClock;
    const registers = [deps.metrics.registry];
    this.m = {
      inlet: new Gauge({ name: 'wao_inlet_temperature_celsius', help: 'Last inlet temperature read, by node and NodeConfig.', labelNames: ['node', 'nodeconfig'], registers }),
      deltaP: new Gauge({ name: 'wao_differential_pressure', help: 'Last differential pressure read (the API\'s unit), by node and NodeConfig.', labelNames: ['node', 'nodeconfig'], registers }),
      readingTime: new Gauge({ name: 'wao_reading_timestamp_seconds', help: 'When the last good reading of a metric was taken.', labelNames: ['metric', 'node', 'nodeconfig'], registers }),
      fetches: new Counter({ name: 'wao_fetches_total', help: 'Fetches by metric and result (ok, or the failure reason).', labelNames: ['metric', 'result'], registers }),
      fetchSeconds: new Histogram({ name: 'wao_fetch_duration_seconds', help: 'Duration of fetches, by metric.', labelNames: ['metric'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers }),
      collectors: new Gauge({ name: 'wao_collectors', help: 'Running collectors, by metric.', labelNames: ['metric'], registers }),
      statusWrites: new Counter({ name: 'wao_status_writes_total', help: 'NodeConfig status writes, by result (written, unchanged, gone).', labelNames: ['result'], registers }),
    };
    this.controller = new Controller<string>({
      name: 'wao-nodeconfig',
      reconciler: this,
      workers: deps.workers,
      logger: deps.logger,
      metrics: deps.metrics,
      isLeader: deps.isLeader,
    });
    // Spec changes only: the status writes of the collectors themselves must not trigger reconciles.
    for (const inf of deps.informers.nodeConfigs.values()) this.controller.watches(inf, keyOf, generationChanged<NodeConfig>());
    this.statusWriter = new StatusWriter({ minIntervalMs: deps.statusIntervalMs, write: (key) => this.writeStatus(key), clock: deps.clock, logger: this.log });
    this.worker = new LeaderWorker({
      name: 'wao-nodeconfig',
      controller: this.controller,
      resyncIntervalMs: deps.resyncIntervalMs ?? 600_000,
      resync: () => this.enqueueAll(),
    });
  }

  /** Leader-only: collectors run and statuses are written only while this replica leads. */
  runnable(): Runnable {
    return {
      name: 'wao-nodeconfig',
      needLeaderElection: true,
      start: () => this.start(),
      stop: () => this.stop(),
    };
  }

  start(): void {
    this.statusWriter.restart();
    this.worker.start();
    this.enqueueAll();
  }

  /** Stops the workers, every collector and the status writes; the gauges are cleared (they would go stale). */
  async stop(): Promise<void> {
    await this.worker.stop();
    await Promise.all([...this.collectors.keys()].map((k) => this.drop(k)));
    await this.statusWriter.stop();
  }

  /** The in-memory state of a NodeConfig (the leader's readings, newer than its status). */
  state(key: string): NodeConfigState | undefined {
    return this.states.get(key);
  }

  /** Notes a prediction's outcome in the NodeConfig's PredictorAvailable condition. */
  notePredictor(key: string, ok: boolean, reason: string, message: string): void {
    const s = this.states.get(key);
    if (!s) return;
    const prev = s.predictor;
    s.predictor = { ok, reason, message };
    if (!prev || prev.ok !== ok || prev.reason !== reason) this.statusWriter.mark(key);
  }

  /** How many collectors run, by metric. */
  collectorCount(): Record<MetricName, number> {
    const out = { inletTemp: 0, deltaP: 0 };
    for (const byMetric of this.collectors.values()) for (const m of byMetric.keys()) out[m]++;
    return out;
  }

  private enqueueAll(): void {
    for (const nc of this.deps.informers.allNodeConfigs()) this.controller.queue.add(keyOf(nc));
    for (const key of this.collectors.keys()) this.controller.queue.add(key);
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const nc = this.deps.informers.nodeConfig(namespace, name);
    if (!nc || nc.metadata?.deletionTimestamp) return this.drop(key);
    const node = nc.spec?.nodeName;
    let state = this.states.get(key);
    if (!state || state.nodeName !== node) {
      if (state) await this.drop(key);
      state = { key, nodeName: node, metrics: {} };
      this.states.set(key, state);
    }
    state.generation = nc.metadata?.generation;
    const running = this.collectors.get(key) ?? new Map<MetricName, Running>();
    this.collectors.set(key, running);
    for (const metric of METRICS) {
      const term = nc.spec?.metricsCollector?.[metric] as EndpointTerm | undefined;
      const fingerprint = term ? JSON.stringify([namespace, node, term]) : '';
      const current = running.get(metric);
      if (current?.fingerprint === fingerprint) continue;
      // Replaced for the same node: its series stay (with the last good value) until the new one reads.
      if (current) await this.stopCollector(key, metric, current, !term || current.node !== node);
      running.delete(metric);
      if (!term) {
        delete state.metrics[metric];
        continue;
      }
      // A new configuration: its failures start afresh; the last good value stays until replaced.
      state.metrics[metric] = { value: state.metrics[metric]?.value, time: state.metrics[metric]?.time };
      const collector = this.newCollector(key, namespace, node, metric, term);
      running.set(metric, { fingerprint, collector, node });
      this.m.collectors.inc({ metric });
      collector.start();
    }
    this.statusWriter.mark(key);
  }

  private newCollector(key: string, namespace: string, node: string, metric: MetricName, term: EndpointTerm): Collector {
    const { access, clients } = this.deps;
    return new Collector({
      intervalMs: durationMs(term.fetchInterval),
      clock: this.deps.clock,
      random: this.deps.random,
      fetch: async (signal, timeoutMs) => {
        const resolved = await access.resolve(namespace, term);
        try {
          return metric === 'inletTemp'
            ? await clients.fetchInletTemp(resolved, { timeoutMs, signal })
            : await clients.fetchDeltaP(resolved, node, { timeoutMs, signal });
        } catch (err) {
          // A rotated password: read the Secret again on the next try instead of after its TTL.
          if ((err as { reason?: string }).reason === 'Unauthorized' && term.basicAuthSecret) access.forgetSecret(namespace, term.basicAuthSecret.name);
          throw err;
        }
      },
      onOutcome: (outcome) => this.onOutcome(key, node, metric, outcome),
      onHandlerError: (err) => this.log.error({ nodeconfig: key, metric, err: String(err) }, 'handling a fetch outcome failed'),
    });
  }

  private onOutcome(key: string, node: string, metric: MetricName, outcome: FetchOutcome): void {
    const state = this.states.get(key);
    const ms = state?.metrics[metric];
    if (!state || !ms) return;
    record(ms, outcome);
    this.m.fetchSeconds.observe({ metric }, outcome.durationMs / 1000);
    if (outcome.ok) {
      this.m.fetches.inc({ metric, result: 'ok' });
      this.m[GAUGE_OF[metric]].set({ node, nodeconfig: key }, outcome.value);
      this.m.readingTime.set({ metric, node, nodeconfig: key }, outcome.at.getTime() / 1000);
    } else {
      this.m.fetches.inc({ metric, result: outcome.failure.reason });
      if (outcome.consecutiveFailures === 1) this.log.warn({ nodeconfig: key, node, metric, reason: outcome.failure.reason, err: outcome.failure.message }, 'fetch failed; retrying with backoff');
    }
    this.statusWriter.mark(key);
  }

  private async stopCollector(key: string, metric: MetricName, r: Running, removeSeries = true): Promise<void> {
    await r.collector.stop();
    this.m.collectors.dec({ metric });
    if (!removeSeries) return;
    this.m[GAUGE_OF[metric]].remove({ node: r.node, nodeconfig: key });
    this.m.readingTime.remove({ metric, node: r.node, nodeconfig: key });
  }

  /** The NodeConfig is gone (or changed node, or leadership ended): its collectors stop, its series go. */
  private async drop(key: string): Promise<void> {
    const running = this.collectors.get(key);
    this.collectors.delete(key);
    if (running) await Promise.all([...running].map(([metric, r]) => this.stopCollector(key, metric, r)));
    this.states.delete(key);
    this.statusWriter.forget(key);
  }

  private async writeStatus(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    const nc = this.deps.informers.nodeConfig(namespace, name);
    const state = this.states.get(key);
    if (!nc || !state) return void this.m.statusWrites.inc({ result: 'gone' });
    const status = statusOf(state, nc.status as NodeConfigStatus | undefined, new Date(this.clock.now()));
    if (sameJson(status, nc.status)) return void this.m.statusWrites.inc({ result: 'unchanged' });
    await this.deps.client.patchStatus({ ...NODECONFIGS, namespace }, name, { status }, 'merge');
    this.m.statusWrites.inc({ result: 'written' });
  }
}

/** A Go duration as stored (the CRD checked its pattern and minimum) in ms; 15 s when absent, at least 1 s. */
export function durationMs(text: string | undefined): number {
  if (!text) return parseDuration(DEFAULT_FETCH_INTERVAL);
  return Math.max(parseDuration(MIN_FETCH_INTERVAL), Math.round(parseDuration(text)));
}
