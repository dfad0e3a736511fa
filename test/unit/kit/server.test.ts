import { HealthServer, KitMetrics } from '../../../runtime/kit/index.js';

describe('HealthServer', () => {
  it('serves /healthz, /readyz (503 naming the failing check) and /metrics on one port', async () => {
    const metrics = new KitMetrics();
    metrics.reconciles.inc({ controller: 'x', result: 'success' });
    const server = new HealthServer({ registry: metrics.registry, port: 0, host: '127.0.0.1' });
    let synced = false;
    server.addLivenessCheck('ping', () => undefined);
    server.addReadinessCheck('informers-synced', () => (synced ? undefined : 'waiting for first sync of app-configs'));
    const port = await server.start();
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    try {
      expect(await get('/healthz')).toEqual({ status: 200, body: '[+]ping ok\nhealthz check passed\n' });
      const notReady = await get('/readyz');
      expect(notReady.status).toBe(503);
      expect(notReady.body).toContain('[-]informers-synced failed: waiting for first sync of app-configs');
      synced = true;
      expect((await get('/readyz')).status).toBe(200);
      const m = await get('/metrics');
      expect(m.body).toContain('kit_reconcile_total{controller="x",result="success"} 1');
      expect((await get('/nope')).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
