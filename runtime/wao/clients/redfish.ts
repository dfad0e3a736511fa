/**
 * Redfish inlet temperature, the original's three server kinds. The kind is detected once per
 * endpoint (probing Dell, Lenovo, Supermicro in that order) and remembered; a remembered
 * layout that answers 404 (the BMC was replaced or updated) is detected again.
 */
import { EndpointError } from './errors.js';
import { asObject, checkStatus, parseJson, send, type CallContext } from './http.js';
import { joinPath } from './endpoint.js';

/** The server kinds the client knows. */
export type RedfishLayout = 'Dell' | 'Lenovo' | 'Supermicro';

type Probe = { readonly kind: 'value'; readonly value: number } | { readonly kind: 'absent'; readonly status: number; readonly note: string };

interface LayoutSpec {
  readonly path: string;
  /** The reading, or why this document is not this layout's sensor. Throws MalformedResponse. */
  read(doc: unknown, what: string): number | string;
}

const LAYOUTS: Readonly<Record<RedfishLayout, LayoutSpec>> = {
  Dell: {
    path: '/redfish/v1/Chassis/System.Embedded.1/Sensors/SystemBoardInletTemp',
    read: (doc, what) => reading(asObject(doc)?.Reading, 'Reading', what),
  },
  Lenovo: {
    path: '/redfish/v1/Chassis/1/Sensors/128L0',
    read: (doc, what) => {
      const name = asObject(doc)?.Name;
      if (name !== 'Ambient Temp') return `sensor 128L0 is ${typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : 'unnamed'}, not "Ambient Temp"`;
      return reading(asObject(doc)?.Reading, 'Reading', what);
    },
  },
  Supermicro: {
    path: '/redfish/v1/Chassis/1/Thermal',
    read: (doc, what) => {
      const temps = asObject(doc)?.Temperatures;
      if (!Array.isArray(temps)) return 'Thermal has no Temperatures list';
      const entry = temps.map(asObject).find((t) => t?.Name === 'System Temp');
      if (!entry) return temps.length === 0 ? 'Thermal has an empty Temperatures list' : 'Thermal has no "System Temp" entry';
      return reading(entry.ReadingCelsius, '"System Temp" ReadingCelsius', what);
    },
  },
};

/** Probing order: the original's. */
const ORDER: readonly RedfishLayout[] = ['Dell', 'Lenovo', 'Supermicro'];
/** Statuses that mean "not this layout" while probing (BMCs differ in how they say it). */
const NOT_HERE = new Set([400, 404, 405, 410, 501]);

function reading(v: unknown, field: string, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new EndpointError('MalformedResponse', `${what}: ${field} is ${v === undefined ? 'missing' : `${JSON.stringify(v)?.slice(0, 40)}`}, not a number`);
}

/** A bounded map from endpoint to its layout, least recently used out first. */
export class LayoutMemo {
  private readonly map = new Map<string, RedfishLayout>();
  constructor(private readonly max = 10_000) {}
  get(key: string): RedfishLayout | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, v: RedfishLayout): void {
    this.map.delete(key);
    this.map.set(key, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  get size(): number {
    return this.map.size;
  }
}

async function probe(ctx: CallContext, base: URL, layout: RedfishLayout): Promise<Probe> {
  const spec = LAYOUTS[layout];
  const answer = await send(ctx, 'GET', joinPath(base, spec.path));
  const what = `GET ${answer.shownUrl}`;
  if (NOT_HERE.has(answer.status)) return { kind: 'absent', status: answer.status, note: `${layout}: HTTP ${answer.status}` };
  checkStatus(answer, what);
  const got = spec.read(parseJson(answer, what), what);
  return typeof got === 'number' ? { kind: 'value', value: got } : { kind: 'absent', status: answer.status, note: `${layout}: ${got}` };
}

/** The inlet temperature (°C) of the BMC at `base`, detecting its layout when not remembered. */
export async function redfishInletTemp(ctx: CallContext, base: URL, memo: LayoutMemo): Promise<number> {
  const key = joinPath(base, '').href;
  const known = memo.get(key);
  let skip: RedfishLayout | undefined;
  if (known) {
    const r = await probe(ctx, base, known);
    if (r.kind === 'value') return r.value;
    if (r.status !== 404) throw notFound(base, [r.note]);
    memo.delete(key);
    skip = known;
  }
  const notes: string[] = [];
  for (const layout of ORDER) {
    if (layout === skip) continue;
    const r = await probe(ctx, base, layout);
    if (r.kind === 'value') {
      memo.set(key, layout);
      return r.value;
    }
    notes.push(r.note);
  }
  throw notFound(base, notes);
}

function notFound(base: URL, notes: readonly string[]): EndpointError {
  const url = joinPath(base, '/redfish/v1').href;
  return new EndpointError('SensorNotFound', `no inlet temperature sensor of a known Redfish layout at ${url} (${notes.join('; ')})`, { url });
}
