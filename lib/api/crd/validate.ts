/**
 * Checks values against a CRD schema node in JavaScript, with ajv: the JSON-Schema part of what the
 * API server checks (types, required fields, unknown fields, enums, patterns, formats, bounds,
 * `apiVersion`/`kind` of embedded resources), with the API server's defaulting. CEL rules
 * (`x-kubernetes-validations`) are not run: there is no CEL interpreter here.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { pointerSegment, valueAtPointer } from '../../k8s/json-pointer.js';
import { isIPv4, isIPv6 } from 'node:net';
import { ValidationError } from '../../k8s/validation.js';
import type { JSONSchemaProps } from './schema.js';

/**
 * The ajv form of a CRD schema node. It differs where the two dialects do: int-or-string becomes a
 * union type, OpenAPI's boolean `exclusiveMinimum` becomes draft-07's number, objects that do not
 * preserve unknown fields reject them (the API server would prune them silently: at synth time an
 * unknown field is a typo), and embedded resources must name `apiVersion` and `kind`.
 */
export function toAjvSchema(s: JSONSchemaProps, root = true): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    // ajv applies defaults of properties and items only; a root default is the parent's business.
    if (k.startsWith('x-kubernetes-') || k === 'anyOf' || (root && k === 'default')) continue;
    if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v as Record<string, JSONSchemaProps>).map(([p, c]) => [p, toAjvSchema(c, false)]));
    } else if (k === 'items' || k === 'additionalProperties') {
      out[k] = toAjvSchema(v as JSONSchemaProps, false);
    } else if (k === 'exclusiveMinimum' || k === 'exclusiveMaximum') {
      // handled below with minimum/maximum
    } else {
      out[k] = v;
    }
  }
  if (s.exclusiveMinimum && s.minimum !== undefined) {
    out.exclusiveMinimum = s.minimum;
    delete out.minimum;
  }
  if (s.exclusiveMaximum && s.maximum !== undefined) {
    out.exclusiveMaximum = s.maximum;
    delete out.maximum;
  }
  if (s['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  if (s['x-kubernetes-embedded-resource']) {
    out.properties = {
      apiVersion: { type: 'string', minLength: 1 },
      kind: { type: 'string', minLength: 1 },
      metadata: { type: 'object' },
      ...(out.properties as object | undefined),
    };
    out.required = [...new Set(['apiVersion', 'kind', ...((out.required as string[] | undefined) ?? [])])];
  }
  if (s.type === 'object' && !s['x-kubernetes-preserve-unknown-fields'] && !s.additionalProperties && s.properties) {
    out.additionalProperties = false;
  }
  if (s.nullable && out.type === undefined) delete out.nullable;
  return out;
}

const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  uri: (s) => {
    try {
      new URL(s);
      return true;
    } catch {
      return s.startsWith('/');
    }
  },
  email: (s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s),
  hostname: (s) => s.length <= 253 && /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/.test(s),
  ipv4: (s) => isIPv4(s),
  ipv6: (s) => isIPv6(s),
  cidr: (s) => {
    const [ip, bits, ...rest] = s.split('/');
    if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
    return (isIPv4(ip) && Number(bits) <= 32) || (isIPv6(ip) && Number(bits) <= 128);
  },
  mac: (s) => /^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/.test(s),
  uuid: (s) => /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(s),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  password: () => true,
};

/** Formats of integers and numbers (OpenAPI's), for ajv and {@link scalarSurelyValid} alike. */
const NUMBER_FORMATS: Record<string, (n: number) => boolean> = {
  int32: (n) => n >= -(2 ** 31) && n < 2 ** 31,
  int64: (n) => Number.isSafeInteger(n),
  float: () => true,
  double: () => true,
};

/** The keywords {@link scalarSurelyValid} understands; a node with any other goes to ajv. */
const SCALAR_KEYWORDS = new Set([
  'type', 'description', 'title', 'example', 'default', 'enum', 'format', 'pattern', 'minLength', 'maxLength',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'x-kubernetes-validations',
]);

/**
 * Whether a string, integer, number or boolean is valid against a scalar node, without compiling
 * it: what ajv would say, for the keywords above. `false` means "not sure" (the caller asks ajv,
 * which names the problem). Declaring a custom resource checks every default this way first: a
 * compilation per default costs more than all the other checks of a declaration.
 */
export function scalarSurelyValid(s: JSONSchemaProps, v: unknown): boolean {
  if (!Object.keys(s).every((k) => SCALAR_KEYWORDS.has(k))) return false;
  const typeOk = s.type === 'string' ? typeof v === 'string'
    : s.type === 'boolean' ? typeof v === 'boolean'
      : s.type === 'integer' ? Number.isInteger(v)
        : s.type === 'number' ? typeof v === 'number' && Number.isFinite(v) : false;
  if (!typeOk) return false;
  if (s.enum && !s.enum.some((e) => e === v)) return false;
  if (typeof v === 'number') {
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) return false;
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) return false;
    if (s.format !== undefined) return Object.hasOwn(NUMBER_FORMATS, s.format) && NUMBER_FORMATS[s.format](v);
  }
  if (typeof v === 'string') {
    const length = [...v].length; // code points, as ajv counts
    if (s.minLength !== undefined && length < s.minLength) return false;
    if (s.maxLength !== undefined && length > s.maxLength) return false;
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) return false;
    if (s.format !== undefined) return Object.hasOwn(FORMATS, s.format) && FORMATS[s.format](v);
  }
  return s.format === undefined;
}

