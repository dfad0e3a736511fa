/**
 * The Go templates of NodeConfigTemplate (`type`, `endpoint`, `basicAuthSecret.name`), rendered
 * per node as wao-core does with text/template and sprig, by a small interpreter of the subset
 * they need: text and `{{ }}` actions (with `{{-`/`-}}` trimming and comments), pipelines
 * (`a | b`), parentheses, fields of the data (`.Hostname`, `.IPv4.Octet4`, `$.Hostname`), string,
 * number and boolean literals, and the functions below. No `if`/`range`/variables: such a
 * template fails, and a field that fails keeps its text as written (the original's behaviour);
 * the failure names the field and the reason, for an Event.
 *
 * Safe by construction: no `eval`, no access beyond the data's own fields, bounded input
 * (`TEMPLATE_MAX_LENGTH`), nesting, output and printf widths.
 */
import { isIPv4 } from 'node:net';
import { HOSTNAME_LABEL, UNDEFINED_HOSTNAME, UNDEFINED_IPV4, UNDEFINED_OCTET } from './names.js';
import {
  ENDPOINT_MAX_LENGTH,
  METRICS_TERMS,
  PREDICTOR_TERMS,
  TERM_TYPES,
  templateOf,
  type NodeConfigSpecInput,
  type NodeConfigTemplateBody,
  type NodeConfigTemplateSpec,
  type TermName,
} from './crds.js';

/** What a template sees of its node. */
export interface TemplateData {
  /** The node's `kubernetes.io/hostname` label, else `undefined.example.com`. */
  readonly Hostname: string;
  readonly IPv4: {
    /** The node's first InternalIP that is an IPv4 address, else `x.x.x.x`. */
    readonly Address: string;
    /** Its octets as strings (`"10"`), else `x`. */
    readonly Octet1: string;
    readonly Octet2: string;
    readonly Octet3: string;
    readonly Octet4: string;
  };
}

/** The parts of a Node a template reads. */
export interface NodeLike {
  readonly metadata?: { readonly name?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly status?: { readonly addresses?: readonly { readonly type: string; readonly address: string }[] };
}

/** The template data of a node (the original's rules and fallbacks). */
export function templateDataOf(node: NodeLike): TemplateData {
  const hostname = node.metadata?.labels?.[HOSTNAME_LABEL];
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP' && isIPv4(a.address))?.address;
  const octets = ip ? ip.split('.') : [UNDEFINED_OCTET, UNDEFINED_OCTET, UNDEFINED_OCTET, UNDEFINED_OCTET];
  return {
    Hostname: hostname || UNDEFINED_HOSTNAME,
    IPv4: { Address: ip ?? UNDEFINED_IPV4, Octet1: octets[0], Octet2: octets[1], Octet3: octets[2], Octet4: octets[3] },
  };
}

/** Longest template text. */
export const TEMPLATE_MAX_LENGTH = 4096;
/** Longest rendered text. */
export const RENDERED_MAX_LENGTH = 4096;
/** Deepest nesting of parentheses. */
const MAX_DEPTH = 16;
/** Widest printf field. */
const MAX_WIDTH = 256;

/** The result of rendering one template. */
export type RenderResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: string };

class TemplateError extends Error {}

// ---- lexer ----------------------------------------------------------------------------------

type Token =
  | { kind: 'field'; names: string[]; root: boolean }
  | { kind: 'dot' }
  | { kind: 'ident'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'lparen' }
  | { kind: 'rparen' }
  | { kind: 'pipe' };

type Piece = { kind: 'text'; text: string } | { kind: 'action'; tokens: Token[] };

