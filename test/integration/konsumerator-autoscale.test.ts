/**
 * Konsumerator sizing Deployments from a real Prometheus (Debian's package) scraping a Kafka
 * exporter the test controls: the NaivePredictor's estimate on first metrics, a lag over
 * tolerableLag turning into a scale-up after the pending period, Prometheus stopped → resources
 * held (never the minimum), disable-autoscaler → the policy's minAllowed.
 */
import { jest } from '@jest/globals';
import { Annotations, ConsumerDeclaration, ConsumerConditions } from '../../lib/api/konsumerator/index.js';
import { connectToTestCluster, type KubeObject } from '../cluster/index.js';
import { startKafkaExporter, type KafkaExporter } from '../peers/kafka-exporter.js';
import { prometheusUnavailable, startPrometheus, type PrometheusPeer } from '../peers/prometheus.js';
import { parseConsumer } from '../fixtures/konsumerator-seed.js';
import { PrometheusProvider } from '../../runtime/konsumerator/prometheus.js';
import { removeKubeconfigs, waitFor, type ControllerProcess } from './config-aggregator.support.js';
import { deployKonsumerator, startKonsumerator } from './konsumerator.support.js';

jest.setTimeout(240_000);
const cluster = connectToTestCluster();
const why = prometheusUnavailable();
if (why) process.stderr.write(`Konsumerator autoscaling tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

const RATE = 19_000;

suite('Konsumerator autoscaling with a real Prometheus', () => {
  let ns: string;
  let ctrl: ControllerProcess;
  let exporter: KafkaExporter;
  let prom: PrometheusPeer;

  beforeAll(async () => {
    exporter = await startKafkaExporter();
    for (let p = 0; p < 4; p++) {
      exporter.setProduction(p, RATE);
      exporter.setConsumption(p, RATE);
      exporter.setLag(p, 0);
    }
    prom = await startPrometheus({ scrapeTargets: [exporter.target], scrapeIntervalSeconds: 1 });
    // As in a real cluster, the metrics exist before the Consumer: rates of all 4 partitions settled.
    const provider = new PrometheusProvider({ addresses: [prom.url] });
    await waitFor('settled rates', async () => {
      const r = await provider.fetch({ offset: { query: 'sum(kafka_consumergroup_lag) by (partition)', partitionLabel: 'partition' }, production: { query: 'sum(rate(kafka_messages_produced_total[5s])) by (partition)', partitionLabel: 'partition' } });
      return r.ok && [0, 1, 2, 3].every((p) => Math.abs((r.partitions.get(p)?.production ?? 0) - RATE) < RATE * 0.01);
    }, 60_000, 500);
    provider.close();
    ns = await cluster.createNamespace('konsum-auto');
    const d = await deployKonsumerator(cluster, ns);
    ctrl = await startKonsumerator(cluster, d);
    await ctrl.waitReady();
    await waitFor('leadership', () => ctrl.isLeader(), 30_000);
  });

  afterAll(async () => {
    await ctrl?.stop();
    await prom?.stop();
    await exporter?.stop();
    removeKubeconfigs();
  });

  const consumer = (annotations: Record<string, string> = {}): KubeObject => {
    const c = parseConsumer();
    c.metadata = { name: 'payments', namespace: ns, ...(Object.keys(annotations).length ? { annotations } : {}) } as any;
    c.spec.namespace = ns;
    c.spec.name = 'payments';
    c.spec.numPartitions = 4;
    c.spec.numPartitionsPerInstance = 2;
    c.spec.autoscaler = {
      mode: 'prometheus',
      pendingScaleUpDuration: '3s',
      pendingScaleDownDuration: '3s',
      prometheus: {
        address: [prom.url],
        minSyncPeriod: '1s',
        tolerableLag: '10s',
        recoveryTime: '60s',
        ratePerCore: 10_000,
        ramPerCore: '100M',
        offset: { query: 'sum(kafka_consumergroup_lag) by (partition)', partitionLabel: 'partition' },
        production: { query: 'sum(rate(kafka_messages_produced_total[5s])) by (partition)', partitionLabel: 'partition' },
        consumption: { query: 'sum(rate(kafka_messages_consumed_total[5s])) by (partition)', partitionLabel: 'partition' },
      },
    };
    c.spec.resourcePolicy.containerPolicies[0].maxAllowed = { cpu: '8', memory: '2G' };
    return c as unknown as KubeObject;
  };

  const main = async (name: string) => {
    const d = (await cluster.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`)).body;
    return { d, c: d.spec.template.spec.containers.find((x: any) => x.name === 'busybox') };
  };
  const cpuMillis = (q: string | undefined) => (q === undefined ? 0 : q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);

  it('sizes each instance from the metrics: 2 × 19,000/s at 10,000/core → 3.8 cores, limit 4, memory 4 × 100M', async () => {
    await cluster.applyObjects([consumer()], { fieldManager: 'user', force: true });
    await waitFor('payments-1 sized', async () => {
      const { c } = await main('payments-1').catch(() => ({ c: undefined as any }));
      return c?.resources?.limits?.cpu !== undefined;
    }, 60_000, 250);
    const { c } = await main('payments-1');
    const request = cpuMillis(c.resources.requests.cpu);
    // rate() over a 5 s window reads 19,000 up to a little jitter; requests are rounded up to 100m.
    expect(request).toBeGreaterThanOrEqual(3800);
    expect(request).toBeLessThanOrEqual(3900);
    expect(c.resources.limits).toEqual({ cpu: '4', memory: '400M' }); // the API server writes quantities in canonical form
    // The sidecar is sized by its own policy only (min = max = 100m), never like the main container.
    const { d } = await main('payments-1');
    const sidecar = d.spec.template.spec.containers.find((x: any) => x.name === 'busybox-sidecar');
    expect(sidecar.resources.limits.cpu).toBe('100m');
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ GOMAXPROCS: '4', GOMEMLIMIT: `${Math.floor((400_000_000 * 0.8) / 1048576)}MiB`, PARTITION: '2,3' });
  });

  it('a lag over tolerableLag: pending scale-up first, applied after the pending period', async () => {
    const before = cpuMillis((await main('payments-0')).c.resources.requests.cpu);
    // 60 s of production behind on partition 0: C = P + L·P/R = 19,000 + 60 × 19,000 / 60 = 38,000/s.
    exporter.setLag(0, RATE * 60);
    await waitFor('pendingScaleUp', async () => (await main('payments-0')).d.metadata.annotations[Annotations.scalingStatus] === 'pendingScaleUp', 30_000, 200);
    expect(cpuMillis((await main('payments-0')).c.resources.requests.cpu)).toBe(before);
    await waitFor('scaled up', async () => cpuMillis((await main('payments-0')).c.resources.requests.cpu) > before, 30_000, 200);
    const after = cpuMillis((await main('payments-0')).c.resources.requests.cpu);
    expect(after).toBeGreaterThanOrEqual(5700);
    expect(after).toBeLessThanOrEqual(5800);
    await waitFor('lagging counted', async () => (await cluster.request('GET', `/apis/${ConsumerDeclaration.apiVersion()}/namespaces/${ns}/consumers/payments`)).body.status?.lagging === 1, 30_000);
  });

  it('the lag gone: pending scale-down, completed after its period', async () => {
    exporter.setLag(0, 0);
    await waitFor('scaled down', async () => {
      const r = cpuMillis((await main('payments-0')).c.resources.requests.cpu);
      return r >= 3800 && r <= 3900;
    }, 60_000, 250);
  });

  it('Prometheus stopped: resources held, MetricsAvailable False', async () => {
    const held = (await main('payments-0')).c.resources;
    await prom.stop();
    const consumerPath = `/apis/${ConsumerDeclaration.apiVersion()}/namespaces/${ns}/consumers/payments`;
    await waitFor('MetricsAvailable False', async () => {
      const s = (await cluster.request('GET', consumerPath)).body.status;
      return s?.conditions?.some((c: any) => c.type === ConsumerConditions.MetricsAvailable && c.status === 'False' && c.reason === 'Unreachable');
    }, 30_000, 250);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await main('payments-0')).c.resources).toEqual(held);
    expect(await ctrl.metric('konsumerator_metrics_errors_total', { reason: 'Unreachable' })).toBeGreaterThan(0);
  });

  it('disable-autoscaler on the Consumer: the policy\'s minAllowed', async () => {
    await cluster.applyObjects([consumer({ [Annotations.disableAutoscaler]: 'true' })], { fieldManager: 'user', force: true });
    await waitFor('minAllowed', async () => (await main('payments-0')).c.resources.requests.cpu === '100m', 30_000, 250);
    expect((await main('payments-1')).c.resources.limits).toEqual({ cpu: '100m', memory: '100M' });
  });
});
