/**
 * Issue #19 item 6, logs: the `Serilog__*` settings ArmoniK.Infra 0.15.1 gives every ArmoniK
 * container (`armonik/log-configmap.tf`, loaded by `control-plane-configmap.tf`,
 * `compute-plane-configmap.tf` for both compute containers, `metrics-exporter.tf`).
 */
import { Chart, Testing } from 'cdk8s';
import { ArmoniK, LogSettings, QUIETER_LOGGERS } from '../../../constructs/armonik/index.js';
import { ModuleOutputs } from '../../../lib/contract/index.js';
import { refused } from '../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));

describe('LogSettings.of', () => {
  it('Information, with Infra\'s request and health loggers at Warning', () => {
    const env = LogSettings.of().literalEnv();
    expect(env.Serilog__MinimumLevel).toBe('Information');
    expect(QUIETER_LOGGERS).toHaveLength(10);
    for (const logger of QUIETER_LOGGERS) expect(env[`Serilog__MinimumLevel__Override__${logger}`]).toBe('Warning');
    expect(Object.keys(env)).toHaveLength(11);
  });

  it('another level is also the request loggers\' (Infra\'s logging_level_routing); overrides and extra env on top', () => {
    const env = LogSettings.of({ level: 'Debug', overrides: { 'Microsoft.AspNetCore.Routing': 'Error', 'ArmoniK.Core': 'Verbose' }, env: { Serilog__Properties__Site: 'paris' } }).literalEnv();
    expect(env.Serilog__MinimumLevel).toBe('Debug');
    expect(env['Serilog__MinimumLevel__Override__Microsoft.AspNetCore.Hosting.Diagnostics']).toBe('Debug');
    expect(env['Serilog__MinimumLevel__Override__Microsoft.AspNetCore.Routing']).toBe('Error');
    expect(env['Serilog__MinimumLevel__Override__ArmoniK.Core']).toBe('Verbose');
    expect(env.Serilog__Properties__Site).toBe('paris');
  });

  it('refuses unknown levels, bad logger names, levels in env and unknown fields, naming the field', () => {
    refused(() => LogSettings.of(any({ level: 'Info' })), 'LogSettings.of()', 'level', /"Info" is not a Serilog level \(Verbose, Debug, Information, Warning, Error, Fatal\)/);
    refused(() => LogSettings.of(any({ overrides: { 'a b': 'Debug' } })), 'LogSettings.of()', 'overrides.a b', /not a logger name/);
    refused(() => LogSettings.of(any({ overrides: { Grpc: 'debug' } })), 'LogSettings.of()', 'overrides.Grpc', /not a Serilog level/);
    refused(() => LogSettings.of(any({ overrides: [] })), 'LogSettings.of()', 'overrides', /must be an object/);
    refused(() => LogSettings.of(any({ env: { Serilog__MinimumLevel: 'Debug' } })), 'LogSettings.of()', 'env.Serilog__MinimumLevel', /set by level and overrides/);
    refused(() => LogSettings.of(any({ levle: 'Debug' })), 'LogSettings.of()', 'levle', /unknown field/);
  });
});

describe('ArmoniK gives them to every container, as Infra does', () => {
  const synth = (logging?: unknown) => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    new ArmoniK(c, 'a', any({ controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {}, podDeletionCost: false, ...(logging ? { logging } : {}) }));
    return Testing.synth(c);
  };

  it('control plane, polling agent, worker, metrics exporter and init: Information by default, the given level otherwise', () => {
    for (const [logging, level] of [[undefined, 'Information'], [{ level: 'Warning' }, 'Warning']] as const) {
      const objects = synth(logging);
      const containers = objects.flatMap((o: any) => {
        const spec = o.kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec?.template?.spec;
        return spec ? spec.containers.map((ct: any) => [`${o.kind}/${o.metadata.name}/${ct.name}`, ct]) : [];
      });
      expect(containers.map(([n]: any) => n).sort()).toEqual(expect.arrayContaining([
        'Deployment/control-plane/control-plane', 'Deployment/compute-plane-default/polling-agent', 'Deployment/compute-plane-default/worker',
        'Deployment/metrics-exporter/metrics-exporter', 'CronJob/init/init',
      ]));
      for (const [name, ct] of containers) expect([name, envOf(ct).Serilog__MinimumLevel]).toEqual([name, level]);
    }
  });

  it('a module setting a log level too is a conflict naming both', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    expect(() => new ArmoniK(c, 'a', any({
      controlPlane: { conf: [ModuleOutputs.of('mine', { env: { Serilog__MinimumLevel: 'Debug' } })] }, computePlane: { partitions: { default: {} } }, metricsExporter: {},
    }))).toThrow(/modules "log" and "mine"/);
  });

  it('refuses bad logging props, naming the ArmoniK field', () => {
    refused(() => synth({ level: 'Loud' }), 'ArmoniK test/a', 'logging.level', /not a Serilog level/);
  });
});