const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[-+]?(0[xX][0-9a-fA-F]+|(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)/y;
const UNSUPPORTED_KEYWORDS = ['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue'];

/** Splits a template into text and the tokens of each action. */
function lex(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNextText = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNextText) text = text.replace(/^\s+/, '');
    trimNextText = false;
    if (open < 0) {
      if (text) pieces.push({ kind: 'text', text });
      break;
    }
    let j = open + 2;
    if (src[j] === '-' && /\s/.test(src[j + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      j += 1;
    }
    if (text) pieces.push({ kind: 'text', text });
    // A comment: {{/* ... */}}, possibly trimmed.
    const afterSpace = j + (src.slice(j).match(/^\s*/)?.[0].length ?? 0);
    if (src.startsWith('/*', afterSpace)) {
      const close = src.indexOf('*/', afterSpace + 2);
      if (close < 0) throw new TemplateError('unclosed comment');
      let k = close + 2;
      const m = /^\s*-\}\}/.exec(src.slice(k)) ?? /^\s*\}\}/.exec(src.slice(k));
      if (!m) throw new TemplateError('comment ends with */ followed by }}');
      if (m[0].includes('-')) trimNextText = true;
      k += m[0].length;
      i = k;
      continue;
    }
    const tokens: Token[] = [];
    for (;;) {
      while (j < src.length && /\s/.test(src[j])) {
        // A right trim marker: whitespace, '-', '}}'.
        if (src[j + 1] === '-' && src.startsWith('}}', j + 2)) break;
        j++;
      }
      if (j >= src.length) throw new TemplateError('unclosed action (no "}}")');
      if (/\s/.test(src[j]) && src[j + 1] === '-' && src.startsWith('}}', j + 2)) {
        trimNextText = true;
        j += 4;
        break;
      }
      if (src.startsWith('}}', j)) {
        j += 2;
        break;
      }
      const c = src[j];
      if (c === '(' || c === ')' || c === '|') {
        tokens.push(c === '(' ? { kind: 'lparen' } : c === ')' ? { kind: 'rparen' } : { kind: 'pipe' });
        j++;
      } else if (c === '"') {
        let k = j + 1;
        let out = '';
        for (;;) {
          if (k >= src.length || src[k] === '\n') throw new TemplateError('unterminated quoted string');
          const ch = src[k];
          if (ch === '"') break;
          if (ch === '\\') {
            const e = src[k + 1];
            const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
            if (e !== undefined && e in simple) {
              out += simple[e];
              k += 2;
              continue;
            }
            const hex = /^(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})/.exec(src.slice(k + 1));
            if (!hex) throw new TemplateError(`unknown escape sequence \\${e ?? ''}`);
            out += String.fromCodePoint(parseInt(hex[0].slice(1), 16));
            k += 1 + hex[0].length;
            continue;
          }
          out += ch;
          k++;
        }
        tokens.push({ kind: 'string', value: out });
        j = k + 1;
      } else if (c === '`') {
        const close = src.indexOf('`', j + 1);
        if (close < 0) throw new TemplateError('unterminated raw quoted string');
        tokens.push({ kind: 'string', value: src.slice(j + 1, close) });
        j = close + 1;
      } else if (c === '.' || c === '$') {
        const root = c === '$';
        let k = root ? j + 1 : j;
        const names: string[] = [];
        while (src[k] === '.') {
          IDENT.lastIndex = k + 1;
          const m = IDENT.exec(src);
          if (!m) break;
          names.push(m[0]);
          k = IDENT.lastIndex;
        }
        if (root && k === j + 1 && /[A-Za-z_]/.test(src[k] ?? '')) throw new TemplateError('variables are not supported');
        if (!root && names.length === 0) {
          NUMBER.lastIndex = j;
          const n = /\d/.test(src[j + 1] ?? '') ? NUMBER.exec(src) : null;
          if (n) {
            tokens.push({ kind: 'number', value: Number(n[0]), text: n[0] });
            j = NUMBER.lastIndex;
            continue;
          }
          tokens.push({ kind: 'dot' });
          j = k + 1;
          continue;
        }
        tokens.push({ kind: 'field', names, root });
        j = k;
      } else if (/[-+0-9]/.test(c)) {
        NUMBER.lastIndex = j;
        const n = NUMBER.exec(src);
        if (!n) throw new TemplateError(`bad number syntax near ${JSON.stringify(src.slice(j, j + 10))}`);
        const value = n[0].replace(/^[-+]/, '').startsWith('0x') || n[0].replace(/^[-+]/, '').startsWith('0X') ? parseInt(n[0], 16) : Number(n[0]);
        tokens.push({ kind: 'number', value, text: n[0] });
        j = NUMBER.lastIndex;
      } else if (/[A-Za-z_]/.test(c)) {
        IDENT.lastIndex = j;
        const name = IDENT.exec(src)![0];
        j = IDENT.lastIndex;
        if (name === 'true' || name === 'false') tokens.push({ kind: 'bool', value: name === 'true' });
        else if (name === 'nil') tokens.push({ kind: 'nil' });
        else if (UNSUPPORTED_KEYWORDS.includes(name) && tokens.length === 0) throw new TemplateError(`{{${name}}} is not supported here`);
        else tokens.push({ kind: 'ident', name });
      } else if (c === ':' || c === '=') {
        throw new TemplateError('variables are not supported');
      } else {
        throw new TemplateError(`unexpected ${JSON.stringify(c)} in action`);
      }
      const lastKind = tokens[tokens.length - 1]?.kind;
      if (j < src.length && /[A-Za-z0-9_."`]/.test(src[j]) && ['string', 'number', 'ident', 'bool', 'nil'].includes(lastKind ?? '')) {
        throw new TemplateError(`unexpected ${JSON.stringify(src[j])} after ${JSON.stringify(src.slice(Math.max(open, j - 10), j))}`);
      }
    }
    if (tokens.length === 0) throw new TemplateError('missing value for command');
    pieces.push({ kind: 'action', tokens });
    i = j;
  }
  return pieces;
}

