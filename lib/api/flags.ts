/**
 * Typed, Go-`flag`-compatible command-line flags, shared by a controller's construct (which
 * renders args) and its runtime (which parses them): `-name value`, `--name value`,
 * `--name=value`, booleans as `--name`, `--name=false`; durations as Go writes them (`30s`,
 * `2m10s`, `1h`, `500ms`). Each flag may fall back to an environment variable. Errors name the flag.
 *
 * Declare a controller's flags `as const satisfies readonly FlagSpec[]`: `parseFlags` then
 * returns values typed from the spec (`FlagValuesOf`), and `renderFlags` accepts only those.
 */
import { ValidationError } from '../k8s/validation.js';
import { dns1123LabelReason } from '../k8s/validators.js';

export type FlagType = 'string' | 'duration' | 'bool' | 'int';

/** The parsed value of a flag type: durations in milliseconds. */
export type FlagValueOf<T extends FlagType> = T extends 'string' ? string : T extends 'bool' ? boolean : number;

export interface FlagSpec<N extends string = string, T extends FlagType = FlagType> {
  /** Flag name without dashes, e.g. `configmap-name`. */
  readonly name: N;
  readonly type: T;
  /** One line for `--help`. */
  readonly description: string;
  /** Default, in the flag's own syntax (`180s`, `true`, ...). @default none */
  readonly default?: string;
  /** Environment variable read when the flag is absent. @default none */
  readonly env?: string;
  /** Missing flag (and env, and default) is an error. @default false */
  readonly required?: boolean;
}

export type FlagValue = string | number | boolean;
export type FlagValues = Record<string, FlagValue | undefined>;

type Always = { readonly required: true } | { readonly default: string };
/** The values `parseFlags` returns for a spec: always present when required or defaulted. */
export type FlagValuesOf<S extends readonly FlagSpec[]> = {
  readonly [F in S[number] as F['name']]: F extends Always ? FlagValueOf<F['type']> : FlagValueOf<F['type']> | undefined;
};
/** What a construct may render for a spec: any subset, typed. */
export type FlagInputOf<S extends readonly FlagSpec[]> = {
  readonly [F in S[number] as F['name']]?: FlagValueOf<F['type']>;
};

export class FlagError extends ValidationError {
  constructor(readonly flag: string, message: string) {
    super('flags', `--${flag}`, message);
    // The message reads as the command line does: `--flag: reason`.
    this.message = `--${flag}: ${message}`;
    this.name = 'FlagError';
  }
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration (`1h2m3.5s`, `250ms`, `0`) into milliseconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += parseFloat(m[1]) * UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== s.length) throw new Error(`"${text}" is not a duration (e.g. 30s, 2m10s, 500ms)`);
  return total;
}

/** Formats milliseconds the way Go prints a time.Duration (`3m0s`, `1.5s`, `250ms`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

function convert(spec: FlagSpec, raw: string): FlagValue {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'bool':
      if (/^(1|t|true|yes)$/i.test(raw)) return true;
      if (/^(0|f|false|no)$/i.test(raw)) return false;
      throw new FlagError(spec.name, `"${raw}" is not a boolean`);
    case 'int': {
      if (!/^-?\d+$/.test(raw)) throw new FlagError(spec.name, `"${raw}" is not an integer`);
      return parseInt(raw, 10);
    }
    case 'duration':
      try {
        return parseDuration(raw);
      } catch (e) {
        throw new FlagError(spec.name, (e as Error).message);
      }
  }
}

export interface ParsedFlags<V = FlagValues> {
  readonly values: V;
  /** Non-flag arguments, in order. */
  readonly positional: string[];
  readonly help: boolean;
}

export function parseFlags<const S extends readonly FlagSpec[]>(
  specs: S,
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
): ParsedFlags<FlagValuesOf<S>> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const raw = new Map<string, string>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === 'help' || name === 'h') {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (!spec) throw new FlagError(name, 'unknown flag');
    if (eq >= 0) raw.set(name, body.slice(eq + 1));
    else if (spec.type === 'bool') raw.set(name, 'true');
    else if (i + 1 < argv.length) raw.set(name, argv[++i]);
    else throw new FlagError(name, 'needs a value');
  }
  const values: FlagValues = {};
  for (const spec of specs) {
    let text = raw.get(spec.name);
    if (text === undefined && spec.env && env[spec.env] !== undefined && env[spec.env] !== '') text = env[spec.env];
    if (text === undefined) text = spec.default;
    if (text === undefined) {
      if (spec.required && !help) throw new FlagError(spec.name, `is required${spec.env ? ` (or env ${spec.env})` : ''}`);
      values[spec.name] = undefined;
      continue;
    }
    values[spec.name] = convert(spec, text);
  }
  return { values: values as FlagValuesOf<S>, positional, help };
}

/**
 * Renders typed values as `--name=value` args in the spec's order (durations the way Go prints
 * them), so that `parseFlags(specs, renderFlags(specs, v))` gives `v` back. An unknown name or a
 * value of the wrong type is an error naming the flag: the construct and the runtime cannot drift.
 */
export function renderFlags<const S extends readonly FlagSpec[]>(specs: S, values: FlagInputOf<S>): string[] {
  const given = values as Record<string, FlagValue | undefined>;
  const known = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(given)) if (!known.has(name)) throw new FlagError(name, 'unknown flag');
  const args: string[] = [];
  for (const spec of specs) {
    const value = given[spec.name];
    if (value === undefined) continue;
    args.push(`--${spec.name}=${renderValue(spec, value)}`);
  }
  return args;
}

function renderValue(spec: FlagSpec, value: FlagValue): string {
  const expected = spec.type === 'string' ? 'string' : spec.type === 'bool' ? 'boolean' : 'number';
  if (typeof value !== expected) throw new FlagError(spec.name, `${JSON.stringify(value)} is not a ${spec.type}`);
  if (spec.type === 'int' && !Number.isInteger(value)) throw new FlagError(spec.name, `${value} is not an integer`);
  if (spec.type === 'duration') {
    if (!Number.isFinite(value) || (value as number) < 0) throw new FlagError(spec.name, `${value} is not a duration in ms`);
    return formatDuration(value as number);
  }
  return String(value);
}

/** `--help` text for a list of flags. */
export function flagsUsage(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const extra = [
        s.required ? 'required' : undefined,
        s.default !== undefined ? `default ${JSON.stringify(s.default)}` : undefined,
        s.env ? `env ${s.env}` : undefined,
      ]
        .filter(Boolean)
        .join(', ');
      const type = s.type === 'bool' ? '' : ` <${s.type}>`;
      return `  --${s.name}${type}\n      ${s.description}${extra ? ` (${extra})` : ''}`;
    })
    .join('\n');
}

/**
 * The namespaces of a comma-separated list flag: trimmed, deduplicated, sorted, at least one,
 * each a DNS-1123 label; a FlagError names the flag.
 */
export function parseNamespaces(text: string, flag = 'namespaces'): string[] {
  const list = [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))].sort();
  if (list.length === 0) throw new FlagError(flag, 'needs at least one namespace');
  for (const ns of list) {
    const reason = dns1123LabelReason(ns);
    if (reason) throw new FlagError(flag, reason);
  }
  return list;
}
