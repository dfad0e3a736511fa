/**
 * ArmoniK's log levels, as ArmoniK.Infra 0.15.1 sets them (`armonik/log-configmap.tf`): the
 * `Serilog__*` settings every ArmoniK container reads (control plane, polling agents, workers,
 * metrics exporter: Infra loads its `log-configmap` into each), with the ASP.NET Core request and
 * health-check loggers one level quieter at `Information`, so a busy control plane does not log
 * every call. Core logs JSON to stdout (Serilog's compact console formatter), which a node's
 * log shipper (fluent-bit, to Seq or elsewhere) collects; no Serilog sink is configured here.
 */
import { ModuleOutputs } from '../../lib/contract/index.js';
import { checkObject, checkOptionalEnv } from '../../lib/k8s/props.js';
import { describeValue, isPlainObject, showValue, ValidationError } from '../../lib/k8s/validation.js';

/** Serilog's levels (`Serilog.Events.LogEventLevel`), as `Serilog__MinimumLevel` takes them. */
export const SERILOG_LEVELS = ['Verbose', 'Debug', 'Information', 'Warning', 'Error', 'Fatal'] as const;
export type SerilogLevel = (typeof SERILOG_LEVELS)[number];

/** The loggers Infra turns down to `Warning` at `Information` (`log-configmap.tf`, `logging_level_routing`). */
export const QUIETER_LOGGERS: readonly string[] = [
  'Microsoft.AspNetCore.Hosting.Diagnostics',
  'Microsoft.AspNetCore.Routing.EndpointMiddleware',
  'Serilog.AspNetCore.RequestLoggingMiddleware',
  'Microsoft.AspNetCore.Routing',
  'Microsoft.AspNetCore.Server.Kestrel',
  'Grpc.AspNetCore.Server.ServerCallHandler',
  'Microsoft.Extensions.Diagnostics.HealthChecks',
  'Microsoft.AspNetCore.Authorization',
  'Microsoft.Extensions.Http.DefaultHttpClientFactory',
  'ArmoniK.Core.Common.Auth.Authentication.Authenticator',
];

/** The module name of the log settings in messages (`module "log": ...`). */
export const LOG_SETTINGS_MODULE = 'log';

/** Props of {@link LogSettings.of}: Infra's `logging_level` and `configurations.log`. */
export interface LogSettingsProps {
  /** `Serilog__MinimumLevel` (Infra's `logging_level`). @default 'Information' */
  readonly level?: SerilogLevel;
  /** Levels of given loggers (`Serilog__MinimumLevel__Override__<logger>`), over Infra's. @default Infra's: the request loggers at `Warning` when `level` is `Information`, else at `level` */
  readonly overrides?: Readonly<Record<string, SerilogLevel>>;
  /** More settings every container gets (Infra's `configurations.log.env`), e.g. `Serilog__Properties__Site`; not the levels above. @default none */
  readonly env?: Readonly<Record<string, string>>;
}

const PROPS: ReadonlyArray<keyof LogSettingsProps> = ['level', 'overrides', 'env'];

/** The `Serilog__*` settings of every ArmoniK container, as one module (inline env, so a change rolls the pods). */
export class LogSettings {
  /** The settings for `props`, checked; `where` names the caller in errors. */
  public static of(props: LogSettingsProps = {}, where = 'LogSettings.of()', field = 'props'): ModuleOutputs {
    const p = checkObject<LogSettingsProps>(where, field, props, PROPS);
    const prefix = field === 'props' ? '' : `${field}.`;
    const level = checkLevel(where, `${prefix}level`, p.level ?? 'Information');
    const routing = level === 'Information' ? 'Warning' : level;
    const env: Record<string, string> = { Serilog__MinimumLevel: level };
    for (const logger of QUIETER_LOGGERS) env[`Serilog__MinimumLevel__Override__${logger}`] = routing;
    if (p.overrides !== undefined) {
      if (!isPlainObject(p.overrides)) throw new ValidationError(where, `${prefix}overrides`, `must be an object of logger: level, not ${describeValue(p.overrides)}`, p.overrides);
      for (const [logger, l] of Object.entries(p.overrides)) {
        // A logger is a .NET namespace or class: dots, letters, digits, '_' (the env name must stay valid).
        if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(logger)) {
          throw new ValidationError(where, `${prefix}overrides.${logger}`, `${showValue(logger)} is not a logger name (a .NET namespace or class, such as "Microsoft.AspNetCore.Routing")`, logger);
        }
        env[`Serilog__MinimumLevel__Override__${logger}`] = checkLevel(where, `${prefix}overrides.${logger}`, l);
      }
    }
    const extra = checkOptionalEnv(where, `${prefix}env`, p.env) ?? {};
    for (const name of Object.keys(extra)) {
      if (name === 'Serilog__MinimumLevel' || name.startsWith('Serilog__MinimumLevel__')) {
        throw new ValidationError(where, `${prefix}env.${name}`, `log levels are set by ${prefix}level and ${prefix}overrides; remove it from ${prefix}env`, extra[name]);
      }
    }
    return ModuleOutputs.of(LOG_SETTINGS_MODULE, { env: { ...env, ...extra } });
  }
}

function checkLevel(where: string, field: string, level: unknown): SerilogLevel {
  if (typeof level === 'string' && (SERILOG_LEVELS as readonly string[]).includes(level)) return level as SerilogLevel;
  throw new ValidationError(where, field, `${showValue(level)} is not a Serilog level (${SERILOG_LEVELS.join(', ')})`, level);
}
