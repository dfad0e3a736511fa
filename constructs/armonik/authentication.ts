/**
 * ArmoniK's authentication and authorization (ArmoniK.Infra 0.15.1 `armonik/core-configmap.tf`,
 * `init.tf`, `authentication-roles-default.tf`): Core identifies a caller by the client
 * certificate the ingress verified, whose common name and fingerprint the ingress passes in
 * headers (`X-Certificate-Client-CN`, `X-Certificate-Client-Fingerprint`: ArmoniK.Core
 * `Control/Submitter/src/appsettings.json`), looks the certificate up in its database, and
 * allows the call if one of the user's roles has the permission. The users, roles and
 * certificates reach the database through the init Job (`InitServices__Authentication__*`).
 */
import { checkObject, checkStringList } from '../../lib/k8s/props.js';
import { describeValue, isPlainObject, quote, showValue, ValidationError } from '../../lib/k8s/validation.js';
import { BUILT_IN_ROLES, CORE_PERMISSIONS } from './authentication-roles.js';
import { CoreVersion } from './versions.js';

/** A certificate a user authenticates with. */
export interface UserCertificate {
  /** Its subject's common name. */
  readonly commonName: string;
  /**
   * Its SHA-1 fingerprint, 40 lower-case hex digits (nginx's `$ssl_client_fingerprint`), or none:
   * any certificate of that common name signed by the ingress's client CA (ArmoniK.Core
   * `Adaptors/MongoDB/src/AuthenticationTable.cs` matches a null fingerprint on the name alone).
   * @default none
   */
  readonly fingerprint?: string;
}

/** A user of ArmoniK. */
export interface ArmoniKUser {
  /** Its roles: built-in (`Submitter`, `Monitoring`) or of `roles`. */
  readonly roles: readonly string[];
  /** Certificates it authenticates with, besides those the ingress generates for it. @default none */
  readonly certificates?: readonly UserCertificate[];
}

/** Props of {@link ArmoniKAuthentication.of}: Infra's `authentication` variable, typed. */
export interface AuthenticationProps {
  /** `Authenticator__RequireAuthentication`: calls without a known certificate are refused. @default true */
  readonly requireAuthentication?: boolean;
  /** `Authenticator__RequireAuthorization`: each call needs the permission; needs authentication. @default requireAuthentication */
  readonly requireAuthorization?: boolean;
  /**
   * Roles besides the built-in ones (`BUILT_IN_ROLES`: `Submitter`, `Monitoring`), by name: their
   * permissions, `<service>:<method>` as Core names them (`CORE_PERMISSIONS`), or
   * `General:Impersonate:<role>`. A role named like a built-in one replaces it (as Infra's
   * `roles_list`). Each must be some user's role.
   * @default none
   */
  readonly roles?: Readonly<Record<string, readonly string[]>>;
  /** Users by name, besides Infra's `submitter` (role `Submitter`) and `monitoring` (role `Monitoring`). @default none */
  readonly users?: Readonly<Record<string, ArmoniKUser>>;
  /** Infra's two users, `submitter` and `monitoring`; `false` for none (a user of that name in `users` replaces it anyway). @default true */
  readonly defaultUsers?: boolean;
}

/** A certificate the ingress generates for a user: the user and its certificate's common name. */
export interface GeneratedClientCertificate {
  readonly username: string;
  readonly commonName: string;
}

/** The oldest Core whose init reads `InitServices__Authentication__*` (ArmoniK.Core `Common/src/Injection/Options/Database/Authentication.cs`, new in 0.35.0). */
export const OLDEST_CORE_WITH_INIT_AUTHENTICATION = '0.35.0';

const PROPS: ReadonlyArray<keyof AuthenticationProps> = ['requireAuthentication', 'requireAuthorization', 'roles', 'users', 'defaultUsers'];
const DEFAULT_USERS: Readonly<Record<string, readonly string[]>> = { submitter: ['Submitter'], monitoring: ['Monitoring'] };

/**
 * ArmoniK's authentication, checked: the `Authenticator__*` Core settings and the init Job's
 * `InitServices__Authentication__*` env. Give it to `ArmoniK` (`authentication`), or use
 * {@link coreEnv} and {@link initEnv} with components deployed one by one.
 */
export class ArmoniKAuthentication {
  /** Checks `props`; `where` and `field` name the caller in errors. */
  public static of(props: AuthenticationProps = {}, where = 'ArmoniKAuthentication.of()', field = 'props'): ArmoniKAuthentication {
    return new ArmoniKAuthentication(props, where, field);
  }

  public readonly requireAuthentication: boolean;
  public readonly requireAuthorization: boolean;
  /** Every role (built-in ones included), by name: its permissions. */
  public readonly roles: Readonly<Record<string, readonly string[]>>;
  /** Every user, by name. */
  public readonly users: Readonly<Record<string, { readonly roles: readonly string[]; readonly certificates: readonly UserCertificate[] }>>;
  private readonly where: string;
  private readonly prefix: string;

