import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';
import { resolveNamespace } from '../../lib/k8s/namespace.js';
import { claimObjectNames } from '../../lib/k8s/unique-objects.js';
import { describeValue, isPlainObject, ValidationError } from '../../lib/k8s/validation.js';
import { checkDns1123Subdomain } from '../../lib/k8s/validators.js';
import { checkInstance, checkObject } from '../../lib/k8s/props.js';
import { ArmoniKAuthentication } from './authentication.js';

/**
 * The site-wide settings every ArmoniK Core component loads (control plane, polling agents,
 * metrics exporter, init Job; not the workers), as ArmoniK sets them in
 * aneoconsulting/ArmoniK `infrastructure/quick-deploy/localhost/parameters.tfvars`
 * (`configurations.core.env`), where they reach ArmoniK.Infra's `core-configmap`
 * (`armonik/core-configmap.tf`). Only the settings Core 0.37.2 reads and that do not depend on one
 * storage module are kept:
 * - `Amqp__MaxPriority`: Core's AMQP queue throws when it is below 1 and it has no default
 *   (ArmoniK.Core `Adaptors/QueueCommon/src/QueueStorageBase.cs`);
 * - `Amqp__MaxRetries`, `MongoDB__TableStorage__PollingDelayMin/Max`, `MongoDB__DataRetention`,
 *   `Redis__Timeout`, `Redis__TtlTimeSpan`, `Submitter__DeletePayload`: ArmoniK's values;
 * - `Authenticator__RequireAuthentication/Authorization`: what `core-configmap.tf` adds (off,
 *   as without ingress mTLS).
 * Left out: `Amqp__AllowHostMismatch` (not read by Core 0.37.2), `MongoDB__AllowInsecureTls` and
 * `Redis__SslHost` (they work around ArmoniK.Infra's certificates, whose names do not match the
 * hosts; the certificates of this library's modules do).
 */
export const ARMONIK_CORE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  Amqp__MaxPriority: '10',
  Amqp__MaxRetries: '5',
  Authenticator__RequireAuthentication: 'false',
  Authenticator__RequireAuthorization: 'false',
  MongoDB__DataRetention: '1.00:00:00',
  MongoDB__TableStorage__PollingDelayMax: '00:00:10',
  MongoDB__TableStorage__PollingDelayMin: '00:00:01',
  Redis__Timeout: '30000',
  Redis__TtlTimeSpan: '1.00:00:00',
  Submitter__DeletePayload: 'true',
});

/** The module name of the Core settings in messages (`module "core": ...`). */
export const CORE_SETTINGS_MODULE = 'core';

/** Props of {@link CoreSettings}. */
export interface CoreSettingsProps {
  /** Settings added to ArmoniK's, or replacing them (same name). @default none: ARMONIK_CORE_SETTINGS as they are */
  readonly env?: Readonly<Record<string, string>>;
  /** Name of the ConfigMap. @default 'core-configmap' (ArmoniK.Infra's) */
  readonly name?: string;
  /** Namespace. @default the chart's namespace */
  readonly namespace?: string;
  /** Authentication: its `Authenticator__*` settings (Infra's `core-configmap.tf`) replace ArmoniK's (off). @default none: off */
  readonly authentication?: ArmoniKAuthentication;
}

/**
 * ArmoniK's Core settings in one ConfigMap (`core-configmap`, as ArmoniK.Infra names it) that
 * every Core component loads with `envFrom`: {@link ARMONIK_CORE_SETTINGS} with `env` on top.
 * Give it to the components' `core` prop (the `ArmoniK` construct creates one and does); a
 * component without one gets {@link CoreSettings.defaults} inline.
 */
export class CoreSettings extends Construct implements IModule {
  /** ARMONIK_CORE_SETTINGS with `env` on top, as a module whose env is inline in each component. */
  public static defaults(env: Readonly<Record<string, string>> = {}): ModuleOutputs {
    return ModuleOutputs.of(CORE_SETTINGS_MODULE, { env: { ...ARMONIK_CORE_SETTINGS, ...settings('CoreSettings.defaults()', 'env', env) } });
  }

  /** Loads the ConfigMap whole (`env_configmap`). */
  public readonly outputs: ModuleOutputs;
  public readonly name: string;
  public readonly namespace: string;
  /** The settings, sorted by name. */
  public readonly env: Readonly<Record<string, string>>;
  public readonly configMap: ApiObject;

  constructor(scope: Construct, id: string, props: CoreSettingsProps = {}) {
    super(scope, id);
    const where = `CoreSettings ${this.node.path}`;
    props = checkObject(where, 'props', props, ['env', 'name', 'namespace', 'authentication']);
    const auth = checkInstance(where, 'authentication', props.authentication, ArmoniKAuthentication, 'ArmoniKAuthentication.of()')?.coreEnv() ?? {};
    for (const name of Object.keys(auth)) {
      if (props.env !== undefined && isPlainObject(props.env) && Object.prototype.hasOwnProperty.call(props.env, name)) {
        throw new ValidationError(where, `env.${name}`, `is set by authentication; remove it from env`, props.env[name]);
      }
    }
    this.name = checkDns1123Subdomain(where, 'name', props.name ?? 'core-configmap', 'ConfigMap');
    this.namespace = resolveNamespace(this, where, props.namespace);
    // Validated as a module: names get the contract's checks and messages.
    const merged = CoreSettings.defaults({ ...settings(where, 'env', props.env ?? {}), ...auth }).literalEnv();
    this.env = Object.freeze(merged);
    this.configMap = new ApiObject(this, 'configmap', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/part-of': 'armonik', 'app.kubernetes.io/managed-by': 'platform-constructs', app: 'armonik' },
      },
      data: merged,
    });
    this.outputs = ModuleOutputs.of(CORE_SETTINGS_MODULE, { envConfigmap: [this.name] });
    claimObjectNames(this, where);
  }
}

/**
 * Settings as given: a plain object of strings (the module then checks the names). A Map or a
 * list would otherwise become no settings, or settings named "0", "1", ...
 */
function settings(where: string, field: string, env: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (!isPlainObject(env)) throw new ValidationError(where, field, `must be an object of name: value strings, not ${describeValue(env)}`, env);
  for (const name of Object.keys(env)) {
    const value: unknown = env[name];
    if (typeof value !== 'string') throw new ValidationError(where, `${field}.${name}`, `must be a string, not ${describeValue(value)}`, value);
  }
  return env;
}
