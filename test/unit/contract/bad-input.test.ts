import { ModuleOutputs, ModuleOutputsError, OUTPUT_NAMES } from '../../../lib/contract/index.js';
import { activemqHcl } from '../../fixtures/modules.js';

interface Case {
  readonly what: string;
  readonly build: () => unknown;
  readonly module: string;
  readonly path: string;
  readonly message: RegExp;
}

const cases: Case[] = [
  { what: 'env value null', build: () => ModuleOutputs.fromObject('s3', { env: { A: null } }), module: 's3', path: '/env/A', message: /must be a string, a number or a boolean, not null/ },
  { what: 'env value object', build: () => ModuleOutputs.fromObject('s3', { env: { A: { x: 1 } } }), module: 's3', path: '/env/A', message: /not an object/ },
  { what: 'env value list', build: () => ModuleOutputs.fromObject('s3', { env: { A: [1] } }), module: 's3', path: '/env/A', message: /not a list/ },
  { what: 'env name starting with a digit', build: () => ModuleOutputs.of('s3', { env: { '1A': 'x' } }), module: 's3', path: '/env/1A', message: /"1A" is not a valid environment variable name/ },
  { what: 'env name with a space', build: () => ModuleOutputs.fromObject('mq', { env_from_secret: { 'A B': { secret: 's', field: 'f' } } }), module: 'mq', path: '/env_from_secret/A B', message: /not a valid environment variable name/ },
  { what: 'mode with a 9', build: () => ModuleOutputs.of('s3', { mountSecret: { c: { secret: 'x', path: '/a', mode: '0999' } } }), module: 's3', path: '/mount_secret/c/mode', message: /"0999" is not a valid file mode/ },
  { what: 'integer mode too large', build: () => ModuleOutputs.fromObject('s3', { mount_configmap: { c: { configmap: 'x', path: '/a', mode: 1000 } } }), module: 's3', path: '/mount_configmap/c/mode', message: /1000 is not a valid file mode/ },
  { what: 'item mode invalid', build: () => ModuleOutputs.fromObject('s3', { mount_secret: { c: { secret: 'x', path: '/a', items: { 'ca.pem': { field: 'ca', mode: 'rw' } } } } }), module: 's3', path: '/mount_secret/c/items/ca.pem/mode', message: /"rw" is not a valid file mode/ },
  { what: 'secret name not DNS-1123', build: () => ModuleOutputs.fromObject('mongo', { mount_secret: { c: { secret: 'Mongo_CA', path: '/a' } } }), module: 'mongo', path: '/mount_secret/c/secret', message: /"Mongo_CA" is not a valid Kubernetes object name/ },
  { what: 'env_configmap entry not DNS-1123', build: () => ModuleOutputs.fromObject('mq', { env_configmap: ['ok', 'Bad Name'] }), module: 'mq', path: '/env_configmap/1', message: /"Bad Name" is not a valid Kubernetes object name/ },
  { what: 'relative mount path', build: () => ModuleOutputs.fromObject('s3', { mount_secret: { c: { secret: 'x', path: 'certs' } } }), module: 's3', path: '/mount_secret/c/path', message: /"certs" is not an absolute path/ },
  { what: 'sub path escaping the volume', build: () => ModuleOutputs.of('s3', { mountConfigmap: { c: { configmap: 'x', path: '/a', subPath: '../etc' } } }), module: 's3', path: '/mount_configmap/c/sub_path', message: /not a relative path without '\.\.'/ },
  { what: 'item file name with ..', build: () => ModuleOutputs.fromObject('s3', { mount_secret: { c: { secret: 'x', path: '/a', items: { '../x': { field: 'a' } } } } }), module: 's3', path: '/mount_secret/c/items/..~1x', message: /"\.\.\/x" is not a relative path/ },
  { what: 'unknown field in a mount', build: () => ModuleOutputs.fromObject('s3', { mount_secret: { c: { secret: 'x', path: '/a', secrt: 'y' } } }), module: 's3', path: '/mount_secret/c/secrt', message: /unknown field "secrt"/ },
  { what: 'missing secret name', build: () => ModuleOutputs.fromObject('s3', { mount_secret: { c: { path: '/a' } } }), module: 's3', path: '/mount_secret/c', message: /missing required field "secret"/ },
  { what: 'missing field of env_from_configmap', build: () => ModuleOutputs.fromObject('s3', { env_from_configmap: { A: { configmap: 'c' } } }), module: 's3', path: '/env_from_configmap/A', message: /missing required field "field"/ },
  { what: 'bad ConfigMap key', build: () => ModuleOutputs.fromObject('s3', { env_from_configmap: { A: { configmap: 'c', field: 'a/b' } } }), module: 's3', path: '/env_from_configmap/A/field', message: /"a\/b" is not a valid ConfigMap\/Secret key/ },
  { what: 'mount_volume without a source', build: () => ModuleOutputs.of('nfs', { mountVolume: { d: { path: '/d' } } }), module: 'nfs', path: '/mount_volume/d', message: /names no volume: give exactly one of claim_name, nfs or empty_dir/ },
  { what: 'mount_volume with two sources', build: () => ModuleOutputs.of('nfs', { mountVolume: { d: { path: '/d', claimName: 'c', emptyDir: {} } } }), module: 'nfs', path: '/mount_volume/d', message: /sets claim_name and empty_dir/ },
  { what: 'nfs without server', build: () => ModuleOutputs.fromObject('nfs', { mount_volume: { d: { path: '/d', nfs: { path: '/export' } } } }), module: 'nfs', path: '/mount_volume/d/nfs', message: /missing required field "server"/ },
  { what: 'claim size not a quantity', build: () => ModuleOutputs.of('data', { mountVolumeClaim: { d: { path: '/d', size: '10 GB' } } }), module: 'data', path: '/mount_volume_claim/d/size', message: /"10 GB" is not a Kubernetes quantity/ },
  { what: 'unknown access mode', build: () => ModuleOutputs.fromObject('data', { mount_volume_claim: { d: { path: '/d', size: '1Gi', access_modes: ['ReadWriteAll'] } } }), module: 'data', path: '/mount_volume_claim/d/access_modes/0', message: /must be one of "ReadWriteOnce"/ },
  { what: 'subpath and sub_path both', build: () => ModuleOutputs.fromObject('s3', { mount_secret: { c: { secret: 'x', path: '/a', subpath: 'a', sub_path: 'b' } } }), module: 's3', path: '/mount_secret/c/sub_path', message: /both "subpath" and "sub_path"/ },
  { what: 'env_secret is not a list', build: () => ModuleOutputs.fromObject('mq', { env_secret: 'creds' }), module: 'mq', path: '/env_secret', message: /must be a list, not string "creds"/ },
  { what: 'unknown TypeScript output', build: () => ModuleOutputs.of('s3', { mountSecrets: {} } as never), module: 's3', path: '/mountSecrets', message: /unknown output "mountSecrets" \(expected one of env, envConfigmap/ },
  { what: 'outputs are not an object', build: () => ModuleOutputs.fromObject('s3', 'env'), module: 's3', path: '', message: /must be an object, not string "env"/ },
  { what: 'terraform output not JSON', build: () => ModuleOutputs.fromTerraformOutput('mq', '{"env":'), module: 'mq', path: '', message: /not valid JSON/ },
  { what: 'terraform output entry without value', build: () => ModuleOutputs.fromTerraformOutput('mq', { env: { A: 'x' } }), module: 'mq', path: '/env', message: /is not a `terraform output -json` entry/ },
  { what: 'sensitive env in terraform output', build: () => ModuleOutputs.fromTerraformOutput('mq', { env: { value: { A: 'x' }, sensitive: true, type: 'map' } }), module: 'mq', path: '/env', message: /is marked sensitive.*env_secret or env_from_secret/ },
  { what: 'empty module name', build: () => ModuleOutputs.of('', {}), module: '', path: '', message: /non-empty name/ },
  { what: 'env set twice inside one module', build: () => ModuleOutputs.fromObject('mq', { env: { A: 'x' }, env_from_secret: { A: { secret: 's', field: 'f' } } }), module: 'mq', path: '/env_from_secret/A', message: /"A" is set to "x" by "mq" but read from Secret "s" key "f" by "mq"; a module must not set one thing twice/ },
  { what: 'bad element of a counted module', build: () => ModuleOutputs.fromObject('mq', [activemqHcl, { env: { A: null } }]), module: 'mq[1]', path: '/env/A', message: /not null/ },
];

describe('bad module outputs fail with module, path and reason', () => {
  it('covers every output of the contract with at least one rejected input', () => {
    const outputs = new Set(cases.map((c) => c.path.split('/')[1]).filter(Boolean));
    for (const output of OUTPUT_NAMES) expect([output, outputs.has(output)]).toEqual([output, true]);
  });

  it('every case fails somewhere else or for another reason (no duplicate rows)', () => {
    const seen = new Map<string, string>();
    for (const c of cases) {
      const caught = (() => {
        try {
          c.build();
        } catch (e) {
          return e as Error;
        }
        throw new Error(`${c.what}: did not throw`);
      })();
      const id = `${c.module}|${c.path}|${caught.message}`;
      expect([c.what, seen.get(id)]).toEqual([c.what, undefined]);
      seen.set(id, c.what);
    }
  });

  it.each(cases)('$what', ({ build, module, path, message }) => {
    let caught: unknown;
    try {
      build();
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ModuleOutputsError);
    const error = caught as ModuleOutputsError;
    expect(error.module).toBe(module);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(message);
    // The message names the source and the place, so a log line alone is enough to fix it.
    expect(error.message).toContain(`"${module}"`);
    if (path) expect(error.message).toContain(path);
  });
});
