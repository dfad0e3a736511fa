/**
 * Issue #19 item 2: ArmoniK's authentication and authorization as ArmoniK.Infra 0.15.1 stores
 * them (`armonik/core-configmap.tf`, `init.tf`, `authentication-roles-default.tf`) for the Core
 * version in use, and every bad input refused at synth time naming the field.
 */
import { Chart, Testing } from 'cdk8s';
import { ArmoniK, ArmoniKAuthentication, BUILT_IN_ROLES, ComputePlane, CORE_PERMISSIONS, CoreVersion } from '../../../constructs/armonik/index.js';
import { refused } from '../../fixtures/validation.js';

const any = (v: unknown) => v as any;
const core = CoreVersion.parse('0.37.2', 'test');
const W = 'ArmoniKAuthentication.of()';
const of = (props: Record<string, unknown>) => () => ArmoniKAuthentication.of(any(props));
const init = (props: Record<string, unknown>, generated = [{ username: 'submitter', commonName: 'armonik-submitter' }]) => () => ArmoniKAuthentication.of(any(props)).initEnv(core, generated);
/** The documents of one kind, parsed, in index order (ArmoniK.Core `Authentication.cs`: lists of JSON strings). */
const docs = (env: Record<string, string>, kind: string) => {
  const keys = Object.keys(env).filter((k) => k.startsWith(`InitServices__Authentication__${kind}__`));
  keys.forEach((k, i) => expect(k).toBe(`InitServices__Authentication__${kind}__${i}`));
  return keys.map((k) => JSON.parse(env[k]));
};

describe('defaults: as Infra with authentication on', () => {
  const auth = ArmoniKAuthentication.of();

  it('requires authentication and authorization (Authenticator__* in the Core settings)', () => {
    expect(auth.coreEnv()).toEqual({ Authenticator__RequireAuthentication: 'true', Authenticator__RequireAuthorization: 'true' });
  });

  it('has Infra\'s roles (Submitter: every permission of Core 0.37.2; Monitoring: read only) and users submitter and monitoring', () => {
    expect(CORE_PERMISSIONS).toHaveLength(49);
    expect(BUILT_IN_ROLES.Submitter).toEqual(CORE_PERMISSIONS);
    expect(BUILT_IN_ROLES.Monitoring.every((p) => CORE_PERMISSIONS.includes(p))).toBe(true);
    expect(BUILT_IN_ROLES.Monitoring.some((p) => /:(Create|Submit|Cancel|Delete|Upload|Impersonate|Purge|Pause|Resume|Close|Stop)/.test(p))).toBe(false);
    const env = auth.initEnv(core, [{ username: 'submitter', commonName: 'cn-s' }, { username: 'monitoring', commonName: 'cn-m' }]);
    // The property names Core's records read (User.cs: Name, Roles; Role.cs: Name, Permissions; Certificate.cs: User, Cn, Fingerprint).
    expect(docs(env, 'Users')).toEqual([{ Name: 'submitter', Roles: ['Submitter'] }, { Name: 'monitoring', Roles: ['Monitoring'] }]);
    expect(docs(env, 'Roles')).toEqual([{ Name: 'Submitter', Permissions: CORE_PERMISSIONS }, { Name: 'Monitoring', Permissions: BUILT_IN_ROLES.Monitoring }]);
    expect(docs(env, 'UserCertificates')).toEqual([
      { User: 'submitter', Cn: 'cn-s', Fingerprint: null },
      { User: 'monitoring', Cn: 'cn-m', Fingerprint: null },
    ]);
  });
});

describe('settings', () => {
  it('off: no authentication, no authorization', () => {
    const auth = ArmoniKAuthentication.of({ requireAuthentication: false });
    expect(auth.coreEnv()).toEqual({ Authenticator__RequireAuthentication: 'false', Authenticator__RequireAuthorization: 'false' });
    // Nobody needs a certificate then.
    expect(docs(auth.initEnv(core), 'UserCertificates')).toEqual([]);
  });

  it('authentication without authorization', () => {
    expect(ArmoniKAuthentication.of({ requireAuthorization: false }).coreEnv().Authenticator__RequireAuthorization).toBe('false');
  });

  it('custom roles and users with their own certificates (fingerprint kept), after the default users', () => {
    const auth = ArmoniKAuthentication.of({
      roles: { Reader: ['Sessions:ListSessions', 'Tasks:ListTasks'], Admin: ['General:Impersonate:Reader', 'Sessions:PurgeSession'] },
      users: {
        alice: { roles: ['Reader'], certificates: [{ commonName: 'alice', fingerprint: 'a'.repeat(40) }] },
        root: { roles: ['Admin', 'Submitter'] },
      },
    });
    const env = auth.initEnv(core, [{ username: 'root', commonName: 'root-cert' }]);
    expect(docs(env, 'Users').map((u) => u.Name)).toEqual(['submitter', 'monitoring', 'alice', 'root']);
    expect(docs(env, 'Roles').map((r) => r.Name)).toEqual(['Submitter', 'Monitoring', 'Reader', 'Admin']);
    expect(docs(env, 'UserCertificates')).toEqual([
      { User: 'alice', Cn: 'alice', Fingerprint: 'a'.repeat(40) },
      { User: 'root', Cn: 'root-cert', Fingerprint: null },
    ]);
  });

  it('a role named like a built-in replaces it; the default users can be left out', () => {
    const auth = ArmoniKAuthentication.of({ defaultUsers: false, roles: { Monitoring: ['HealthChecks:CheckHealth'] }, users: { probe: { roles: ['Monitoring'], certificates: [{ commonName: 'probe' }] } } });
    expect(Object.keys(auth.users)).toEqual(['probe']);
    expect(auth.roles.Monitoring).toEqual(['HealthChecks:CheckHealth']);
  });

  it('refuses Core before 0.35.0, whose init does not read the users, naming coreVersion', () => {
    refused(() => ArmoniKAuthentication.of().initEnv(CoreVersion.parse('0.34.3', 'test'), [{ username: 'submitter', commonName: 'x' }]), W, 'coreVersion', /does not read InitServices__Authentication__\* \(from 0\.35\.0\)/);
    expect(() => ArmoniKAuthentication.of().initEnv(CoreVersion.parse('0.35.0', 'test'), [{ username: 'submitter', commonName: 'x' }])).not.toThrow();
  });
});

