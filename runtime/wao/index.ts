import { WAO_FLAGS, waoOptionsFromFlags } from '../../lib/api/wao/index.js';
import { clientEventSink, defineController } from '../kit/index.js';
import { AccessResolver } from './access.js';
import { WaoClients } from './clients/index.js';
import { WaoInformers } from './informers.js';
import { NodeConfigController } from './nodeconfig-controller.js';
import { PredictServer } from './predict-server.js';
import { Predictor } from './predictor.js';
import { TemplateController } from './template-controller.js';

export * from './access.js';
export * from './collector.js';
export * from './informers.js';
export * from './nodeconfig-controller.js';
export * from './predict-server.js';
export * from './predictor.js';
export * from './readings.js';
export * from './resources.js';
export * from './status-writer.js';
export * from './template-controller.js';

/** `platform-controllers wao [flags]`, or `platform-controllers run wao [flags] ...` */
export const waoCommand = defineController({
  description: 'WAO: NodeConfigs from NodeConfigTemplates, per-node inlet temperature and differential pressure collectors, and a power prediction endpoint.',
  flags: WAO_FLAGS,
  setup(ctx, flags) {
    const options = waoOptionsFromFlags(flags);
    const informers = new WaoInformers(ctx.cache, options.namespaces);
    const clients = new WaoClients();
    const access = new AccessResolver({ reader: ctx.client });
    const common = { informers, metrics: ctx.metrics, isLeader: () => ctx.isLeader(), workers: options.workers, logger: ctx.logger };
    const templates = new TemplateController({ ...common, client: ctx.client, events: clientEventSink(ctx.client), identity: ctx.identity });
    const nodeConfigs = new NodeConfigController({ ...common, client: ctx.client, access, clients, statusIntervalMs: options.statusIntervalMs });
    ctx.addReadinessCheck('informers-synced', () => informers.notReadyReason());
    ctx.add(templates.runnable());
    ctx.add(nodeConfigs.runnable());
    if (options.predictionPort > 0) {
      const predictor = new Predictor({ informers, access, clients, nodeConfigs, metrics: ctx.metrics, cacheTtlMs: options.predictionCacheTtlMs, cacheSize: options.predictionCacheSize });
      const server = new PredictServer({ port: options.predictionPort, predict: (r) => predictor.predict(r), notReadyReason: () => informers.notReadyReason(), logger: ctx.logger });
      ctx.add(server.runnable());
    }
    ctx.add({ name: 'wao-clients', needLeaderElection: false, start: () => undefined, stop: async () => clients.close() });
    ctx.logger.info({ ...options }, 'wao configured');
  },
});
