/**
 * Konsumerator's metrics provider: the offset (messages behind), production and consumption
 * queries of a Consumer's `autoscaler.prometheus`, asked as instant queries
 * (`GET <address>/api/v1/query?query=...`) of a real Prometheus HTTP API, each series' partition
 * read from the query's `partitionLabel`.
 *
 * The addresses are tried in order; an address is used when it answered every query (any HTTP
 * answer from Prometheus itself counts). When none does, the result is `Unreachable` and the
 * caller keeps the current resources: no answer is not "no load". Connection errors, timeouts,
 * and 502/503/504 answers that are not Prometheus's own JSON (a proxy with no backend, a
 * Prometheus still starting) make an address unreachable.
 *
 * Bad data never throws: a query with no series, a NaN, ±Inf or negative value, a series without
 * the partition label or with a label that is not a partition number, the same partition twice,
 * a non-JSON body or an error answer (`{"status":"error"}`), a scalar or string result, and
 * Prometheus's own warnings each become one line of `problems` naming the query
 * (offset/production/consumption); the good series are still used. An address at which every
 * query failed as a whole (a wrong path prefix answers 404 text) is passed over for the next
 * one; when no address did better the result is `QueryFailed`.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { PartitionMetrics } from './predictor.js';
import { MAX_PARTITION } from './buckets.js';

export type QueryName = 'offset' | 'production' | 'consumption';

/** One query of the spec: PromQL and the label that holds the partition number. */
export interface PromQuery {
  readonly query: string;
  readonly partitionLabel: string;
}

export interface PromQueries {
  /** Messages behind, per partition. */
  readonly offset: PromQuery;
  /** Messages produced per second, per partition. */
  readonly production: PromQuery;
  /** Messages consumed per second, per partition. */
  readonly consumption?: PromQuery;
}

export type PartitionReadings = Pick<PartitionMetrics, 'production' | 'consumption' | 'behind'>;

export interface PromAnswered {
  readonly ok: true;
  /** Partition number → what the queries said about it (a field is missing when its query did not say). */
  readonly partitions: Map<number, { production?: number; consumption?: number; behind?: number }>;
  /** One line per thing that was wrong, each starting with the query's name. */
  readonly problems: string[];
  /** The queries that failed as a whole (error answer, non-JSON, unusable result type). */
  readonly failedQueries: QueryName[];
  /** The address that answered. */
  readonly address: string;
}

export interface PromNotAnswered {
  readonly ok: false;
  /** Unreachable: no address answered. QueryFailed: some answered, but every query failed at each. */
  readonly reason: 'Unreachable' | 'QueryFailed';
  readonly message: string;
}

export type PromFetchResult = PromAnswered | PromNotAnswered;

export interface PrometheusProviderOptions {
  /** Prometheus base URLs (`http://prometheus:9090`, a path prefix allowed), tried in order. */
  readonly addresses: readonly string[];
  /** Deadline of one query, connection included. @default 10000 */
  readonly timeoutMs?: number;
  /** A larger answer is a failed query. @default 16 MiB */
  readonly maxBodyBytes?: number;
}

const FIELD: Record<QueryName, keyof PartitionReadings> = { offset: 'behind', production: 'production', consumption: 'consumption' };
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BODY = 16 << 20;

/** The address is not answering (connection, timeout, a proxy with no backend). */
class Unanswered extends Error {
  /** A kept-alive connection the server had closed: worth one more try on a new one. */
  staleSocket = false;
}

interface RawAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The body was cut at this many bytes. */
  readonly tooLarge?: number;
}

/** Outcome of one query at an address that answered. */
type QueryOutcome = { readonly series: Map<number, number>; readonly problems: string[] } | { readonly failed: string; readonly problems: string[] };

const clip = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** An address for messages: without credentials. */
function shown(address: string): string {
  try {
    const u = new URL(address);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return address;
  }
}