describe('bad input, at synth time, naming the field', () => {
  it('unknown permission, with the methods of its service', () => {
    refused(of({ roles: { R: ['Sessions:ListSession'] }, users: { u: { roles: ['R'] } } }), W, 'roles.R[0]', /"Sessions:ListSession" is not a permission of ArmoniK Core.*Sessions has .*ListSessions/);
    refused(of({ roles: { R: ['Jobs:Run'] }, users: { u: { roles: ['R'] } } }), W, 'roles.R[0]', /services: Applications, Events, General/);
    refused(of({ roles: { R: ['Tasks:ListTasks:all'] }, users: { u: { roles: ['R'] } } }), W, 'roles.R[0]', /only General:Impersonate takes a target/);
    refused(of({ roles: { R: ['General:Impersonate:Nobody'] }, users: { u: { roles: ['R'] } } }), W, 'roles.R[0]', /"Nobody" is not a role to impersonate/);
    refused(of({ roles: { R: [5] }, users: { u: { roles: ['R'] } } }), W, 'roles.R[0]', /must be a string/);
  });

  it('a role used by no user', () => {
    refused(of({ roles: { Orphan: ['Tasks:ListTasks'] } }), W, 'roles.Orphan', /no user has role "Orphan"/);
  });

  it('a user with an unknown role, no role, or unknown fields', () => {
    refused(of({ users: { bob: { roles: ['Admin'] } } }), W, 'users.bob.roles[0]', /"Admin" is not a role \(Submitter, Monitoring\)/);
    refused(of({ users: { bob: { roles: [] } } }), W, 'users.bob.roles', /at least one role/);
    refused(of({ users: { bob: { role: 'Submitter' } } }), W, 'users.bob.role', /unknown field/);
    refused(of({ users: { bob: 'Submitter' } }), W, 'users.bob', /must be an object/);
    refused(of({ users: [] }), W, 'users', /must be an object by name/);
  });

  it('a duplicate common name, between users or with a generated certificate', () => {
    refused(init({ users: { a: { roles: ['Submitter'], certificates: [{ commonName: 'same' }] }, b: { roles: ['Monitoring'], certificates: [{ commonName: 'same' }] } } }, []),
      W, 'users.b.certificates[0]', /common name "same" is "a"'s already/);
    refused(init({ users: { a: { roles: ['Submitter'], certificates: [{ commonName: 'armonik-submitter' }] } } }),
      W, 'ingress.mtls.clientCertificates.submitter', /"armonik-submitter" is "a"'s already/);
  });

  it('a generated certificate for no user', () => {
    refused(init({ defaultUsers: false, users: { a: { roles: ['Submitter'] } } }), W, 'ingress.mtls.clientCertificates.submitter', /"submitter" is not a user \(a\)/);
  });

  it('bad common names and fingerprints', () => {
    refused(init({ users: { a: { roles: ['Submitter'], certificates: [{ commonName: 'a,b' }] } } }), W, 'users.a.certificates[0].commonName', /no ',' or '\/'/);
    refused(init({ users: { a: { roles: ['Submitter'], certificates: [{ commonName: 'x'.repeat(65) }] } } }), W, 'users.a.certificates[0].commonName');
    refused(init({ users: { a: { roles: ['Submitter'], certificates: [{ commonName: 'a', fingerprint: 'AB:CD' }] } } }), W, 'users.a.certificates[0].fingerprint', /40 lower-case hex digits/);
  });

  it('authorization without authentication; non-boolean switches; nobody able to log in', () => {
    refused(of({ requireAuthentication: false, requireAuthorization: true }), W, 'requireAuthorization', /needs requireAuthentication/);
    refused(of({ requireAuthentication: 'yes' }), W, 'requireAuthentication', /true or false/);
    refused(of({ defaultUsers: 1 }), W, 'defaultUsers', /true or false/);
    refused(init({}, []), W, 'users', /no user has a certificate/);
    refused(of({ requier: true }), W, 'requier', /unknown field/);
  });
});

describe('where it goes: the Core settings and the init (Job and CronJob)', () => {
  const umbrella = (extra: Record<string, unknown>) => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    new ArmoniK(c, 'a', any({ controlPlane: {}, computePlane: { partitions: { default: {} } }, metricsExporter: {}, podDeletionCost: false, ...extra }));
    return Testing.synth(c);
  };
  const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
  const alice = { users: { alice: { roles: ['Submitter'], certificates: [{ commonName: 'alice' }] } } };

  it('ArmoniK: Authenticator__* in core-configmap, the documents in the init\'s env', () => {
    const objects = umbrella({ authentication: alice });
    expect(objects.find((o: any) => o.kind === 'ConfigMap' && o.metadata.name === 'core-configmap').data).toMatchObject({
      Authenticator__RequireAuthentication: 'true', Authenticator__RequireAuthorization: 'true',
    });
    const job = objects.find((o: any) => o.kind === 'Job').spec.template.spec.containers[0];
    const cron = objects.find((o: any) => o.kind === 'CronJob').spec.jobTemplate.spec.template.spec.containers[0];
    for (const c of [job, cron]) {
      const env = envOf(c);
      expect(docs(env, 'Users').map((u) => u.Name)).toEqual(['submitter', 'monitoring', 'alice']);
      expect(docs(env, 'UserCertificates')).toEqual([{ User: 'alice', Cn: 'alice', Fingerprint: null }]);
      expect(docs(env, 'Roles').map((r) => r.Name)).toEqual(['Submitter', 'Monitoring']);
    }
    // Only the init: the long-running components read the database.
    const control = objects.find((o: any) => o.kind === 'Deployment' && o.metadata.name === 'control-plane').spec.template.spec.containers[0];
    expect(Object.keys(envOf(control)).some((k) => k.startsWith('InitServices__Authentication__'))).toBe(false);
  });

  it('without it, off as in ArmoniK\'s core-configmap and nothing for the init', () => {
    const objects = umbrella({});
    expect(objects.find((o: any) => o.metadata.name === 'core-configmap').data.Authenticator__RequireAuthentication).toBe('false');
    expect(Object.keys(envOf(objects.find((o: any) => o.kind === 'Job').spec.template.spec.containers[0])).some((k) => k.startsWith('InitServices__Authentication__'))).toBe(false);
  });

  it('refuses the same settings given twice, and bad authentication props under the ArmoniK field', () => {
    refused(() => umbrella({ authentication: alice, coreSettings: { Authenticator__RequireAuthentication: 'false' } }), 'CoreSettings test/a/core', 'env.Authenticator__RequireAuthentication', /set by authentication/);
    refused(() => umbrella({ authentication: alice, computePlane: { partitions: { default: {} }, init: { env: { InitServices__Authentication__Users__0: '{}' } } } }),
      'ComputePlane test/a/compute-plane', 'init.env.InitServices__Authentication__Users__0', /init\.authentication/);
    refused(() => umbrella({ authentication: { users: { bob: { roles: ['Root'] } } } }), 'ArmoniK test/a', 'authentication.users.bob.roles[0]', /"Root" is not a role/);
    refused(() => umbrella({ authentication: {} }), 'ArmoniK test/a', 'authentication.users', /no user has a certificate/);
    refused(() => umbrella({ authentication: alice, coreVersion: '0.34.0' }), 'ArmoniK test/a', 'coreVersion', /from 0\.35\.0/);
  });

  it('ComputePlane alone: init.authentication, and init.clientCertificates only with it', () => {
    const c = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    const auth = ArmoniKAuthentication.of({ defaultUsers: false, users: { ops: { roles: ['Monitoring'] } } });
    new ComputePlane(c, 'cp', { partitions: { default: {} }, init: { authentication: auth, clientCertificates: [{ username: 'ops', commonName: 'ops-cert' }] } });
    const env = envOf(Testing.synth(c).find((o: any) => o.kind === 'Job').spec.template.spec.containers[0]);
    expect(docs(env, 'UserCertificates')).toEqual([{ User: 'ops', Cn: 'ops-cert', Fingerprint: null }]);
    const d = new Chart(Testing.app(), 'test', { namespace: 'armonik' });
    refused(() => new ComputePlane(d, 'cp', any({ partitions: { default: {} }, init: { clientCertificates: [{ username: 'ops', commonName: 'x' }] } })), 'ComputePlane test/cp', 'init.clientCertificates', /give init.authentication too/);
    refused(() => new ComputePlane(d, 'cp2', any({ partitions: { default: {} }, init: { authentication: { users: {} } } })), 'ComputePlane test/cp2', 'init.authentication', /ArmoniKAuthentication.of\(\)/);
  });
});