  private constructor(props: AuthenticationProps, where: string, field: string) {
    this.where = where;
    this.prefix = field === 'props' ? '' : `${field}.`;
    const f = (name: string) => `${this.prefix}${name}`;
    const p = checkObject<AuthenticationProps>(where, field, props, PROPS);
    this.requireAuthentication = bool(where, f('requireAuthentication'), p.requireAuthentication, true);
    this.requireAuthorization = bool(where, f('requireAuthorization'), p.requireAuthorization, this.requireAuthentication);
    if (this.requireAuthorization && !this.requireAuthentication) {
      // Core authorizes the authenticated user: without authentication every call would be refused.
      throw new ValidationError(where, f('requireAuthorization'), `needs requireAuthentication: Core authorizes the user a certificate identifies`, true);
    }
    const custom = record(where, f('roles'), p.roles);
    const roles: Record<string, readonly string[]> = { ...BUILT_IN_ROLES };
    for (const [name, permissions] of Object.entries(custom)) {
      nonEmpty(where, `${f('roles')}.${name}`, name, 'a role name');
      roles[name] = checkStringList(where, `${f('roles')}.${name}`, permissions as readonly string[]);
    }
    for (const name of Object.keys(custom)) {
      roles[name].forEach((permission, i) => checkPermission(where, `${f('roles')}.${name}[${i}]`, permission, roles));
    }
    const given = record(where, f('users'), p.users);
    const users: Record<string, { roles: readonly string[]; certificates: readonly UserCertificate[] }> = {};
    if (bool(where, f('defaultUsers'), p.defaultUsers, true)) {
      for (const [name, r] of Object.entries(DEFAULT_USERS)) users[name] = { roles: r, certificates: [] };
    }
    for (const [name, u] of Object.entries(given)) {
      const uf = `${f('users')}.${name}`;
      nonEmpty(where, uf, name, 'a user name');
      const user = checkObject<ArmoniKUser>(where, uf, u, ['roles', 'certificates'], true);
      const userRoles = checkStringList(where, `${uf}.roles`, user.roles);
      if (userRoles.length === 0) throw new ValidationError(where, `${uf}.roles`, `give at least one role (${Object.keys(roles).join(', ')})`, user.roles);
      userRoles.forEach((r, i) => {
        if (!Object.prototype.hasOwnProperty.call(roles, r)) throw new ValidationError(where, `${uf}.roles[${i}]`, `${quote(r)} is not a role (${Object.keys(roles).join(', ')})`, r);
      });
      if (user.certificates !== undefined && !Array.isArray(user.certificates)) {
        throw new ValidationError(where, `${uf}.certificates`, `must be a list of { commonName, fingerprint? }, not ${describeValue(user.certificates)}`, user.certificates);
      }
      const certificates = (user.certificates ?? []).map((c, i) => checkCertificate(where, `${uf}.certificates[${i}]`, c));
      users[name] = { roles: userRoles, certificates };
    }
    for (const name of Object.keys(custom)) {
      if (!Object.values(users).some((u) => u.roles.includes(name))) {
        throw new ValidationError(where, `${f('roles')}.${name}`, `no user has role ${quote(name)}; give it to a user or remove it`, custom[name]);
      }
    }
    this.roles = roles;
    this.users = users;
  }

  /** The `Authenticator__*` Core settings (Infra's `core-configmap`), for `CoreSettings`. */
  public coreEnv(): Record<string, string> {
    return {
      Authenticator__RequireAuthentication: String(this.requireAuthentication),
      Authenticator__RequireAuthorization: String(this.requireAuthorization),
    };
  }

