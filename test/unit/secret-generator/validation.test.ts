/**
 * Issue #14 for the secret generator: SecretGenerator, GeneratedSecret and the SecretValue
 * factories check their arguments; a ValidationError naming the construct path (or the factory)
 * and the prop, never a TypeError.
 */
import { Chart, Duration, Testing } from 'cdk8s';
import { GeneratedSecret, SecretGenerator, SecretValue } from '../../../constructs/secret-generator/index.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import { refused } from '../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const chart = () => new Chart(Testing.app(), 'stack', { namespace: 'armonik' });
const data = () => ({ password: SecretValue.random() });


describe('SecretGenerator props', () => {
  it('null props, a string of namespaces, durations', () => {
    refused(() => new SecretGenerator(chart(), 'gen', any(null)), 'stack/gen', 'props', /not null/);
    refused(() => new SecretGenerator(chart(), 'gen', any({ watchNamespaces: 'armonik' })), 'stack/gen', 'watchNamespaces', /must be a list of namespaces.*not string "armonik"/);
    refused(() => new SecretGenerator(chart(), 'gen', { watchNamespaces: ['Bad_NS'] }), 'stack/gen', 'watchNamespaces', /"Bad_NS" is not a DNS-1123 label/);
    const { message } = refused(() => new SecretGenerator(chart(), 'gen', { resyncInterval: Duration.millis(500) }), 'stack/gen', 'resyncInterval');
    expect(message).toBe('stack/gen: resyncInterval: 500 millis is not a Duration of at least 10 seconds (e.g. Duration.seconds(10))');
    refused(() => new SecretGenerator(chart(), 'gen', { resyncInterval: any(600) }), 'stack/gen', 'resyncInterval', /not number 600/);
    refused(() => new SecretGenerator(chart(), 'gen', { leaseDuration: Duration.millis(4500) }), 'stack/gen', 'leaseDuration', /whole seconds/);
  });

  it('workers, replicas, ports, resources', () => {
    refused(() => new SecretGenerator(chart(), 'gen', { workers: 0 }), 'stack/gen', 'workers');
    refused(() => new SecretGenerator(chart(), 'gen', { replicas: -1 }), 'stack/gen', 'replicas');
    refused(() => new SecretGenerator(chart(), 'gen', { metricsPort: 70000 }), 'stack/gen', 'metricsPort', /70000/);
    refused(() => new SecretGenerator(chart(), 'gen', { resources: { memoryLimit: '0' } }), 'stack/gen', 'resources.memoryLimit', /greater than zero/);
  });

  it('two generators of one name in one namespace are refused', () => {
    const c = chart();
    new SecretGenerator(c, 'one');
    refused(() => new SecretGenerator(c, 'two'), 'stack/two', 'name', /would be synthesized twice/);
  });
});

describe('GeneratedSecret props', () => {
  it('a missing props object or data', () => {
    refused(() => new GeneratedSecret(chart(), 'creds', any(undefined)), 'stack/creds', 'props', /must be an object with data, not undefined/);
    refused(() => new GeneratedSecret(chart(), 'creds', any({})), 'stack/creds', 'data', /names no key/);
    refused(() => new GeneratedSecret(chart(), 'creds', any({ data: [SecretValue.random()] })), 'stack/creds', 'data', /an object of key: SecretValue, not a list/);
    refused(() => new GeneratedSecret(chart(), 'creds', any({ data: { password: 'hunter2' } })), 'stack/creds', 'data["password"]', /is not a SecretValue/);
  });

  it('names, types, labels and annotations of the wrong type', () => {
    refused(() => new GeneratedSecret(chart(), 'Creds', { data: data() }), 'stack/Creds', 'name', /construct id "Creds" is not a DNS-1123 subdomain: give a name/);
    refused(() => new GeneratedSecret(chart(), 'creds', { name: any(5), data: data() }), 'stack/creds', 'name', /number 5 is not a valid Secret name/);
    refused(() => new GeneratedSecret(chart(), 'creds', { type: any(1), data: data() }), 'stack/creds', 'type', /number 1 is not a Secret type/);
    refused(() => new GeneratedSecret(chart(), 'creds', { labels: any('team=a'), data: data() }), 'stack/creds', 'labels', /an object of label key: value strings/);
    refused(() => new GeneratedSecret(chart(), 'creds', { annotations: any({ note: 5 }), data: data() }), 'stack/creds', 'annotations.note', /must be a string, not number 5/);
    refused(() => new GeneratedSecret(chart(), 'creds', { certificate: any('cn'), data: data() }), 'stack/creds', 'certificate', /must be an object/);
    refused(
      () => new GeneratedSecret(chart(), 'creds', { certificate: { commonName: 'x', issuer: any(5) }, data: { 'tls.crt': SecretValue.certificate('cert') } }),
      'stack/creds',
      'certificate.issuer',
      /a GeneratedSecret with a CA certificate or a Secret name, not number 5/,
    );
  });

  it('keys ".", ".." and "..data" are refused', () => {
    for (const key of ['.', '..', '..data']) {
      expect(() => new GeneratedSecret(chart(), 'creds', { data: { [key]: SecretValue.random() } })).toThrow(ValidationError);
      expect(() => new GeneratedSecret(chart(), 'creds', { data: { [key]: SecretValue.random() } })).toThrow(/^stack\/creds: data\["\.*(data)?"\]: /);
    }
  });

  it('two GeneratedSecrets of one name in one namespace are refused', () => {
    const c = chart();
    new GeneratedSecret(c, 'a', { name: 'creds', data: data() });
    const { message } = refused(() => new GeneratedSecret(c, 'b', { name: 'creds', data: data() }), 'stack/b', 'name', /Secret "armonik\/creds" would be synthesized twice/);
    expect(message).toMatch(/by stack\/b\/\S+ and by stack\/a\//);
  });
});

describe('SecretValue factories check their arguments', () => {
  it('each names the factory and the argument', () => {
    refused(() => SecretValue.random(any(null)), 'SecretValue.random', 'props', /not null/);
    refused(() => SecretValue.value(any(undefined)), 'SecretValue.value', 'text', /must be a string, not undefined/);
    refused(() => SecretValue.template(any(3)), 'SecretValue.template', 'text', /number 3/);
    refused(() => SecretValue.fromSecret(any(undefined), 'k'), 'SecretValue.fromSecret', 'secret', /a GeneratedSecret or a Secret name, not undefined/);
    refused(() => SecretValue.fromSecret('Other_Secret', 'k'), 'SecretValue.fromSecret', 'secret', /not a valid Secret name/);
    refused(() => SecretValue.fromSecret('other', '..data'), 'SecretValue.fromSecret', 'key', /must not be '\.' or start with '\.\.'/);
    refused(() => SecretValue.certificate(any('pem')), 'SecretValue.certificate', 'part', /string "pem" is not one of 'cert', 'key', 'ca', 'chain', 'certAndKey'/);
    refused(() => SecretValue.pkcs12(any(undefined)), 'SecretValue.pkcs12', 'passwordKey', /undefined is not a valid ConfigMap\/Secret key/);
  });

  it('valid arguments still work', () => {
    expect(SecretValue.value('').toJson()).toEqual({ value: '' });
    expect(SecretValue.fromSecret('other', 'tls.crt').toJson()).toEqual({ template: '{{secret:other/tls.crt}}' });
    expect(SecretValue.random().toJson()).toEqual({ random: {} });
  });
});
