import {
  GenerateSpecError,
  SPEC_ANNOTATION,
  parseGenerateSpec,
  parseTemplate,
  renderGenerateSpec,
  validateGenerateSpec,
} from '../../../lib/api/secret-generator/index.js';

const CERT = { commonName: 'activemq.armonik.svc' };

function errorOf(spec: unknown, selfName?: string): GenerateSpecError {
  try {
    typeof spec === 'string' ? parseGenerateSpec(spec, { selfName }) : validateGenerateSpec(spec, { selfName });
  } catch (err) {
    expect(err).toBeInstanceOf(GenerateSpecError);
    return err as GenerateSpecError;
  }
  throw new Error(`no error for ${JSON.stringify(spec)}`);
}

describe('generate-spec parsing', () => {
  it('fills defaults and orders keys after their dependencies', () => {
    const spec = validateGenerateSpec({
      keys: {
        uri: { template: 'mongodb://{{key:user}}:{{key:password}}@db:27017/?x={{secret:other/token}}' },
        user: { value: 'admin' },
        password: { random: {} },
        'keystore.p12': { pkcs12: { passwordKey: 'ks-password' } },
        'ks-password': { random: { length: 32, charset: 'base64url' } },
        'ca.crt': { certificate: 'ca' },
      },
      certificate: CERT,
    });
    expect(spec.keys.get('password')).toEqual({ kind: 'random', length: 16, charset: 'alphanumeric' });
    expect(spec.certificate).toEqual({ commonName: CERT.commonName, dnsNames: [], ipAddresses: [], isCA: false, validityDays: 3650, keySize: 2048 });
    const pos = (k: string) => spec.order.indexOf(k);
    expect(spec.order).toHaveLength(6);
    expect(pos('uri')).toBeGreaterThan(pos('user'));
    expect(pos('uri')).toBeGreaterThan(pos('password'));
    expect(pos('keystore.p12')).toBeGreaterThan(pos('ks-password'));
    expect(spec.secretRefs).toEqual([{ secret: 'other', key: 'token' }]);
  });

  it('parses templates into text and placeholders', () => {
    expect(parseTemplate('a{{key:x}}b{{secret:s.y/k-1}}{{key:z}}')).toEqual([
      { text: 'a' },
      { key: 'x' },
      { text: 'b' },
      { secret: 's.y', key: 'k-1' },
      { key: 'z' },
    ]);
    expect(parseTemplate('no placeholders } {')).toEqual([{ text: 'no placeholders } {' }]);
    expect(parseTemplate('')).toEqual([]);
  });

  // Each message names the annotation, the key (or field) and the reason.
  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{"keys":', /^annotation platform-constructs\.io\/generate-spec: spec: not valid JSON/],
    ['no keys', { keys: {} }, /: keys: names no key$/],
    ['keys not an object', { keys: [] }, /: keys: must be an object/],
    ['unknown top-level field', { keys: { a: { value: 'x' } }, extra: 1 }, /: spec: unknown field "extra"/],
    ['bad key name', { keys: { 'a b': { value: 'x' } } }, /key "a b": "a b" is not a valid ConfigMap\/Secret key/],
    ['unknown generator', { keys: { a: { uuid: {} } } }, /key "a": unknown generator "uuid" \(expected exactly one of "random", "value", "template", "certificate", "pkcs12"\)/],
    ['two generators', { keys: { a: { value: 'x', template: 'y' } } }, /key "a": the generator must have exactly one of .*, not value and template/],
    ['no generator', { keys: { a: {} } }, /key "a": the generator must have exactly one of .*, not none/],
    ['length 0', { keys: { p: { random: { length: 0 } } } }, /key "p": random\.length: 0 is not an integer from 1 to 256/],
    ['length 257', { keys: { p: { random: { length: 257 } } } }, /key "p": random\.length: 257 is not an integer/],
    ['length 1.5', { keys: { p: { random: { length: 1.5 } } } }, /key "p": random\.length: 1\.5 is not an integer/],
    ['bad charset', { keys: { p: { random: { charset: 'emoji' } } } }, /key "p": random\.charset: "emoji" is not one of "alphanumeric", "lowercase", "hex", "base64url"/],
    ['unknown random field', { keys: { p: { random: { size: 3 } } } }, /key "p": random: unknown field "size"/],
    ['value not a string', { keys: { p: { value: 3 } } }, /key "p": value must be a string/],
    ['template placeholder unknown', { keys: { u: { template: 'x{{env:HOME}}' } } }, /key "u": template: "\{\{env:HOME\}\}" at offset 1 is not a placeholder/],
    ['template not closed', { keys: { u: { template: 'x{{key:a' } } }, /key "u": template: "\{\{key:a" at offset 1 is not closed by "\}\}"/],
    ['template key missing', { keys: { u: { template: '{{key:nope}}' } } }, /key "u": template refers to \{\{key:nope\}\}, which is not a key of this Secret/],
    ['template secret without key', { keys: { u: { template: '{{secret:other}}' } } }, /key "u": template: .* names no key/],
    ['template secret bad name', { keys: { u: { template: '{{secret:Other/k}}' } } }, /key "u": template: .* names "Other", which is not a Secret name/],
    ['template bad key', { keys: { u: { template: '{{key:a b}}' } } }, /key "u": template: "\{\{key:a b\}\}" at offset 0 names "a b", which is not a valid Secret key/],
    ['template of a binary key', { keys: { u: { template: '{{key:ks}}' }, ks: { pkcs12: { passwordKey: 'pw' } }, pw: { random: {} } }, certificate: CERT }, /key "u": template refers to \{\{key:ks\}\}, a binary \(pkcs12\) key/],
    ['cycle', { keys: { a: { template: '{{key:b}}' }, b: { template: '{{key:c}}' }, c: { template: '{{key:a}}' } } }, /key "a": dependency cycle a -> b -> c -> a/],
    ['self cycle', { keys: { a: { template: 'x{{key:a}}' } } }, /key "a": dependency cycle a -> a/],
    ['certificate without block', { keys: { crt: { certificate: 'cert' } } }, /key "crt": certificate needs the "certificate" block of the spec, which is missing/],
    ['pkcs12 without block', { keys: { ks: { pkcs12: { passwordKey: 'pw' } }, pw: { random: {} } } }, /key "ks": pkcs12 needs the "certificate" block/],
    ['bad certificate part', { keys: { crt: { certificate: 'pem' } }, certificate: CERT }, /key "crt": certificate: "pem" is not one of "cert", "key", "ca", "chain", "certAndKey"/],
    ['pkcs12 password missing', { keys: { ks: { pkcs12: { passwordKey: 'pw' } } }, certificate: CERT }, /key "ks": pkcs12\.passwordKey "pw" is not a key of this Secret/],
    ['pkcs12 password itself', { keys: { ks: { pkcs12: { passwordKey: 'ks' } } }, certificate: CERT }, /key "ks": dependency cycle ks -> ks/],
    ['block unused', { keys: { a: { value: 'x' } }, certificate: CERT }, /: certificate: no key uses it/],
    ['no commonName', { keys: { c: { certificate: 'cert' } }, certificate: {} }, /: certificate\.commonName: undefined is not a string of 1 to 64 characters/],
    ['long commonName', { keys: { c: { certificate: 'cert' } }, certificate: { commonName: 'x'.repeat(65) } }, /certificate\.commonName: .* is not a string of 1 to 64/],
    ['bad dnsName', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, dnsNames: ['a_b'] } }, /certificate\.dnsNames: "a_b" is not a DNS name/],
    ['bad ip', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, ipAddresses: ['300.1.1.1'] } }, /certificate\.ipAddresses: "300\.1\.1\.1" is not an IPv4 or IPv6 address/],
    ['bad keySize', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, keySize: 1024 } }, /certificate\.keySize: 1024 is not one of 2048, 3072, 4096/],
    ['bad validity', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, validityDays: 0 } }, /certificate\.validityDays: 0 is not an integer from 1 to 36500/],
    ['bad issuer', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, issuer: 'My CA' } }, /certificate\.issuer: "My CA" is not a Secret name/],
    ['isCA not boolean', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, isCA: 'yes' } }, /certificate\.isCA: must be true or false/],
    ['unknown certificate field', { keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, org: 'x' } }, /: certificate: unknown field "org"/],
  ])('%s', (_name, spec, message) => {
    const err = errorOf(spec);
    expect(err.message.startsWith(`annotation ${SPEC_ANNOTATION}: `)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('refuses a {{secret:...}} of the Secret itself', () => {
    expect(errorOf({ keys: { a: { value: 'x' }, u: { template: '{{secret:self/a}}' } } }, 'self').message).toMatch(/key "u": .* names this Secret itself: use \{\{key:a\}\}/);
  });

  it('errors carry the key and the reason separately (for constructs and Events)', () => {
    const err = errorOf({ keys: { p: { random: { length: 0 } } } });
    expect(err.key).toBe('p');
    expect(err.reason).toBe('random.length: 0 is not an integer from 1 to 256');
    const field = errorOf({ keys: { c: { certificate: 'cert' } }, certificate: { ...CERT, keySize: 1 } });
    expect(field.key).toBeUndefined();
    expect(field.field).toBe('certificate.keySize');
  });

  it('renders deterministically: sorted keys, no undefined fields', () => {
    const a = renderGenerateSpec({ keys: { b: { random: { length: 3 } }, a: { value: 'x' } }, certificate: { keySize: 2048, commonName: 'x', issuer: undefined } as never });
    const b = renderGenerateSpec({ certificate: { commonName: 'x', keySize: 2048 }, keys: { a: { value: 'x' }, b: { random: { length: 3 } } } });
    expect(a).toBe(b);
    expect(a).toBe('{"certificate":{"commonName":"x","keySize":2048},"keys":{"a":{"value":"x"},"b":{"random":{"length":3}}}}');
  });
});
