/** The shared runtime of platform-controllers: what every controller needs, nothing controller-specific. */
export * from './backoff.js';
export * from './client.js';
export * from './clock.js';
export * from './controller.js';
export * from './events.js';
export * from './flags.js';
export * from './informer.js';
export * from './leader.js';
export * from './log.js';
export * from './metrics.js';
export * from './server.js';
export * from './shutdown.js';
export * from './workqueue.js';
export * from './manager.js';
export * from './cache.js';
export * from './webhook.js';
export * from './leader-worker.js';
