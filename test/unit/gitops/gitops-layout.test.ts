import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, App, Chart, Testing } from 'cdk8s';
import { parse } from 'yaml';
import { buildExampleApp } from '../../../examples/cdk8s/app.js';
import { CRDS_FOLDER, GITOPS_HEADER, GitOpsLayout } from '../../../lib/gitops/index.js';

const crd = (plural: string) => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${plural}.example.com` },
  spec: { group: 'example.com', scope: 'Namespaced', names: { kind: plural, plural }, versions: [] },
});

function appWith(charts: Record<string, Array<Record<string, any>>>): App {
  const app = Testing.app();
  for (const [id, objects] of Object.entries(charts)) {
    const chart = new Chart(app, id);
    objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o as never));
  }
  return app;
}

const body = (content: string) => parse(content.slice(GITOPS_HEADER.length));

describe('GitOpsLayout', () => {
  const app = () =>
    appWith({
      Platform: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } },
        crd('widgets'),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'team' } },
      ],
      workers: [
        crd('gadgets'),
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'team' } },
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'reader' }, rules: [] },
      ],
      empty: [],
    });

  it('puts every CRD in a folder of its own, listed first; one folder per chart, in app order', () => {
    const layout = GitOpsLayout.fromApp(app());
    expect(layout.folders).toEqual([CRDS_FOLDER, 'platform', 'workers']);
    expect([...layout.files.keys()]).toEqual([
      'platform/namespace-team.yaml',
      'platform/configmap-team-cfg.yaml',
      'workers/widget-team-w.yaml',
      'workers/clusterrole-reader.yaml',
      '00-crds/customresourcedefinition-widgets.example.com.yaml',
      '00-crds/customresourcedefinition-gadgets.example.com.yaml',
      '00-crds/kustomization.yaml',
      'platform/kustomization.yaml',
      'workers/kustomization.yaml',
      'kustomization.yaml',
    ]);
    expect(body(layout.files.get('kustomization.yaml')!)).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['00-crds', 'platform', 'workers'],
    });
    expect(body(layout.files.get('00-crds/kustomization.yaml')!).resources).toEqual([
      'customresourcedefinition-widgets.example.com.yaml',
      'customresourcedefinition-gadgets.example.com.yaml',
    ]);
    expect(body(layout.files.get('platform/kustomization.yaml')!).resources).toEqual(['namespace-team.yaml', 'configmap-team-cfg.yaml']);
    expect(body(layout.files.get('workers/widget-team-w.yaml')!)).toMatchObject({ kind: 'Widget', metadata: { name: 'w' } });
  });

  it('has no CRD folder when there is no CRD, and can set a namespace per folder', () => {
    const layout = GitOpsLayout.fromApp(appWith({ a: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }] }), { namespace: 'apps' });
    expect(layout.folders).toEqual(['a']);
    expect(body(layout.files.get('a/kustomization.yaml')!)).toMatchObject({ namespace: 'apps', resources: ['configmap-c.yaml'] });
  });

  it('is deterministic, and file names do not depend on construct ids', () => {
    const a = GitOpsLayout.fromApp(app());
    const b = GitOpsLayout.fromApp(app());
    expect([...a.files]).toEqual([...b.files]);
    const example = (outdir?: string) => [...GitOpsLayout.fromApp(buildExampleApp(outdir)).files];
    expect(example()).toEqual(example());
  });

  it('refuses an object defined twice, and two charts mapping to one folder', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'x' } };
    expect(() => GitOpsLayout.fromApp(appWith({ a: [cm], b: [cm] }))).toThrow(/ConfigMap "cfg" in namespace "x" is defined twice \(chart "a" and chart "b"\)/);
    expect(() => GitOpsLayout.fromApp(appWith({ a: [crd('w')], b: [crd('w')] }))).toThrow(/CustomResourceDefinition "w.example.com" is defined twice/);
    expect(() => GitOpsLayout.fromApp(appWith({ 'My App': [], 'my-app': [] }))).toThrow(/both map to the folder "my-app"/);
  });

  describe('write', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gitops-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('writes every file and replaces an earlier layout, dropping files of objects that are gone', () => {
      const out = join(dir, 'out');
      GitOpsLayout.fromApp(app()).write(out);
      expect(readdirSync(out).sort()).toEqual(['00-crds', 'kustomization.yaml', 'platform', 'workers']);
      expect(readFileSync(join(out, 'platform/configmap-team-cfg.yaml'), 'utf8')).toContain('name: cfg');

      GitOpsLayout.fromApp(appWith({ platform: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }] })).write(out);
      expect(readdirSync(out).sort()).toEqual(['kustomization.yaml', 'platform']);
      expect(readdirSync(join(out, 'platform')).sort()).toEqual(['kustomization.yaml', 'namespace-team.yaml']);
    });

    it('refuses to replace a directory it did not write', () => {
      mkdirSync(join(dir, 'repo'));
      writeFileSync(join(dir, 'repo', 'README.md'), 'mine');
      expect(() => GitOpsLayout.fromApp(app()).write(join(dir, 'repo'))).toThrow(/not empty and holds no layout written by platform-constructs/);
      expect(existsSync(join(dir, 'repo', 'README.md'))).toBe(true);
    });
  });
});
