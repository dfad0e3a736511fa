/**
 * Property-based tests of the module-output contract (issue #14): random modules (test/fixtures/
 * arbitraries.ts), built through each entry point, merged, rendered and applied to a pod with env
 * and mounts of its own, either fail with a named ValidationError or give parts in which every
 * mount resolves to the source its module declared. Each property checks one thing on the same
 * samples (fixed seed, bounded runs), so a failure names what broke and fast-check shrinks it to a
 * minimal counterexample. To explore further, change SEED or NUM_RUNS locally.
 */
import fc from 'fast-check';
import { applyToPodSpec, ModuleOutputsError, OUTPUT_NAMES, type PodSpecParts } from '../../../lib/contract/index.js';
import { ValidationError } from '../../../lib/k8s/validation.js';
import {
  anyContractSample, buildMerged, comparableVolume, declared, normalPath, normalRelative, type ContractSample, type PodSample,
} from '../../fixtures/arbitraries.js';

const SEED = 1414;
const NUM_RUNS = 300;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface Rendered {
  readonly parts: PodSpecParts;
  readonly pod: PodSample;
}

function render(sample: ContractSample): Rendered {
  const { claimNamePrefix, containers } = sample.render;
  const parts = buildMerged(sample).toPodSpecParts(claimNamePrefix === undefined ? {} : { claimNamePrefix });
  return { parts, pod: applyToPodSpec(sample.pod, parts, containers === undefined ? {} : { containers }) };
}

/** The error is a ValidationError whose message names where the bad value came from and which field. */
function expectNamedError(e: unknown, sample: ContractSample): void {
  if (!(e instanceof ValidationError)) {
    throw new Error(`expected a ValidationError, got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`, { cause: e });
  }
  const problems: string[] = [];
  if (e.source === '' || e.field === '') problems.push('no source or no field');
  if (!e.message.startsWith(`${e.source}: ${e.field}: `)) problems.push('the message does not start with "source: field: "');
  if (e instanceof ModuleOutputsError) {
    const names = sample.modules.map((m) => m.name);
    const fromModule = (n: string | undefined) => n !== undefined && names.some((name) => n === name || n.startsWith(`${name}[`));
    if (!fromModule(e.module)) problems.push(`module "${e.module}" is none of ${names.join(', ')}`);
    if (e.conflictsWith !== undefined && !fromModule(e.conflictsWith)) problems.push(`conflictsWith "${e.conflictsWith}" is none of ${names.join(', ')}`);
    if (!e.message.includes(`"${e.module}"`)) problems.push('the message does not name the module');
    // The pointer starts at one of the nine outputs (or is the module itself).
    if (e.path !== '' && !(OUTPUT_NAMES as readonly string[]).includes(e.path.split('/')[1])) problems.push(`pointer "${e.path}" is not inside an output`);
  }
  expectNone(`problems with the error "${e.message}"`, problems);
}

function duplicates(values: readonly string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}

/** Fails naming what the offending values are (e.g. 'duplicate claim names'). */
function expectNone(what: string, values: readonly unknown[]): void {
  expect({ [what]: values }).toEqual({ [what]: [] });
}

/** The rendered parts, or undefined when the library refused the sample (the first property checks how). */
function tryRender(sample: ContractSample): Rendered | undefined {
  try {
    return render(sample);
  } catch {
    return undefined;
  }
}

/** A property over the samples the library accepts, with the fixed seed and number of runs. */
function forEachRendered(check: (sample: ContractSample, rendered: Rendered) => void): void {
  fc.assert(
    fc.property(anyContractSample, (sample) => {
      const rendered = tryRender(sample);
      if (rendered !== undefined) check(sample, rendered);
    }),
    { seed: SEED, numRuns: NUM_RUNS },
  );
}