// ---- parser -----------------------------------------------------------------------------------

type Operand =
  | { kind: 'field'; names: string[]; root: boolean }
  | { kind: 'dot' }
  | { kind: 'literal'; value: Value }
  | { kind: 'ident'; name: string }
  | { kind: 'pipeline'; pipeline: Pipeline };
type Command = Operand[];
type Pipeline = Command[];

/** A value of the interpreter: Go's string, int64/float64 (numbers), bool, nil, struct. */
type Value = string | number | boolean | null | { readonly [k: string]: Value };

function parsePipeline(tokens: Token[], pos: { i: number }, depth: number): Pipeline {
  if (depth > MAX_DEPTH) throw new TemplateError(`parentheses nested deeper than ${MAX_DEPTH}`);
  const pipeline: Pipeline = [];
  let cmd: Command = [];
  while (pos.i < tokens.length) {
    const t = tokens[pos.i];
    if (t.kind === 'rparen') break;
    pos.i++;
    switch (t.kind) {
      case 'pipe':
        if (cmd.length === 0) throw new TemplateError('missing command before |');
        pipeline.push(cmd);
        cmd = [];
        break;
      case 'lparen': {
        const inner = parsePipeline(tokens, pos, depth + 1);
        if (tokens[pos.i]?.kind !== 'rparen') throw new TemplateError('unclosed left paren');
        pos.i++;
        if (inner.length === 0) throw new TemplateError('missing value in parentheses');
        cmd.push({ kind: 'pipeline', pipeline: inner });
        break;
      }
      case 'field':
        cmd.push({ kind: 'field', names: t.names, root: t.root });
        break;
      case 'dot':
        cmd.push({ kind: 'dot' });
        break;
      case 'ident':
        cmd.push({ kind: 'ident', name: t.name });
        break;
      case 'string':
        cmd.push({ kind: 'literal', value: t.value });
        break;
      case 'number':
        cmd.push({ kind: 'literal', value: t.value });
        break;
      case 'bool':
        cmd.push({ kind: 'literal', value: t.value });
        break;
      case 'nil':
        cmd.push({ kind: 'literal', value: null });
        break;
    }
  }
  if (cmd.length === 0 && pipeline.length > 0) throw new TemplateError('missing command after |');
  if (cmd.length) pipeline.push(cmd);
  return pipeline;
}

// ---- functions --------------------------------------------------------------------------------

function typeName(v: Value): string {
  if (v === null) return 'nil';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'object') return 'struct';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/** sprig's toInt64, without its silent 0 for what is not a number: that is an error here. */
function toInt(fn: string, v: Value): number {
  let n: number;
  if (typeof v === 'number') n = Math.trunc(v);
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(v)) n = Math.trunc(Number(v));
  else throw new TemplateError(`${fn}: ${v === null ? 'nil' : JSON.stringify(v)} is not a number`);
  if (!Number.isSafeInteger(n)) throw new TemplateError(`${fn}: ${v} is out of range`);
  return n;
}

function checked(fn: string, n: number): number {
  if (!Number.isSafeInteger(n)) throw new TemplateError(`${fn}: result out of range`);
  return n;
}

function arity(fn: string, args: Value[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new TemplateError(`wrong number of args for ${fn}: want ${want} got ${args.length}`);
  }
}

function str(fn: string, v: Value): string {
  if (typeof v !== 'string') throw new TemplateError(`${fn}: wrong type for value; expected string; got ${typeName(v)}`);
  return v;
}

/** Go's %v of a value (fmt.Sprint). */
function show(v: Value): string {
  if (v === null) return '<nil>';
  if (typeof v === 'object') return `{${Object.values(v).map(show).join(' ')}}`;
  return String(v);
}

