/**
 * NodeConfigTemplate's Go templates: the examples, the data and its fallbacks, the
 * functions, failures kept unrendered and named, and the bounds of the interpreter.
 */
import {
  checkNodeConfigSpec,
  checkNodeConfigTemplateSpec,
  describeRenderFailures,
  renderNodeConfig,
  renderTemplate,
  RENDER_MESSAGE_MAX,
  TEMPLATE_FUNCTIONS,
  TEMPLATE_MAX_LENGTH,
  templateDataOf,
  type NodeLike,
} from '../../../lib/api/wao/index.js';
import { NODE_CONFIG_TEMPLATE_YAML, parseSeed } from '../../fixtures/wao-seed.js';

const node = (name: string, ip?: string, labels: Record<string, string> = { 'kubernetes.io/hostname': name }): NodeLike => ({
  metadata: { name, labels },
  status: { addresses: [{ type: 'Hostname', address: name }, ...(ip ? [{ type: 'InternalIP', address: ip }] : [])] },
});
const worker0 = templateDataOf(node('worker-0', '10.0.0.1'));
const render = (t: string) => renderTemplate(t, worker0);
const ok = (t: string) => {
  const r = render(t);
  if (!r.ok) throw new Error(`${t}: ${r.error}`);
  return r.value;
};
const error = (t: string) => {
  const r = render(t);
  if (r.ok) throw new Error(`${t} rendered ${JSON.stringify(r.value)}`);
  return r.error;
};

