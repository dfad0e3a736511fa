/**
 * The harness itself: a cluster of its own starts in seconds, survives an API
 * server restart with its data, stops without leaving a process or a file behind;
 * CRDs are applied before their custom resources; bad setups fail with a message
 * that names the problem and the fix.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ASSETS_ENV,
  BUILD_SCRIPT,
  CACHE_ENV,
  connectToTestCluster,
  ensureBinaries,
  freePort,
  startCluster,
  type KubeObject,
} from '../cluster/index.js';

const run = promisify(execFile);

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('startCluster: ready in seconds, restartApiServer keeps etcd data, stop leaves nothing behind', async () => {
  const t0 = Date.now();
  const cluster = await startCluster();
  try {
    expect(Date.now() - t0).toBeLessThan(30_000);
    const pids = Object.values(cluster.pids).filter((p) => p !== undefined);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    expect(cluster.hasControllerManager).toBe(false);

    const etcdHealth = (await fetch(`${cluster.etcdEndpoint}/health`).then((r) => r.json())) as { health: string };
    expect(etcdHealth.health).toBe('true');

    const ns = await cluster.createNamespace('restart');
    const [cm] = await cluster.applyObjects(
      [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' }, data: { k: 'v' } }],
      { fieldManager: 'lifecycle-test', namespace: ns },
    );
    const apiPid = cluster.pids['kube-apiserver'];
    await cluster.restartApiServer();
    expect(cluster.pids['kube-apiserver']).not.toBe(apiPid);
    expect(alive(apiPid)).toBe(false);
    const after = await cluster.get(cm);
    expect(after?.metadata?.uid).toBe(cm.metadata?.uid);
    expect(after?.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  } finally {
    const pids = Object.values(cluster.pids).filter((p) => p !== undefined);
    await cluster.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  }
}, 120_000);

test('applyObjects puts CRDs first and waits until they are Established', async () => {
  const cluster = connectToTestCluster();
  const ns = await cluster.createNamespace('crd');
  const group = `${ns}.test.platform.io`;
  const cr: KubeObject = { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1' }, spec: { size: 3 } };
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
            },
          },
        },
      ],
    },
  };
  // The custom resource comes first in the input; the CRD is applied before it anyway.
  const [appliedCr, appliedCrd] = await cluster.applyObjects([cr, crd], { fieldManager: 'lifecycle-test', namespace: ns });
  expect(appliedCr.metadata?.namespace).toBe(ns);
  expect((appliedCr.spec as { size: number }).size).toBe(3);
  expect(appliedCrd.kind).toBe('CustomResourceDefinition');
  // The CRD's schema is enforced: server-side apply refuses an undeclared field.
  await expect(
    cluster.applyObjects([{ ...cr, spec: { size: 4, unknown: true } }], { fieldManager: 'lifecycle-test', namespace: ns }),
  ).rejects.toThrow(/\.spec\.unknown: field not declared in schema/);
  await cluster.delete(crd);
  await cluster.deleteNamespace(ns);
}, 60_000);

describe('bad setups end with a clear message', () => {
  let dir: string;
  const saved = { assets: process.env[ASSETS_ENV], cache: process.env[CACHE_ENV] };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'platform-constructs-badsetup-'));
  });
  afterEach(async () => {
    for (const [k, v] of [
      [ASSETS_ENV, saved.assets],
      [CACHE_ENV, saved.cache],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('a prebuilt directory lacking a binary', async () => {
    process.env[ASSETS_ENV] = dir;
    await expect(ensureBinaries()).rejects.toThrow(
      new RegExp(`${ASSETS_ENV}=${dir} lacks an executable etcd, kube-apiserver, kube-controller-manager`),
    );
  });

  test('a binary that fails --version', async () => {
    for (const c of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
      const body = c === 'kube-apiserver' ? 'echo "error while loading shared libraries" >&2; exit 127' : 'echo "v1"';
      await writeFile(join(dir, c), `#!/bin/sh\n${body}\n`);
      await chmod(join(dir, c), 0o755);
    }
    process.env[ASSETS_ENV] = dir;
    await expect(ensureBinaries()).rejects.toThrow(
      /kube-apiserver at .*kube-apiserver failed `--version`: error while loading shared libraries\. Replace it, or unset PLATFORM_CONSTRUCTS_K8S_ASSETS/,
    );
  });

  test('Go missing when the binaries must be built', async () => {
    const err = await run('bash', [BUILD_SCRIPT], {
      env: { ...process.env, [CACHE_ENV]: dir, PLATFORM_CONSTRUCTS_GO: join(dir, 'no-go-here'), [ASSETS_ENV]: '' },
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/error: Go is not installed .*Install Go >= 1\.24 .*or set PLATFORM_CONSTRUCTS_K8S_ASSETS/);
  });

  test('the API server port in use', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      await expect(startCluster({ apiServerPort: port })).rejects.toThrow(
        new RegExp(`port 127\\.0\\.0\\.1:${port} for kube-apiserver is in use \\(EADDRINUSE\\)`),
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
