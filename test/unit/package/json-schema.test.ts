/**
 * The published JSON Schema (standard keywords only) says what the library's own validation
 * says: each Kubernetes rule agrees with its function on valid and invalid samples, and plain
 * Ajv (no custom keyword) accepts the real modules and rejects what the contract rejects.
 */
import { Ajv } from 'ajv';
import { MODULE_OUTPUTS_JSON_SCHEMA, ModuleOutputs } from '../../../lib/contract/index.js';
import { K8S_RULE_SCHEMAS, K8S_RULES, type K8sRule } from '../../../lib/contract/rules.js';
import { activemqHcl, mongodbHcl, nfsHcl, s3Hcl } from '../../fixtures/modules.js';

const SAMPLES: Record<K8sRule, ReadonlyArray<string | number>> = {
  envName: ['Amqp__Host', 'MongoDB_ConnectionString', '_x', '.dotted', 'a-b', '1abc', 'has space', '', 'é', 'A=B', '.', '..', '..x', '__proto__'],
  dnsSubdomain: ['mongodb-user', 'a.b-c', 'a', 'A', '-a', 'a-', 'a..b', 'x'.repeat(253), 'x'.repeat(254), '', 'a_b'],
  configKey: ['ca.pem', '.hidden', 'a_b-c.d', 'a/b', '', 'x'.repeat(253), 'x'.repeat(254), 'a b', '.', '..', '..data', '.a.'],
  absolutePath: ['/amqp', '/a/b/', '/a..b', '/a/../b', '/..', '/a/..', 'relative', '/c:d', '/', ''],
  relativePath: ['sub/dir', 'a..b', '..', 'a/..', '../a', 'a/../b', '/abs', '', '.'],
  fileMode: ['600', '0644', '0777', '0999', '1777', '06444', '', 'rw', 0, 420, 511, 512, -1, 4.5],
  quantity: ['10Gi', '500M', '1.5', '.5', '+1', '1e3', '100m', 'abc', '10GB', '', '1.5.5', '-1', '0', '1'.repeat(65)],
  positiveQuantity: ['10Gi', '1', '0.5', '1e3', '0', '0Gi', '0.0', '.0', '0e5', '+0', '00Mi', 'abc', '', '-1'],
  itemPath: ['ca.pem', 'dir/file', '.hidden', 'a..b', '.', './', './/.', '..data', '..', 'a/../b', '/abs', '', 'a/./b'],
  nonEmpty: ['x', ' x ', '', '   ', '\t'],
};

describe('the standard-keyword JSON Schema', () => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true });

  it.each(Object.keys(K8S_RULES) as K8sRule[])('rule %s agrees with its function', (rule) => {
    const schemaType = rule === 'fileMode' ? {} : { type: 'string' };
    const check = ajv.compile({ ...schemaType, ...K8S_RULE_SCHEMAS[rule] });
    const fn = K8S_RULES[rule] as (v: string | number) => string | undefined;
    const verdicts = SAMPLES[rule].map((v) => [v, check(v), fn(v) === undefined]);
    for (const [value, bySchema, byFunction] of verdicts) expect([rule, value, bySchema]).toEqual([rule, value, byFunction]);
    // Each sample set has both verdicts, so a rule that accepts (or refuses) everything fails.
    expect(new Set(verdicts.map(([, , ok]) => ok))).toEqual(new Set([true, false]));
  });

  const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(MODULE_OUTPUTS_JSON_SCHEMA);

  it('accepts the real modules', () => {
    for (const module of [activemqHcl, mongodbHcl, s3Hcl, nfsHcl]) expect([validate(module), validate.errors]).toEqual([true, null]);
  });

  it.each([
    ['an env name', { env: { 'bad name': 'x' } }],
    ['a Secret name', { env_secret: ['Bad_Name'] }],
    ['a mount path', { mount_secret: { c: { secret: 's', path: 'relative' } } }],
    ['a file mode', { mount_secret: { c: { secret: 's', path: '/c', mode: '0999' } } }],
    ['a claim size', { mount_volume_claim: { c: { path: '/c', size: '10GB' } } }],
    ['an unknown field', { mount_volume: { c: { path: '/c', claim_name: 'x', host_path: '/' } } }],
  ])('rejects %s, as the contract does', (_, outputs) => {
    expect(validate(outputs)).toBe(false);
    expect(() => ModuleOutputs.fromObject('m', outputs)).toThrow('module "m"');
  });

  it('is draft-07 with the id of the library schema', () => {
    expect(MODULE_OUTPUTS_JSON_SCHEMA.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(JSON.stringify(MODULE_OUTPUTS_JSON_SCHEMA)).not.toContain('"k8s"');
  });
});