  /**
   * The init Job's env (ArmoniK.Infra `armonik/init.tf`): one JSON document per user, role and
   * certificate, as ArmoniK.Core's init reads them (`Common/src/Injection/Options/Database/`
   * `User.cs`, `Role.cs`, `Certificate.cs`: System.Text.Json, case-sensitive, `Name`/`Roles`,
   * `Name`/`Permissions`, `User`/`Cn`/`Fingerprint`). `generated` are the certificates the ingress
   * makes (`ArmoniKIngress.clientCertificates`), each for a user; `generatedField` names them in errors.
   */
  public initEnv(core: CoreVersion, generated: readonly GeneratedClientCertificate[] = [], generatedField = 'ingress.mtls.clientCertificates'): Record<string, string> {
    const where = this.where;
    if (!(core instanceof CoreVersion)) throw new ValidationError(where, 'coreVersion', `must be a CoreVersion, not ${describeValue(core)}`, core);
    if (!core.atLeast(OLDEST_CORE_WITH_INIT_AUTHENTICATION)) {
      throw new ValidationError(where, 'coreVersion', `Core ${core.version} does not read InitServices__Authentication__* (from ${OLDEST_CORE_WITH_INIT_AUTHENTICATION}); its users would never reach the database`, core.version);
    }
    const certificates: Array<{ User: string; Cn: string; Fingerprint: string | null }> = [];
    const byName = new Map<string, string>();
    const add = (field: string, user: string, c: UserCertificate) => {
      // Core finds one identity per name and fingerprint: the same name twice would log in as either user.
      const other = byName.get(c.commonName);
      if (other !== undefined) throw new ValidationError(where, field, `common name ${quote(c.commonName)} is ${other}'s already; each certificate's name is unique`, c.commonName);
      byName.set(c.commonName, `${quote(user)}`);
      certificates.push({ User: user, Cn: c.commonName, Fingerprint: c.fingerprint ?? null });
    };
    for (const [name, u] of Object.entries(this.users)) u.certificates.forEach((c, i) => add(`${this.prefix}users.${name}.certificates[${i}]`, name, c));
    for (const g of generated) {
      if (!Object.prototype.hasOwnProperty.call(this.users, g.username)) {
        throw new ValidationError(where, `${generatedField}.${g.username}`, `${quote(g.username)} is not a user (${Object.keys(this.users).join(', ')}); its certificate would identify nobody`, g.username);
      }
      add(`${generatedField}.${g.username}`, g.username, checkCertificate(where, `${generatedField}.${g.username}`, { commonName: g.commonName }));
    }
    if (this.requireAuthentication && certificates.length === 0) {
      throw new ValidationError(where, `${this.prefix}users`, `authentication is required but no user has a certificate: give users certificates, or have the ingress generate some (mtls.clientCertificates)`);
    }
    const env: Record<string, string> = {};
    Object.entries(this.users).forEach(([name, u], i) => { env[`InitServices__Authentication__Users__${i}`] = JSON.stringify({ Name: name, Roles: u.roles }); });
    Object.entries(this.roles).forEach(([name, p], i) => { env[`InitServices__Authentication__Roles__${i}`] = JSON.stringify({ Name: name, Permissions: p }); });
    certificates.forEach((c, i) => { env[`InitServices__Authentication__UserCertificates__${i}`] = JSON.stringify(c); });
    return env;
  }
}

function bool(where: string, field: string, value: boolean | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValidationError(where, field, `must be true or false, not ${describeValue(value)}`, value);
  return value;
}

function record<T>(where: string, field: string, value: Readonly<Record<string, T>> | undefined): Readonly<Record<string, T>> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new ValidationError(where, field, `must be an object by name, not ${describeValue(value)}`, value);
  return value;
}

function nonEmpty(where: string, field: string, name: string, what: string): void {
  if (name.trim() === '' || /[\u0000-\u001f]/.test(name)) throw new ValidationError(where, field, `${showValue(name)} is not ${what}`, name);
}

/** A permission of Core, or `General:Impersonate:<role>`. */
function checkPermission(where: string, field: string, permission: string, roles: Readonly<Record<string, unknown>>): void {
  const parts = permission.split(':');
  const action = parts.slice(0, 2).join(':');
  if (!CORE_PERMISSIONS.includes(action) || parts.length > 3) {
    const service = parts[0];
    const same = CORE_PERMISSIONS.filter((p) => p.startsWith(`${service}:`));
    const hint = same.length > 0 ? `; ${service} has ${same.map((p) => p.slice(service.length + 1)).join(', ')}` : `; services: ${[...new Set(CORE_PERMISSIONS.map((p) => p.split(':')[0]))].join(', ')}`;
    throw new ValidationError(where, field, `${quote(permission)} is not a permission of ArmoniK Core (<service>:<method>)${hint}`, permission);
  }
  if (parts.length === 3) {
    if (action !== 'General:Impersonate') throw new ValidationError(where, field, `only General:Impersonate takes a target (a role): ${quote(permission)}`, permission);
    if (!Object.prototype.hasOwnProperty.call(roles, parts[2])) throw new ValidationError(where, field, `${quote(parts[2])} is not a role to impersonate (${Object.keys(roles).join(', ')})`, permission);
  }
}

/** Why `name` cannot be a client certificate's common name, or undefined. */
export function commonNameReason(name: unknown): string | undefined {
  // The ingress reads the name out of the subject with `CN=([^,/]+)`: ',' and '/' would cut it.
  if (typeof name === 'string' && name.length > 0 && name.length <= 64 && !/[,/\u0000-\u001f]/.test(name)) return undefined;
  return `${showValue(name)} is not a certificate common name (1 to 64 characters, no ',' or '/')`;
}

function checkCertificate(where: string, field: string, c: UserCertificate): UserCertificate {
  const o = checkObject<UserCertificate>(where, field, c, ['commonName', 'fingerprint'], true);
  const bad = commonNameReason(o.commonName);
  if (bad) throw new ValidationError(where, `${field}.commonName`, bad, o.commonName);
  if (o.fingerprint !== undefined && (typeof o.fingerprint !== 'string' || !/^[0-9a-f]{40}$/.test(o.fingerprint))) {
    throw new ValidationError(where, `${field}.fingerprint`, `${showValue(o.fingerprint)} is not a SHA-1 fingerprint as nginx gives it (40 lower-case hex digits, no ':'; openssl x509 -fingerprint -sha1 prints it with ':' and upper case)`, o.fingerprint);
  }
  return o.fingerprint === undefined ? { commonName: o.commonName } : { commonName: o.commonName, fingerprint: o.fingerprint };
}