let ajv: Ajv | undefined;
const compiled = new WeakMap<JSONSchemaProps, ValidateFunction>();

function ajvInstance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false, strictRequired: false, useDefaults: true });
    for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate });
    for (const [name, validate] of Object.entries(NUMBER_FORMATS)) ajv.addFormat(name, { type: 'number', validate });
  }
  return ajv;
}

function compile(s: JSONSchemaProps): ValidateFunction {
  let fn = compiled.get(s);
  if (!fn) {
    fn = ajvInstance().compile(toAjvSchema(s));
    compiled.set(s, fn);
  }
  return fn;
}

function describe(v: unknown): string {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** One ajv error as a ValidationError naming the JSON pointer of the bad field (under `base`). */
function toError(e: ErrorObject, value: unknown, source: string, base: string): ValidationError {
  let pointer = e.instancePath;
  let reason = e.message ?? 'is invalid';
  const bad = valueAtPointer(value, pointer);
  if (e.keyword === 'required') {
    pointer += `/${pointerSegment(String(e.params.missingProperty))}`;
    return new ValidationError(source, base + pointer, 'is required');
  }
  if (e.keyword === 'additionalProperties') {
    pointer += `/${pointerSegment(String(e.params.additionalProperty))}`;
    return new ValidationError(source, base + pointer, 'is not a field of the schema', valueAtPointer(value, pointer));
  }
  if (e.keyword === 'enum') reason = `must be one of ${(e.params.allowedValues as unknown[]).map(describe).join(', ')}`;
  if (e.keyword === 'type') reason = `must be of type ${[e.params.type].flat().join(' or ')}`;
  if (e.keyword === 'pattern') reason = `must match the pattern ${e.params.pattern}`;
  return new ValidationError(source, base + pointer || '/', `${reason}, got ${describe(bad)}`, bad);
}

/** Duplicate entries of `set` and `map` lists, which JSON Schema cannot express: the first one found. */
function duplicate(s: JSONSchemaProps, v: unknown, pointer: string): { pointer: string; reason: string; value: unknown } | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    const listType = s['x-kubernetes-list-type'];
    if (listType === 'set' || listType === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const seen = new Map<string, number>();
      for (let i = 0; i < v.length; i++) {
        const id = listType === 'set' ? JSON.stringify(v[i]) : JSON.stringify(keys.map((k) => (v[i] as Record<string, unknown>)?.[k]));
        const first = seen.get(id);
        if (first !== undefined) {
          const what = listType === 'set' ? describe(v[i]) : keys.map((k) => `${k}=${describe((v[i] as Record<string, unknown>)[k])}`).join(', ');
          return { pointer: `${pointer}/${i}`, reason: `duplicate entry (${what}), same as ${pointer}/${first}`, value: v[i] };
        }
        seen.set(id, i);
      }
    }
    if (s.items) {
      for (let i = 0; i < v.length; i++) {
        const d = duplicate(s.items, v[i], `${pointer}/${i}`);
        if (d) return d;
      }
    }
    return undefined;
  }
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    const cs = s.properties?.[k] ?? s.additionalProperties;
    const d = cs ? duplicate(cs, child, `${pointer}/${pointerSegment(k)}`) : undefined;
    if (d) return d;
  }
  return undefined;
}

export interface CheckOptions {
  /** Where the value came from (construct path, object). */
  readonly source: string;
  /** JSON pointer prefixed to the error's path, e.g. `/spec`. @default '' */
  readonly base?: string;
}

/**
 * Checks `value` against a schema node and returns a copy with the schema's defaults applied,
 * as the API server would store it. Throws a ValidationError naming the JSON pointer of the
 * first bad field.
 */
export function checkValue<T>(schema: JSONSchemaProps, value: unknown, opts: CheckOptions): T {
  // A function (or a symbol) has no JSON: it is checked as the undefined it would be written as.
  const text = value === undefined ? undefined : JSON.stringify(value);
  const copy = text === undefined ? undefined : (JSON.parse(text) as unknown);
  const fn = compile(schema);
  if (!fn(copy)) throw toError(fn.errors![0], copy, opts.source, opts.base ?? '');
  const dup = duplicate(schema, copy, opts.base ?? '');
  if (dup) throw new ValidationError(opts.source, dup.pointer || '/', dup.reason, dup.value);
  return copy as T;
}