/** A minimal fmt.Sprintf: %s %d %v %q %x %X %f %t %%, flags '-' and '0', width, precision. */
function sprintf(format: string, args: Value[]): string {
  let out = '';
  let next = 0;
  const re = /%([-0+ ]*)(\d*)(?:\.(\d+))?([a-zA-Z%])/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(format)) !== null) {
    out += format.slice(last, m.index);
    last = re.lastIndex;
    const [, flags, widthText, precText, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const width = widthText ? Number(widthText) : 0;
    const prec = precText !== undefined ? Number(precText) : undefined;
    if (width > MAX_WIDTH || (prec ?? 0) > MAX_WIDTH) throw new TemplateError(`printf: width or precision above ${MAX_WIDTH}`);
    if (next >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const a = args[next++];
    let s: string;
    const bad = () => `%!${verb}(${typeName(a)}=${show(a)})`;
    switch (verb) {
      case 'v':
        s = show(a);
        break;
      case 's':
        s = typeof a === 'string' ? a : typeof a === 'object' && a !== null ? show(a) : bad();
        if (prec !== undefined && typeof a === 'string') s = [...s].slice(0, prec).join('');
        break;
      case 'q':
        s = typeof a === 'string' ? JSON.stringify(a) : bad();
        break;
      case 'd':
        s = typeof a === 'number' && Number.isInteger(a) ? String(Math.abs(a)) : bad();
        if (s !== bad() && flags.includes('0') && !flags.includes('-')) s = s.padStart(width - ((a as number) < 0 || flags.includes('+') ? 1 : 0), '0');
        if (typeof a === 'number' && Number.isInteger(a)) s = (a < 0 ? '-' : flags.includes('+') ? '+' : '') + s;
        break;
      case 'x':
      case 'X':
        s = typeof a === 'number' && Number.isInteger(a) ? (a < 0 ? '-' : '') + Math.abs(a).toString(16) : typeof a === 'string' ? Buffer.from(a).toString('hex') : bad();
        if (verb === 'X') s = s.toUpperCase();
        if (flags.includes('0') && !flags.includes('-') && typeof a === 'number') s = s.padStart(width, '0');
        break;
      case 'f':
        s = typeof a === 'number' ? a.toFixed(prec ?? 6) : bad();
        break;
      case 't':
        s = typeof a === 'boolean' ? String(a) : bad();
        break;
      default:
        s = `%!${verb}(${typeName(a)}=${show(a)})`;
    }
    out += flags.includes('-') ? s.padEnd(width) : s.padStart(width, ' ');
  }
  out += format.slice(last);
  if (next < args.length) out += `%!(EXTRA ${args.slice(next).map((a) => `${typeName(a)}=${show(a)}`).join(', ')})`;
  return out;
}

type Fn = (args: Value[]) => Value;

/** The functions templates may call: sprig's arithmetic and strings, Go's printf and print. */
export const TEMPLATE_FUNCTIONS: readonly string[] = [
  'add', 'add1', 'sub', 'mul', 'div', 'mod', 'max', 'min', 'printf', 'print', 'lower', 'upper', 'trim', 'trimPrefix', 'trimSuffix', 'replace', 'default', 'atoi',
];

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  add: (a) => checked('add', a.reduce<number>((s, v) => s + toInt('add', v), 0)),
  add1: (a) => (arity('add1', a, 1), checked('add1', toInt('add1', a[0]) + 1)),
  sub: (a) => (arity('sub', a, 2), checked('sub', toInt('sub', a[0]) - toInt('sub', a[1]))),
  mul: (a) => (arity('mul', a, 1, Infinity), checked('mul', a.reduce<number>((s, v) => s * toInt('mul', v), 1))),
  div: (a) => {
    arity('div', a, 2);
    const d = toInt('div', a[1]);
    if (d === 0) throw new TemplateError('div: division by zero');
    return Math.trunc(toInt('div', a[0]) / d);
  },
  mod: (a) => {
    arity('mod', a, 2);
    const d = toInt('mod', a[1]);
    if (d === 0) throw new TemplateError('mod: division by zero');
    return toInt('mod', a[0]) % d;
  },
  max: (a) => (arity('max', a, 1, Infinity), Math.max(...a.map((v) => toInt('max', v)))),
  min: (a) => (arity('min', a, 1, Infinity), Math.min(...a.map((v) => toInt('min', v)))),
  printf: (a) => (arity('printf', a, 1, Infinity), sprintf(str('printf', a[0]), a.slice(1))),
  // fmt.Sprint: spaces between operands when neither is a string.
  print: (a) => a.map((v, i) => (i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + show(v)).join(''),
  lower: (a) => (arity('lower', a, 1), str('lower', a[0]).toLowerCase()),
  upper: (a) => (arity('upper', a, 1), str('upper', a[0]).toUpperCase()),
  trim: (a) => (arity('trim', a, 1), str('trim', a[0]).trim()),
  trimPrefix: (a) => {
    arity('trimPrefix', a, 2);
    const [p, s] = [str('trimPrefix', a[0]), str('trimPrefix', a[1])];
    return s.startsWith(p) ? s.slice(p.length) : s;
  },
  trimSuffix: (a) => {
    arity('trimSuffix', a, 2);
    const [p, s] = [str('trimSuffix', a[0]), str('trimSuffix', a[1])];
    return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
  },
  replace: (a) => (arity('replace', a, 3), str('replace', a[2]).split(str('replace', a[0])).join(str('replace', a[1]))),
  default: (a) => {
    arity('default', a, 1, 2);
    if (a.length === 1) return a[0];
    const v = a[1];
    const empty = v === null || v === '' || v === 0 || v === false;
    return empty ? a[0] : v;
  },
  atoi: (a) => (arity('atoi', a, 1), toInt('atoi', str('atoi', a[0]))),
};

// ---- evaluation -------------------------------------------------------------------------------

function field(base: Value, names: string[], root: boolean): Value {
  let v: Value = base;
  let path = root ? '$' : '';
  for (const n of names) {
    if (v === null || typeof v !== 'object') throw new TemplateError(`can't evaluate field ${n} in type ${typeName(v)}`);
    if (!Object.prototype.hasOwnProperty.call(v, n)) throw new TemplateError(`can't evaluate field ${n} (${path || '.'} has ${Object.keys(v).join(', ')})`);
    v = v[n];
    path += `.${n}`;
  }
  return v;
}

function operand(o: Operand, data: Value): Value {
  switch (o.kind) {
    case 'field':
      return field(data, o.names, o.root);
    case 'dot':
      return data;
    case 'literal':
      return o.value;
    case 'pipeline':
      return pipeline(o.pipeline, data);
    case 'ident':
      return call(o.name, [], data);
  }
}

function call(name: string, args: Value[], _data: Value): Value {
  if (!Object.prototype.hasOwnProperty.call(FUNCTIONS, name)) throw new TemplateError(`function ${JSON.stringify(name)} not defined`);
  return FUNCTIONS[name](args);
}

function command(cmd: Command, data: Value, piped: Value | undefined): Value {
  const [first, ...rest] = cmd;
  if (first.kind === 'ident') {
    const args = rest.map((o) => operand(o, data));
    if (piped !== undefined) args.push(piped);
    return call(first.name, args, data);
  }
  if (rest.length > 0 || piped !== undefined) {
    throw new TemplateError(`can't give argument to non-function ${first.kind === 'field' ? `.${first.names.join('.')}` : 'value'}`);
  }
  if (first.kind === 'literal' && first.value === null) throw new TemplateError('nil is not a command');
  return operand(first, data);
}

function pipeline(p: Pipeline, data: Value): Value {
  let v: Value | undefined;
  for (const cmd of p) v = command(cmd, data, v);
  return v as Value;
}

/** Renders one template with `data`; never throws. */
export function renderTemplate(text: string, data: TemplateData): RenderResult {
  if (typeof text !== 'string') return { ok: false, error: 'is not a string' };
  if (!text.includes('{{')) return { ok: true, value: text };
  if (text.length > TEMPLATE_MAX_LENGTH) return { ok: false, error: `template longer than ${TEMPLATE_MAX_LENGTH} characters` };
  try {
    let out = '';
    for (const piece of lex(text)) {
      if (piece.kind === 'text') out += piece.text;
      else {
        const pos = { i: 0 };
        const p = parsePipeline(piece.tokens, pos, 0);
        if (pos.i < piece.tokens.length) throw new TemplateError('unexpected ")"');
        const v = pipeline(p, data as unknown as Value);
        // text/template prints a nil result as "<no value>".
        out += v === null ? '<no value>' : show(v);
      }
      if (out.length > RENDERED_MAX_LENGTH) throw new TemplateError(`output longer than ${RENDERED_MAX_LENGTH} characters`);
    }
    return { ok: true, value: out };
  } catch (e) {
    if (e instanceof TemplateError) return { ok: false, error: e.message };
    if (e instanceof RangeError) return { ok: false, error: e.message };
    throw e;
  }
}

// ---- a whole template -------------------------------------------------------------------------

/** A field of a template that did not render: it was kept as written. */
export interface RenderFailure {
  /** Dotted path under the template, e.g. `metricsCollector.inletTemp.endpoint`. */
  readonly field: string;
  /** The template as written. */
  readonly template: string;
  /** Why it failed (the parser's or the function's message). */
  readonly reason: string;
}

/** A NodeConfig spec rendered for one node, and the fields that did not render. */
export interface RenderedNodeConfig {
  readonly spec: NodeConfigSpecInput;
  readonly failures: readonly RenderFailure[];
}

type TermIn = { type: string; endpoint?: string; basicAuthSecret?: { name: string }; [k: string]: unknown };

/**
 * Renders a NodeConfigTemplate's template (`template`, or the README's form) for a node named
 * `nodeName` with `data`: `type`, `endpoint` and `basicAuthSecret.name` of every term; the other
 * fields are copied; `nodeName` is set. A field that fails, or whose rendered `type` is not one
 * the term takes, or whose rendered endpoint is too long, keeps its text and is listed in
 * `failures`.
 */
export function renderNodeConfig(template: NodeConfigTemplateSpec | NodeConfigTemplateBody, nodeName: string, data: TemplateData): RenderedNodeConfig {
  const body = ('nodeSelector' in template ? templateOf(template) : template) as NodeConfigTemplateBody;
  const failures: RenderFailure[] = [];
  const renderTerm = (name: TermName, t: TermIn | undefined, at: string): TermIn | undefined => {
    if (!t) return undefined;
    const out: TermIn = JSON.parse(JSON.stringify(t)) as TermIn;
    const one = (path: string, text: string, check?: (v: string) => string | undefined): string => {
      const r = renderTemplate(text, data);
      const reason = r.ok ? check?.(r.value) : r.error;
      if (reason === undefined && r.ok) return r.value;
      failures.push({ field: `${at}.${path}`, template: text, reason: reason! });
      return text;
    };
    const types: readonly string[] = TERM_TYPES[name];
    out.type = one('type', t.type, (v) => (types.includes(v) ? undefined : `rendered ${JSON.stringify(v)}, not one of ${types.map((x) => JSON.stringify(x)).join(', ')}`));
    if (t.endpoint !== undefined) {
      out.endpoint = one('endpoint', t.endpoint, (v) => (v.length > ENDPOINT_MAX_LENGTH ? `rendered ${v.length} characters, more than ${ENDPOINT_MAX_LENGTH}` : undefined));
    }
    if (t.basicAuthSecret) {
      out.basicAuthSecret = { name: one('basicAuthSecret.name', t.basicAuthSecret.name, (v) => (v.length > 253 || v.length === 0 ? `rendered ${v.length} characters, a name has 1 to 253` : undefined)) };
    }
    return out;
  };
  const mc = body.metricsCollector as unknown as Record<string, TermIn | undefined>;
  const metricsCollector: Record<string, TermIn> = {};
  for (const name of METRICS_TERMS) {
    const r = renderTerm(name, mc[name], `metricsCollector.${name}`);
    if (r) metricsCollector[name] = r;
  }
  let predictor: Record<string, TermIn> | undefined;
  if (body.predictor) {
    const p = body.predictor as unknown as Record<string, TermIn | undefined>;
    predictor = {};
    for (const name of PREDICTOR_TERMS) {
      const r = renderTerm(name, p[name], `predictor.${name}`);
      if (r) predictor[name] = r;
    }
  }
  const spec = { nodeName, metricsCollector, ...(predictor ? { predictor } : {}) } as unknown as NodeConfigSpecInput;
  return { spec, failures };
}

/** Longest message of `describeRenderFailures` (an Event's message is cut at 1 kB by the API server). */
export const RENDER_MESSAGE_MAX = 1000;

/**
 * One line for an Event: `node worker-0: metricsCollector.inletTemp.endpoint "https://{{.Unknown}}":
 * can't evaluate field Unknown ...; ...`, cut at {@link RENDER_MESSAGE_MAX} characters.
 */
export function describeRenderFailures(nodeName: string, failures: readonly RenderFailure[]): string {
  const text = `node ${nodeName}: ${failures.map((f) => `${f.field} ${JSON.stringify(f.template.length > 120 ? `${f.template.slice(0, 117)}...` : f.template)}: ${f.reason}`).join('; ')} (kept unrendered)`;
  return text.length > RENDER_MESSAGE_MAX ? `${text.slice(0, RENDER_MESSAGE_MAX - 3)}...` : text;
}
