/**
 * Issue #14, against the real API server: whatever the library renders from random modules
 * (test/fixtures/arbitraries.ts; the samples it refuses are filtered out) is a Pod, with the
 * PersistentVolumeClaims of the `mount_volume_claim` outputs, that the API server accepts
 * (server-side apply, dry run). Fixed seed, a bounded number of samples; a refusal is shrunk by
 * fast-check to a minimal set of modules.
 */
import { jest } from '@jest/globals';
import fc from 'fast-check';
import { applyToPodSpec } from '../../lib/contract/index.js';
import { connectToTestCluster, type KubeObject } from '../cluster/index.js';
import { anyContractSample, buildMerged, type ContractSample } from '../fixtures/arbitraries.js';

jest.setTimeout(300_000);

const SEED = 1414;
const SAMPLES = 40;
const FIELD_MANAGER = 'contract-property';

const cluster = connectToTestCluster();
let namespace: string;

beforeAll(async () => {
  // Not PodSecurity-restricted: modules may mount NFS exports, which the restricted profile forbids.
  namespace = await cluster.createNamespace('contract-property', { restricted: false });
});

afterAll(async () => {
  if (namespace) await cluster.deleteNamespace(namespace);
});

/** The Pod and claims the library renders for a sample, or undefined when it refuses the sample. */
function objectsOf(sample: ContractSample): KubeObject[] | undefined {
  const { claimNamePrefix, containers } = sample.render;
  try {
    const parts = buildMerged(sample).toPodSpecParts(claimNamePrefix === undefined ? {} : { claimNamePrefix });
    const spec = applyToPodSpec(sample.pod, parts, containers === undefined ? {} : { containers });
    const claims = parts.persistentVolumeClaims.map((c) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: c.name },
      spec: c.spec,
    }));
    // No token volume from the ServiceAccount admission plugin: the stored volumes are the library's and the pod's own.
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'contract-sample' }, spec: { ...spec, automountServiceAccountToken: false } };
    return [...claims, pod];
  } catch {
    return undefined;
  }
}

/** Samples the library accepts: mostly drawn from valid values, some with invalid ones it tolerates (unknown outputs, say). */
const accepted = anyContractSample.filter((s) => objectsOf(s) !== undefined);

test(`the API server accepts the Pod and claims rendered from ${SAMPLES} random module sets the library accepts (server-side apply, dry run)`, async () => {
  let applied = 0;
  await fc.assert(
    fc.asyncProperty(accepted, async (sample) => {
      const objects = objectsOf(sample)!;
      // Throws on a refusal, and on any warning (a duplicate env var, say).
      const stored = await cluster.applyObjects(objects, { fieldManager: FIELD_MANAGER, dryRun: true, namespace });
      const pod = stored[stored.length - 1] as KubeObject & { spec: { volumes?: Array<{ name: string }> } };
      const sent = objects[objects.length - 1] as KubeObject & { spec: { volumes?: Array<{ name: string }> } };
      expect((pod.spec.volumes ?? []).map((v) => v.name)).toEqual((sent.spec.volumes ?? []).map((v) => v.name));
      applied++;
    }),
    { seed: SEED, numRuns: SAMPLES },
  );
  expect(applied).toBeGreaterThanOrEqual(SAMPLES);
});
