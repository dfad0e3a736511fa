import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The metrics every controller shares, on one registry. A controller adds its own metrics to
 * `registry`. `withDefaults` adds the Node process metrics (`process_resident_memory_bytes`, ...).
 */
export class KitMetrics {
  readonly registry: Registry;
  /** Requests this process sent to the API server, by verb and resource. */
  readonly apiRequests: Counter<'verb' | 'resource'>;
  readonly informerObjects: Gauge<'informer'>;
  readonly informerLists: Counter<'informer' | 'reason'>;
  readonly informerWatches: Counter<'informer'>;
  readonly informerWatchErrors: Counter<'informer' | 'reason'>;
  readonly informerSynced: Gauge<'informer'>;
  readonly workqueueDepth: Gauge<'controller'>;
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileSeconds: Histogram<'controller'>;
  readonly leader: Gauge<'lease'>;
  readonly leaderTransitions: Counter<'lease' | 'event'>;
  readonly webhookRequests: Counter<'webhook' | 'result'>;
  readonly webhookSeconds: Histogram<'webhook'>;
  readonly webhookCertReloads: Counter<'result'>;
  readonly webhookCertExpiry: Gauge;

  constructor(options: { registry?: Registry; withDefaults?: boolean } = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    if (options.withDefaults) collectDefaultMetrics({ register: this.registry });
    this.apiRequests = new Counter({
      name: 'kit_api_requests_total',
      help: 'Requests sent to the Kubernetes API server.',
      labelNames: ['verb', 'resource'],
      registers,
    });
    this.informerObjects = new Gauge({
      name: 'kit_informer_objects',
      help: 'Objects in the informer cache.',
      labelNames: ['informer'],
      registers,
    });
    this.informerLists = new Counter({
      name: 'kit_informer_lists_total',
      help: 'Full lists (initial, after 410 Gone, after a lost watch).',
      labelNames: ['informer', 'reason'],
      registers,
    });
    this.informerWatches = new Counter({
      name: 'kit_informer_watches_total',
      help: 'Watch requests started.',
      labelNames: ['informer'],
      registers,
    });
    this.informerWatchErrors = new Counter({
      name: 'kit_informer_watch_errors_total',
      help: 'Watches that ended with an error, by reason.',
      labelNames: ['informer', 'reason'],
      registers,
    });
    this.informerSynced = new Gauge({
      name: 'kit_informer_synced',
      help: '1 once the informer has completed its first full list.',
      labelNames: ['informer'],
      registers,
    });
    this.workqueueDepth = new Gauge({
      name: 'kit_workqueue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
    });
    this.reconciles = new Counter({
      name: 'kit_reconcile_total',
      help: 'Reconciles by result (success, error, requeue, not_leader: a write refused after the lease was lost).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: 'kit_reconcile_duration_seconds',
      help: 'Time spent in reconcile.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.leader = new Gauge({
      name: 'kit_leader',
      help: '1 while this replica holds the lease.',
      labelNames: ['lease'],
      registers,
    });
    this.leaderTransitions = new Counter({
      name: 'kit_leader_transitions_total',
      help: 'Lease acquired / lost by this replica.',
      labelNames: ['lease', 'event'],
      registers,
    });
    this.webhookRequests = new Counter({
      name: 'kit_webhook_requests_total',
      help: 'Admission requests by webhook path and result (allowed, patched, denied, error, timeout, bad_request, too_large).',
      labelNames: ['webhook', 'result'],
      registers,
    });
    this.webhookSeconds = new Histogram({
      name: 'kit_webhook_request_duration_seconds',
      help: 'Time to answer an admission request.',
      labelNames: ['webhook'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.webhookCertReloads = new Counter({
      name: 'kit_webhook_certificate_reloads_total',
      help: 'Serving certificate reloads after its files changed, by result (ok, invalid).',
      labelNames: ['result'],
      registers,
    });
    this.webhookCertExpiry = new Gauge({
      name: 'kit_webhook_certificate_expiry_timestamp_seconds',
      help: 'When the serving certificate in use expires.',
      registers,
    });
  }
}