/** In the parts: volume and claim names are unique DNS-1123 labels, env names and envFrom sources unique. */
function expectUniqueNames(_sample: ContractSample, { parts }: Rendered): void {
  expectNone('duplicate volume names', duplicates(parts.volumes.map((v) => v.name)));
  expectNone('volume names that are not DNS-1123 labels', parts.volumes.map((v) => v.name).filter((n) => !DNS1123_LABEL.test(n) || n.length > 63));
  expectNone('duplicate mount paths', duplicates(parts.volumeMounts.map((m) => normalPath(m.mountPath))));
  expectNone('duplicate claim names', duplicates(parts.persistentVolumeClaims.map((c) => c.name)));
  expectNone('claim names that are not DNS-1123 labels', parts.persistentVolumeClaims.map((c) => c.name).filter((n) => !DNS1123_LABEL.test(n) || n.length > 63));
  expectNone('duplicate env names', duplicates(parts.env.map((e) => e.name)));
  const envFrom = parts.envFrom.map((e) => (e.configMapRef ? `configmap/${e.configMapRef.name}` : `secret/${e.secretRef!.name}`));
  expectNone('duplicate envFrom sources', duplicates(envFrom));
}

/** Exactly the declared mount paths are mounted, each with the volume source, sub path and read-only flag its module(s) declared. */
function expectMountsResolveToDeclaredSources(sample: ContractSample, { parts }: Rendered): void {
  const want = declared(sample).mounts;
  expect({ mountPaths: parts.volumeMounts.map((m) => normalPath(m.mountPath)).sort() }).toEqual({ mountPaths: [...want.keys()].sort() });
  for (const m of parts.volumeMounts) {
    const volume = parts.volumes.find((v) => v.name === m.name) as Record<string, any> | undefined;
    expect({ mount: m, volume: volume !== undefined }).toEqual({ mount: m, volume: true });
    for (const d of want.get(normalPath(m.mountPath))!) {
      const where = `${d.module}: /${d.output}/${d.key} at ${d.mountPath}`;
      expect({ where, readOnly: m.readOnly ?? false }).toEqual({ where, readOnly: d.readOnly });
      expect({ where, subPath: normalRelative(m.subPath ?? '') }).toEqual({ where, subPath: normalRelative(d.subPath ?? '') });
      const source = d.claim ? { persistentVolumeClaim: { claimName: volume!.persistentVolumeClaim?.claimName } } : d.volume;
      expect({ where, volume: comparableVolume(volume!) }).toEqual({ where, volume: source });
    }
  }
  // Every volume is mounted, every claim is a volume.
  expectNone('volumes no mount uses', parts.volumes.filter((v) => !parts.volumeMounts.some((m) => m.name === v.name)));
  const claimed = new Set(parts.volumes.map((v) => (v as Record<string, any>).persistentVolumeClaim?.claimName));
  expectNone('claims no volume uses', parts.persistentVolumeClaims.filter((c) => !claimed.has(c.name)));
}

/** The claim a mount_volume_claim mount's volume names has the size, access modes and storage class its module declared. */
function expectClaimsAsDeclared(sample: ContractSample, { parts }: Rendered): void {
  for (const m of parts.volumeMounts) {
    const volume = parts.volumes.find((v) => v.name === m.name) as Record<string, any> | undefined;
    for (const d of declared(sample).mounts.get(normalPath(m.mountPath)) ?? []) {
      if (!d.claim) continue;
      const where = `${d.module}: /${d.output}/${d.key} at ${d.mountPath}`;
      const claims = parts.persistentVolumeClaims.filter((c) => c.name === volume?.persistentVolumeClaim?.claimName);
      const specs = claims.map((c) => ({
        accessModes: c.spec.accessModes,
        storage: c.spec.resources.requests.storage,
        ...(c.spec.storageClassName === undefined ? {} : { storageClassName: c.spec.storageClassName }),
      }));
      expect({ where, claims: specs }).toEqual({ where, claims: [d.claim] });
    }
  }
}

/** Env and envFrom are exactly what the modules declared; literal values are strings (numbers and booleans as Terraform prints them). */
function expectEnvAsDeclared(sample: ContractSample, { parts }: Rendered): void {
  const want = declared(sample);
  expect({ envNames: parts.env.map((e) => e.name).sort() }).toEqual({ envNames: [...want.env.keys()].sort() });
  for (const e of parts.env) {
    const { name, ...rendered } = e;
    if ('value' in rendered) expect({ name, type: typeof rendered.value }).toEqual({ name, type: 'string' });
    for (const d of want.env.get(name) ?? []) expect({ name, ...rendered }).toEqual({ name, ...d });
  }
  const envFrom = parts.envFrom.map((e) => (e.configMapRef ? `configmap/${e.configMapRef.name}` : `secret/${e.secretRef!.name}`));
  expect({ envFrom: [...new Set(envFrom)].sort() }).toEqual({ envFrom: [...want.envFrom].sort() });
}