describe('the issue\'s examples (node worker-0 at 10.0.0.1)', () => {
  it('https://10.0.100.{{.IPv4.Octet4}} → https://10.0.100.1', () => expect(ok('https://10.0.100.{{.IPv4.Octet4}}')).toBe('https://10.0.100.1'));
  it('https://10.0.{{ add .IPv4.Octet3 10 }}.{{.IPv4.Octet4}} → https://10.0.10.1', () =>
    expect(ok('https://10.0.{{ add .IPv4.Octet3 10 }}.{{.IPv4.Octet4}}')).toBe('https://10.0.10.1'));
  it('redfish-basicauth-{{.Unknown}} fails (and stays as is in a NodeConfig)', () => {
    expect(error('redfish-basicauth-{{.Unknown}}')).toMatch(/can't evaluate field Unknown/);
    const r = renderNodeConfig(
      { metricsCollector: { inletTemp: { type: 'Redfish', endpoint: 'https://x', basicAuthSecret: { name: 'redfish-basicauth-{{.Unknown}}' }, fetchInterval: '15s', insecureSkipVerify: false }, deltaP: { type: 'Fake', fetchInterval: '15s', insecureSkipVerify: false } } },
      'worker-0',
      worker0,
    );
    expect(r.spec.metricsCollector.inletTemp.basicAuthSecret).toEqual({ name: 'redfish-basicauth-{{.Unknown}}' });
    expect(r.failures).toEqual([{ field: 'metricsCollector.inletTemp.basicAuthSecret.name', template: 'redfish-basicauth-{{.Unknown}}', reason: expect.stringMatching(/Unknown/) }]);
  });
});

describe('the data of a node', () => {
  it('hostname from the label, the first IPv4 InternalIP and its octets', () => {
    const n = node('w1', undefined, { 'kubernetes.io/hostname': 'w1.example.org' });
    const d = templateDataOf({ ...n, status: { addresses: [{ type: 'ExternalIP', address: '1.2.3.4' }, { type: 'InternalIP', address: 'fd00::1' }, { type: 'InternalIP', address: '192.168.7.21' }, { type: 'InternalIP', address: '10.0.0.9' }] } });
    expect(d).toEqual({ Hostname: 'w1.example.org', IPv4: { Address: '192.168.7.21', Octet1: '192', Octet2: '168', Octet3: '7', Octet4: '21' } });
  });

  it('fallbacks: undefined.example.com, x.x.x.x and x', () => {
    expect(templateDataOf({ metadata: { name: 'w' } })).toEqual({ Hostname: 'undefined.example.com', IPv4: { Address: 'x.x.x.x', Octet1: 'x', Octet2: 'x', Octet3: 'x', Octet4: 'x' } });
    const d = templateDataOf({});
    expect(renderTemplate('{{.Hostname}}/{{.IPv4.Address}}/{{.IPv4.Octet1}}', d)).toEqual({ ok: true, value: 'undefined.example.com/x.x.x.x/x' });
    // sprig would add 0 for "x"; here the field fails and is reported, rather than a wrong address.
    expect(renderTemplate('{{ add .IPv4.Octet3 10 }}', d)).toEqual({ ok: false, error: 'add: "x" is not a number' });
  });
});

describe('the language', () => {
  it.each([
    ['no action', 'https://10.0.0.1', 'https://10.0.0.1'],
    ['root fields', '{{ $.Hostname }}-{{ $.IPv4.Address }}', 'worker-0-10.0.0.1'],
    ['pipelines', '{{ .Hostname | upper }}', 'WORKER-0'],
    ['pipelines into several args', '{{ 5 | sub 10 }}', '5'],
    ['parentheses', '{{ add (mul .IPv4.Octet4 100) (div 9 2) }}', '104'],
    ['printf', '{{ printf "%s-%03d.%v" .Hostname 7 true }}', 'worker-0-007.true'],
    ['printf %q and %x, %%', '{{ printf "%q %x %X %%" "a" 255 255 }}', '"a" ff FF %'],
    ['printf width and -', '{{ printf "[%5s][%-3d]" "ab" 1 }}', '[   ab][1  ]'],
    ['printf of a missing or extra arg, as Go', '{{ printf "%d %s" 1 }}|{{ printf "x" 2 }}', '1 %!s(MISSING)|x%!(EXTRA int=2)'],
    ['printf %d of a string, as Go', '{{ printf "%d" .IPv4.Octet4 }}', '%!d(string=1)'],
    ['lower, upper, trim', '{{ lower "AbC" }}{{ upper "x" }}{{ trim "  y \t" }}', 'abcXy'],
    ['trimPrefix, trimSuffix, replace', '{{ trimPrefix "worker-" .Hostname }}{{ trimSuffix ".com" "a.com" }}{{ replace "-" "_" .Hostname }}', '0aworker_0'],
    ['add is variadic, mul too; add1, mod', '{{ add 1 2 3 }} {{ mul 2 3 4 }} {{ add1 .IPv4.Octet1 }} {{ mod 7 3 }}', '6 24 11 1'],
    ['div truncates', '{{ div 7 2 }} {{ div -7 2 }}', '3 -3'],
    ['default', '{{ default "d" "" }}{{ default "d" "v" }}', 'dv'],
    ['atoi', '{{ atoi "42" }}', '42'],
    ['print', '{{ print 1 2 "a" 3 }}', '1 2a3'],
    ['string escapes and raw strings', '{{ "a\\tb\\u00e9" }}{{ `c\\d` }}', 'a\tbé' + 'c\\d'],
    ['"}}" inside a string', '{{ "x}}y" }}', 'x}}y'],
    ['trim markers', 'a  {{- "b" -}}  c', 'abc'],
    ['comments', 'a{{/* note */}}b{{- /* trimmed */ -}} c', 'abc'],
    ['a struct prints as Go does', '{{ .IPv4 }}', '{10.0.0.1 10 0 0 1}'],
    ['nil prints as <no value>', '{{ default nil nil }}', '<no value>'],
    ['numbers: hex, negative, float', '{{ add 0x10 -1 }} {{ 1.5 }}', '15 1.5'],
  ])('%s', (_, t, want) => expect(ok(t)).toBe(want));

  it.each([
    ['an unknown field', '{{ .Unknown }}', /can't evaluate field Unknown/],
    ['a field of a string', '{{ .Hostname.Short }}', /can't evaluate field Short in type string/],
    ['an unknown function', '{{ env "HOME" }}', 'function "env" not defined'],
    ['no prototype reach', '{{ .constructor }}', /can't evaluate field constructor/],
    ['no prototype reach (functions)', '{{ constructor }}', 'function "constructor" not defined'],
    ['if and range are not supported', '{{ if .Hostname }}x{{ end }}', '{{if}} is not supported here'],
    ['variables are not supported', '{{ $x := 1 }}', 'variables are not supported'],
    ['an unclosed action', 'a{{ .Hostname', /unclosed action/],
    ['an unclosed string', '{{ "abc }}', /unterminated quoted string/],
    ['an unclosed paren', '{{ (add 1 2 }}', 'unclosed left paren'],
    ['a stray paren', '{{ add 1 2) }}', 'unexpected ")"'],
    ['an empty action', '{{ }}', 'missing value for command'],
    ['an empty pipe stage', '{{ .Hostname | }}', 'missing command after |'],
    ['args to a non-function', '{{ .Hostname 1 }}', /can't give argument to non-function .Hostname/],
    ['arity', '{{ sub 1 }}', 'wrong number of args for sub: want 2 got 1'],
    ['division by zero', '{{ div 1 0 }}', 'div: division by zero'],
    ['mod by zero', '{{ mod 1 0 }}', 'mod: division by zero'],
    ['a string function given a number', '{{ upper 1 }}', 'upper: wrong type for value; expected string; got int'],
    ['overflow', '{{ mul 99999999999 99999999999 }}', 'mul: result out of range'],
    ['a bad escape', '{{ "\\q" }}', /unknown escape sequence/],
    ['an unclosed comment', '{{/* x }}', 'unclosed comment'],
    ['nil as a command', '{{ nil }}', 'nil is not a command'],
  ])('fails on %s', (_, t, reason) => expect(error(t)).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason)));

  it('knows the functions it says it knows', () => {
    for (const f of TEMPLATE_FUNCTIONS) {
      const r = render(`{{ ${f} 1 2 3 4 }}`);
      expect(r.ok ? '' : r.error).not.toMatch(/not defined/);
    }
    expect(error('{{ nope 1 }}')).toMatch(/not defined/);
  });
});

describe('bounds', () => {
  it('a template longer than the limit is refused without being parsed', () => {
    expect(render(`{{ .Hostname }}${'a'.repeat(TEMPLATE_MAX_LENGTH)}`)).toEqual({ ok: false, error: `template longer than ${TEMPLATE_MAX_LENGTH} characters` });
    // Text without an action is returned as is (the schema bounds it).
    expect(render('a'.repeat(TEMPLATE_MAX_LENGTH + 1))).toEqual({ ok: true, value: 'a'.repeat(TEMPLATE_MAX_LENGTH + 1) });
  });

  it('nesting, widths and output are bounded', () => {
    expect(error(`{{ ${'('.repeat(40)}1${')'.repeat(40)} }}`)).toMatch(/nested deeper than 16/);
    expect(error('{{ printf "%0999999d" 1 }}')).toMatch(/width or precision above/);
    expect(error(`${'{{ printf "%200s" "" }}'.repeat(30)}`)).toMatch(/output longer than/);
  });

  it('never throws on arbitrary input, and is quick', () => {
    const alphabet = ['{{', '}}', '{{-', '-}}', '.', '$', '(', ')', '|', '"', '`', '\\', ' ', 'add', 'printf', '%d', '1', '.IPv4', '.Octet4', '/*', '*/', 'x', '-'];
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const start = Date.now();
    for (let i = 0; i < 5000; i++) {
      const t = Array.from({ length: 1 + rand(20) }, () => alphabet[rand(alphabet.length)]).join('');
      const r = render(t);
      expect(typeof r.ok).toBe('boolean');
    }
    expect(Date.now() - start).toBeLessThan(5000);
  });
});

describe('renderNodeConfig', () => {
  it('renders the seed template for a node into a valid NodeConfig spec', () => {
    const spec = checkNodeConfigTemplateSpec(parseSeed(NODE_CONFIG_TEMPLATE_YAML).spec);
    const r = renderNodeConfig(spec, 'worker-0', worker0);
    expect(r.failures).toEqual([]);
    const nc = checkNodeConfigSpec(r.spec);
    expect(nc.nodeName).toBe('worker-0');
    expect(nc.metricsCollector.inletTemp.fetchInterval).toBe('10s');
    expect(nc.predictor?.powerConsumptionEndpointProvider?.endpoint).toBe('https://10.0.0.1');
  });

  it('renders type, endpoint and basicAuthSecret.name of every term, copies the rest, drops template.nodeName', () => {
    const spec = checkNodeConfigTemplateSpec({
      nodeSelector: {},
      template: {
        nodeName: 'ignored',
        metricsCollector: {
          inletTemp: { type: '{{ "Redfish" }}', endpoint: 'https://10.0.100.{{.IPv4.Octet4}}', basicAuthSecret: { name: '{{ .Hostname }}-bmc' }, caBundle: { configMap: { name: 'bmc-ca' } }, fetchInterval: '30s' },
          deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.{{ add .IPv4.Octet3 10 }}.{{.IPv4.Octet4}}:5000' },
        },
        predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: 'http://{{ .Hostname }}:8080/v2/models/m/infer' } },
      },
    });
    const r = renderNodeConfig(spec, 'worker-0', worker0);
    expect(r.failures).toEqual([]);
    expect(r.spec).toEqual({
      nodeName: 'worker-0',
      metricsCollector: {
        inletTemp: { type: 'Redfish', endpoint: 'https://10.0.100.1', basicAuthSecret: { name: 'worker-0-bmc' }, caBundle: { configMap: { name: 'bmc-ca', key: 'ca.crt' } }, fetchInterval: '30s', insecureSkipVerify: false },
        deltaP: { type: 'DifferentialPressureAPI', endpoint: 'http://10.0.10.1:5000', fetchInterval: '15s', insecureSkipVerify: false },
      },
      predictor: { powerConsumption: { type: 'V2InferenceProtocol', endpoint: 'http://worker-0:8080/v2/models/m/infer', fetchInterval: '15s', insecureSkipVerify: false } },
    });
    expect(() => checkNodeConfigSpec(r.spec)).not.toThrow();
  });

  it('a type that renders to something the term does not take is a failure, kept as written', () => {
    const spec = checkNodeConfigTemplateSpec({ nodeSelector: {}, template: { metricsCollector: { inletTemp: { type: '{{ .Hostname }}', endpoint: 'https://x' }, deltaP: { type: 'Fake' } } } });
    const r = renderNodeConfig(spec, 'worker-0', worker0);
    expect(r.spec.metricsCollector.inletTemp.type).toBe('{{ .Hostname }}');
    expect(r.failures).toEqual([{ field: 'metricsCollector.inletTemp.type', template: '{{ .Hostname }}', reason: 'rendered "worker-0", not one of "Redfish", "Fake"' }]);
  });

  it('describes failures in one bounded line for an Event', () => {
    const failures = [
      { field: 'metricsCollector.inletTemp.endpoint', template: 'https://{{.Nope}}', reason: "can't evaluate field Nope" },
      { field: 'metricsCollector.deltaP.basicAuthSecret.name', template: 'a-{{', reason: 'unclosed action (no "}}")' },
    ];
    expect(describeRenderFailures('worker-0', failures)).toBe(
      'node worker-0: metricsCollector.inletTemp.endpoint "https://{{.Nope}}": can\'t evaluate field Nope; metricsCollector.deltaP.basicAuthSecret.name "a-{{": unclosed action (no "}}") (kept unrendered)',
    );
    const many = Array.from({ length: 50 }, (_, i) => ({ field: `f${i}`, template: 'x'.repeat(500), reason: 'r' }));
    expect(describeRenderFailures('n', many).length).toBe(RENDER_MESSAGE_MAX);
  });
});