function labelsText(metric: Record<string, unknown>): string {
  return `{${Object.entries(metric)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
}

/** Prometheus's sample value: a string, "NaN", "+Inf" and "-Inf" included. */
function sampleValue(sample: unknown): number | string {
  if (!Array.isArray(sample) || sample.length < 2 || typeof sample[1] !== 'string') return `a malformed sample ${clip(JSON.stringify(sample) ?? String(sample), 80)}`;
  const text = sample[1];
  if (text === 'NaN' || text === '+Inf' || text === '-Inf') return text;
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) return `the value ${JSON.stringify(clip(text, 40))}`;
  if (v < 0) return `a negative value (${text})`;
  return v;
}

/** The series of a successful answer's `data`, by partition. */
function readData(name: QueryName, q: PromQuery, data: unknown): QueryOutcome {
  const problems: string[] = [];
  const d = data as { resultType?: unknown; result?: unknown } | undefined;
  const type = d?.resultType;
  if (type === 'scalar' || type === 'string') {
    return { failed: `${name}: the query returned a ${type}, not a vector of series with the label "${q.partitionLabel}"`, problems };
  }
  if ((type !== 'vector' && type !== 'matrix') || !Array.isArray(d?.result)) {
    return { failed: `${name}: the answer's data has no vector or matrix result (resultType ${JSON.stringify(type)})`, problems };
  }
  const series = new Map<number, number>();
  const result = d.result as unknown[];
  if (result.length === 0) problems.push(`${name}: the query returned no series`);
  for (const s of result) {
    const metric = ((s as { metric?: unknown })?.metric ?? {}) as Record<string, unknown>;
    const where = labelsText(metric);
    const label = metric[q.partitionLabel];
    if (label === undefined) {
      problems.push(`${name}: a series without the label "${q.partitionLabel}" was ignored: ${clip(where)}`);
      continue;
    }
    const partition = typeof label === 'string' && /^\d{1,10}$/.test(label) ? Number(label) : NaN;
    if (!(partition <= MAX_PARTITION)) {
      problems.push(`${name}: the label ${q.partitionLabel}=${JSON.stringify(label)} is not a partition number; series ignored: ${clip(where)}`);
      continue;
    }
    // A matrix (a range selector in an instant query) gives its last sample, as the original.
    const values = type === 'matrix' ? (s as { values?: unknown }).values : undefined;
    const sample = type === 'matrix' ? (Array.isArray(values) ? values[values.length - 1] : undefined) : (s as { value?: unknown }).value;
    const v = sampleValue(sample);
    if (typeof v === 'string') {
      problems.push(`${name}: partition ${partition} has ${v}; ignored`);
      continue;
    }
    if (series.has(partition)) {
      problems.push(`${name}: partition ${partition} is in more than one series (does the query aggregate by "${q.partitionLabel}"?); the first was kept, ${clip(where)} ignored`);
      continue;
    }
    series.set(partition, v);
  }
  return { series, problems };
}

/** Prometheus's answer to one query, read (never throws). */
function readAnswer(name: QueryName, q: PromQuery, a: RawAnswer): QueryOutcome {
  if (a.tooLarge !== undefined) return { failed: `${name}: Prometheus answered HTTP ${a.status} with more than ${a.tooLarge} bytes; not read`, problems: [] };
  let doc: { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown; warnings?: unknown };
  try {
    doc = JSON.parse(a.body) as typeof doc;
    if (doc === null || typeof doc !== 'object') throw new Error('not an object');
  } catch {
    const what = a.body.trim() === '' ? 'an empty body' : `a body that is not JSON (${a.contentType || 'no Content-Type'}): ${JSON.stringify(clip(a.body.trim(), 120))}`;
    return { failed: `${name}: Prometheus answered HTTP ${a.status} with ${what}`, problems: [] };
  }
  const warnings = Array.isArray(doc.warnings) ? doc.warnings.map((w) => `${name}: Prometheus warns: ${clip(String(w))}`) : [];
  if (doc.status !== 'success') {
    const type = typeof doc.errorType === 'string' ? ` ${doc.errorType}` : '';
    const error = typeof doc.error === 'string' ? `: ${clip(doc.error, 300)}` : '';
    return { failed: `${name}: Prometheus answered HTTP ${a.status}, status ${JSON.stringify(doc.status)}${type}${error}`, problems: warnings };
  }
  if (a.status !== 200) warnings.push(`${name}: Prometheus answered HTTP ${a.status} with status "success"`);
  const out = readData(name, q, doc.data);
  return { ...out, problems: [...warnings, ...out.problems] };
}

