/**
 * A Kafka exporter for the Konsumerator tests: Prometheus text format on a free loopback port,
 * with per-partition series the test sets, named as Kafka exporters name them:
 *
 *     kafka_messages_produced_total{topic,partition}   counter: advances at the production rate
 *     kafka_messages_consumed_total{topic,partition}   counter: advances at the consumption rate
 *     kafka_messages_last_offset{topic,partition}      gauge: the partition's newest offset (= produced, floored)
 *     kafka_consumergroup_lag{topic,partition,consumergroup}  gauge: messages behind, as set
 *
 * The counters are computed at scrape time from the rate set for each partition (they start at
 * 1e6, so `rate()` is not clamped at a counter start), so `rate(kafka_messages_produced_total[5s])`
 * reads the rate set. Changing a rate keeps the counter continuous. `setSeries` adds any other
 * series (a missing label, a label that is not a number) for the error-handling tests.
 */
import { createServer, type Server } from 'node:http';

export interface KafkaExporterOptions {
  /** @default 'orders' */
  readonly topic?: string;
  /** @default 'consumer' */
  readonly consumerGroup?: string;
}

export interface KafkaExporter {
  /** `http://127.0.0.1:<port>/metrics` */
  readonly url: string;
  /** `127.0.0.1:<port>`: a Prometheus static target. */
  readonly target: string;
  /** How many times /metrics was read. */
  readonly scrapes: number;
  setProduction(partition: number, perSecond: number, topic?: string): void;
  setConsumption(partition: number, perSecond: number, topic?: string): void;
  setLag(partition: number, messages: number, topic?: string): void;
  /** Drops every series of the partition (Prometheus marks them stale at the next scrape). */
  removePartition(partition: number, topic?: string): void;
  /** Any other series, as it is; `undefined` removes it. */
  setSeries(name: string, labels: Record<string, string>, value: number | undefined, type?: 'counter' | 'gauge'): void;
  /** The text /metrics answers now. */
  render(): string;
  stop(): Promise<void>;
}

const COUNTER_START = 1e6;

class RateCounter {
  private base = COUNTER_START;
  private since = Date.now();
  constructor(private rate = 0) {}
  value(now = Date.now()): number {
    return this.base + (this.rate * (now - this.since)) / 1000;
  }
  setRate(perSecond: number, now = Date.now()): void {
    this.base = this.value(now);
    this.since = now;
    this.rate = perSecond;
  }
}

interface PartitionState {
  readonly produced: RateCounter;
  readonly consumed: RateCounter;
  lag: number;
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelsText = (labels: Record<string, string>) => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
};
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export async function startKafkaExporter(opts: KafkaExporterOptions = {}): Promise<KafkaExporter> {
  const defaultTopic = opts.topic ?? 'orders';
  const group = opts.consumerGroup ?? 'consumer';
  const partitions = new Map<string, PartitionState>(); // `${topic}\0${partition}`
  const extra = new Map<string, { name: string; labels: Record<string, string>; value: number; type: 'counter' | 'gauge' }>();
  let scrapes = 0;

  const key = (topic: string, partition: number) => {
    if (!Number.isSafeInteger(partition) || partition < 0) throw new RangeError(`not a partition: ${partition}`);
    return `${topic}\0${partition}`;
  };
  const state = (partition: number, topic = defaultTopic) => {
    const k = key(topic, partition);
    let s = partitions.get(k);
    if (!s) {
      s = { produced: new RateCounter(), consumed: new RateCounter(), lag: 0 };
      partitions.set(k, s);
    }
    return s;
  };

  const render = () => {
    const now = Date.now();
    const rows = [...partitions].map(([k, s]) => {
      const [topic, partition] = k.split('\0');
      return { labels: { topic, partition }, s };
    });
    rows.sort((a, b) => a.labels.topic.localeCompare(b.labels.topic) || Number(a.labels.partition) - Number(b.labels.partition));
    const out: string[] = [];
    const family = (name: string, type: string, help: string, lines: string[]) => {
      if (lines.length === 0) return;
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    family('kafka_messages_produced_total', 'counter', 'Messages produced to the partition.', rows.map((r) => `kafka_messages_produced_total${labelsText(r.labels)} ${num(r.s.produced.value(now))}`));
    family('kafka_messages_consumed_total', 'counter', 'Messages of the partition consumed by the group.', rows.map((r) => `kafka_messages_consumed_total${labelsText(r.labels)} ${num(r.s.consumed.value(now))}`));
    family('kafka_messages_last_offset', 'gauge', 'The newest offset of the partition.', rows.map((r) => `kafka_messages_last_offset${labelsText(r.labels)} ${Math.floor(r.s.produced.value(now))}`));
    family('kafka_consumergroup_lag', 'gauge', 'Messages of the partition not consumed by the group yet.', rows.map((r) => `kafka_consumergroup_lag${labelsText({ ...r.labels, consumergroup: group })} ${num(r.s.lag)}`));
    const byName = new Map<string, string[]>();
    const types = new Map<string, string>();
    for (const e of extra.values()) {
      byName.set(e.name, [...(byName.get(e.name) ?? []), `${e.name}${labelsText(e.labels)} ${num(e.value)}`]);
      types.set(e.name, e.type);
    }
    for (const [name, lines] of byName) family(name, types.get(name)!, 'A series set by the test.', lines);
    return `${out.join('\n')}\n`;
  };

  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    scrapes++;
    const body = render();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const finite = (what: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be a finite number, at least 0: ${v}`);
    return v;
  };

  return {
    url: `http://127.0.0.1:${port}/metrics`,
    target: `127.0.0.1:${port}`,
    get scrapes() {
      return scrapes;
    },
    setProduction: (p, perSecond, topic) => state(p, topic).produced.setRate(finite('production', perSecond)),
    setConsumption: (p, perSecond, topic) => state(p, topic).consumed.setRate(finite('consumption', perSecond)),
    setLag: (p, messages, topic) => void (state(p, topic).lag = finite('lag', messages)),
    removePartition: (p, topic = defaultTopic) => void partitions.delete(key(topic, p)),
    setSeries(name, labels, value, type = 'gauge') {
      const k = `${name}${labelsText(labels)}`;
      if (value === undefined) extra.delete(k);
      else extra.set(k, { name, labels, value, type });
    },
    render,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