/**
 * In the pod: volume names unique, each container's mounts naming a volume at distinct (normalized)
 * paths, env names unique; the chosen containers get the modules' env and mounts after their own,
 * the others are untouched.
 */
function expectAppliedToChosenContainers(sample: ContractSample, { parts, pod }: Rendered): void {
  const podVolumes = pod.volumes ?? [];
  expectNone('duplicate volume names in the pod', duplicates(podVolumes.map((v) => v.name)));
  const volumeNames = new Set(podVolumes.map((v) => v.name));
  for (const c of pod.containers) {
    expectNone(`mounts of container ${c.name} naming no volume`, (c.volumeMounts ?? []).filter((m) => !volumeNames.has(m.name)));
    expectNone(`mount paths mounted twice in container ${c.name}`, duplicates((c.volumeMounts ?? []).map((m) => normalPath(m.mountPath))));
    expectNone(`env names set twice in container ${c.name}`, duplicates((c.env ?? []).map((e) => e.name)));
  }
  for (const [i, c] of pod.containers.entries()) {
    const own = sample.pod.containers[i];
    if (sample.render.containers && !sample.render.containers.includes(c.name)) {
      expect(c).toEqual(own);
      continue;
    }
    expect({ container: c.name, env: c.env ?? [] }).toEqual({ container: c.name, env: [...(own.env ?? []), ...parts.env] });
    expect({ container: c.name, volumeMounts: c.volumeMounts ?? [] }).toEqual({ container: c.name, volumeMounts: [...(own.volumeMounts ?? []), ...parts.volumeMounts] });
  }
  expect(pod.volumes ?? []).toEqual([...(sample.pod.volumes ?? []), ...parts.volumes]);
}

describe('module-output contract, property-based', () => {
  it('random modules either render or fail with a ValidationError naming the module (or source) and the field, never another error', () => {
    fc.assert(
      fc.property(anyContractSample, (sample) => {
        try {
          render(sample);
        } catch (e) {
          expectNamedError(e, sample);
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it('a fair share of the samples renders, so the properties below check something', () => {
    const samples = fc.sample(anyContractSample, { seed: SEED, numRuns: NUM_RUNS });
    const rendered = samples.filter((s) => tryRender(s) !== undefined);
    expect(rendered.length).toBeGreaterThan(NUM_RUNS / 5);
    // ... including samples with mounts of each kind, claims, env and merged modules.
    const parts = rendered.map((s) => render(s).parts);
    expect(parts.filter((p) => p.persistentVolumeClaims.length > 0).length).toBeGreaterThan(10);
    expect(parts.filter((p) => p.volumes.some((v) => 'nfs' in v)).length).toBeGreaterThan(10);
    expect(parts.filter((p) => p.volumes.some((v) => 'secret' in v)).length).toBeGreaterThan(10);
    expect(parts.filter((p) => p.env.length > 2).length).toBeGreaterThan(10);
    expect(rendered.filter((s) => s.modules.length > 1).length).toBeGreaterThan(10);
  });

  it('the parts name each volume, claim, env var and mount path once (volumes and claims as DNS-1123 labels)', () => {
    forEachRendered(expectUniqueNames);
  });

  it('every mount resolves to the source its module declared at that (normalized) path', () => {
    forEachRendered(expectMountsResolveToDeclaredSources);
  });

  it("every claim has the size, access modes and storage class its module declared", () => {
    forEachRendered(expectClaimsAsDeclared);
  });

  it('env and envFrom are what the modules declared, every literal value a string', () => {
    forEachRendered(expectEnvAsDeclared);
  });

  it("applyToPodSpec adds the parts after the pod's own env, mounts and volumes, on the chosen containers only, each name and normalized path once", () => {
    forEachRendered(expectAppliedToChosenContainers);
  });

  it('rendering is deterministic: the same modules twice give deep-equal parts, or the same error', () => {
    const outcome = (sample: ContractSample) => {
      try {
        return render(sample);
      } catch (e) {
        return { error: (e as Error).message };
      }
    };
    fc.assert(
      fc.property(anyContractSample, (sample) => {
        expect(outcome(sample)).toEqual(outcome(sample));
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });
});