export class PrometheusProvider {
  private readonly addresses: readonly string[];
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 4, timeout: 60_000 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 8, maxFreeSockets: 4, timeout: 60_000 });

  constructor(opts: PrometheusProviderOptions) {
    if (opts.addresses.length === 0) throw new Error('PrometheusProvider: no Prometheus address');
    for (const a of opts.addresses) {
      let u: URL;
      try {
        u = new URL(a);
      } catch {
        throw new Error(`PrometheusProvider: ${JSON.stringify(a)} is not a URL`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`PrometheusProvider: ${shown(a)} is not an http(s) URL`);
    }
    this.addresses = [...opts.addresses];
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  /**
   * Asks the queries at the first address that answers them all. Rejects only when `signal`
   * is aborted (with its reason); everything else is in the result.
   */
  async fetch(queries: PromQueries, signal?: AbortSignal): Promise<PromFetchResult> {
    const asked = (['offset', 'production', 'consumption'] as const).flatMap((name) => {
      const q = queries[name];
      return q ? [{ name, q }] : [];
    });
    const unreachable: string[] = [];
    const queryFailed: string[] = [];
    for (const address of this.addresses) {
      signal?.throwIfAborted();
      const answers = await Promise.allSettled(asked.map(({ q }) => this.get(address, q.query, signal)));
      signal?.throwIfAborted();
      const down = answers.find((a): a is PromiseRejectedResult => a.status === 'rejected');
      if (down) {
        unreachable.push(`${shown(address)}: ${(down.reason as Error).message}`);
        continue;
      }
      const partitions = new Map<number, { production?: number; consumption?: number; behind?: number }>();
      const problems: string[] = [];
      const failedQueries: QueryName[] = [];
      asked.forEach(({ name, q }, i) => {
        const out = readAnswer(name, q, (answers[i] as PromiseFulfilledResult<RawAnswer>).value);
        problems.push(...out.problems);
        if ('failed' in out) {
          failedQueries.push(name);
          problems.push(out.failed);
          return;
        }
        for (const [p, v] of out.series) {
          const m = partitions.get(p) ?? {};
          m[FIELD[name]] = v;
          partitions.set(p, m);
        }
      });
      if (failedQueries.length === asked.length) {
        // Maybe not a Prometheus at all (a wrong path prefix answers 404 text): try the next one.
        queryFailed.push(`${shown(address)} answered, but every query failed: ${problems.join('; ')}`);
        continue;
      }
      return { ok: true, partitions: new Map([...partitions].sort(([a], [b]) => a - b)), problems, failedQueries, address };
    }
    if (queryFailed.length > 0) {
      const down = unreachable.length > 0 ? ` | unreachable: ${unreachable.join('; ')}` : '';
      return { ok: false, reason: 'QueryFailed', message: `${queryFailed.join(' | ')}${down}` };
    }
    return { ok: false, reason: 'Unreachable', message: `no Prometheus answered: ${unreachable.join('; ')}` };
  }

  /** Closes the idle keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * One instant query; rejects (Unanswered) when the address does not answer as Prometheus. A
   * reused keep-alive connection that the server closed meanwhile is retried once.
   */
  private async get(address: string, query: string, caller?: AbortSignal): Promise<RawAnswer> {
    try {
      return await this.getOnce(address, query, caller);
    } catch (err) {
      if (!(err instanceof Unanswered && err.staleSocket)) throw err;
      return this.getOnce(address, query, caller);
    }
  }

  private getOnce(address: string, query: string, caller?: AbortSignal): Promise<RawAnswer> {
    const url = new URL(`${address.replace(/\/+$/, '')}/api/v1/query`);
    url.searchParams.set('query', query);
    const https = url.protocol === 'https:';
    const timeoutMs = this.timeoutMs;
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | undefined, answer?: RawAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        caller?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(answer!);
      };
      const onAbort = () => {
        req.destroy();
        finish((caller!.reason as Error | undefined) ?? new Error('aborted'));
      };
      const req = (https ? httpsRequest : httpRequest)(
        url,
        { method: 'GET', agent: https ? this.httpsAgent : this.httpAgent, headers: { accept: 'application/json', 'user-agent': 'platform-controllers-konsumerator' } },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.maxBodyBytes) {
              res.destroy();
              // Answered, but too much: a failed query rather than an unreachable address.
              finish(undefined, { status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: '', tooLarge: this.maxBodyBytes });
              return;
            }
            chunks.push(c);
          });
          res.on('error', (err) => finish(new Unanswered(`the answer broke off: ${err.message}`)));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const body = Buffer.concat(chunks).toString('utf8');
            const contentType = String(res.headers['content-type'] ?? '');
            if ((status === 502 || status === 503 || status === 504) && !/^\s*\{/.test(body)) {
              finish(new Unanswered(`HTTP ${status}: ${JSON.stringify(clip(body.trim(), 120))}`));
              return;
            }
            finish(undefined, { status, contentType, body });
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy();
        finish(new Unanswered(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        const e = new Unanswered(err.code ? `${err.code} (${err.message})` : err.message);
        e.staleSocket = req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        finish(e);
      });
      if (caller?.aborted) onAbort();
      else caller?.addEventListener('abort', onAbort, { once: true });
      req.end();
    });
  }
}
