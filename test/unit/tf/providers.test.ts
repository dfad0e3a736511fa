import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiObject, Chart, Testing as Cdk8sTesting } from 'cdk8s';
import { App as TfApp, TerraformStack, Testing as TfTesting } from 'cdktf';
import { HashicorpKubernetesProvider, KubectlProvider, KubernetesManifests, ManifestEngine } from '../../../lib/tf/index.js';

function chart(): Chart {
  const c = new Chart(Cdk8sTesting.app(), 'c');
  new ApiObject(c, 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'ns' }, data: { a: 'b' } });
  return c;
}

describe('providers through the core library', () => {
  it('declares alekc/kubectl by its full source address, with only the arguments given', () => {
    const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
    new KubectlProvider(stack, 'kubectl', { configPath: '/k/config', configContext: 'prod', applyRetryCount: 2, alias: 'prod' });
    const json = JSON.parse(TfTesting.synth(stack));
    expect(json.terraform.required_providers.kubectl).toEqual({ source: 'registry.terraform.io/alekc/kubectl', version: '>= 2.1.0, < 3.0.0' });
    expect(json.provider.kubectl).toEqual([{ alias: 'prod', config_path: '/k/config', config_context: 'prod', apply_retry_count: 2 }]);
  });

  it('declares hashicorp/kubernetes for the kubernetesManifest engine, version overridable', () => {
    const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
    new HashicorpKubernetesProvider(stack, 'kubernetes', { host: 'https://k8s:6443', token: 't', version: '~> 3.0' });
    const json = JSON.parse(TfTesting.synth(stack));
    expect(json.terraform.required_providers.kubernetes).toEqual({ source: 'registry.terraform.io/hashicorp/kubernetes', version: '~> 3.0' });
    expect(json.provider.kubernetes).toEqual([{ host: 'https://k8s:6443', token: 't' }]);
  });

  it('refuses a provider of the other engine, naming the field', () => {
    const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
    const kubernetes = new HashicorpKubernetesProvider(stack, 'kubernetes');
    expect(() => new KubernetesManifests(stack, 'm', { source: chart(), provider: kubernetes })).toThrow(
      /KubernetesManifests s\/m: provider: kubectl_manifest resources need a "kubectl" provider .*"kubernetes"/,
    );
    expect(() => new KubernetesManifests(stack, 'n', { source: chart(), provider: kubernetes, engine: ManifestEngine.kubernetesManifest() })).not.toThrow();
  });

  it('takes back fields changed by hand unless told not to (server-side apply force)', () => {
    const synth = (engine: ManifestEngine) => {
      const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
      new KubernetesManifests(stack, 'm', { source: chart(), engine, fieldManager: 'team-a' });
      return JSON.parse(TfTesting.synth(stack)).resource;
    };
    expect(synth(ManifestEngine.kubectl()).kubectl_manifest.m_configmap_ns_cfg).toMatchObject({ server_side_apply: true, field_manager: 'team-a', force_conflicts: true, wait_for_rollout: false });
    expect(synth(ManifestEngine.kubectl({ forceConflicts: false, waitForRollout: true })).kubectl_manifest.m_configmap_ns_cfg).toMatchObject({ force_conflicts: false, wait_for_rollout: true });
    expect(synth(ManifestEngine.kubernetesManifest()).kubernetes_manifest.m_configmap_ns_cfg.field_manager).toEqual({ name: 'team-a', force_conflicts: true });
    expect(synth(ManifestEngine.kubernetesManifest({ forceConflicts: false })).kubernetes_manifest.m_configmap_ns_cfg.field_manager).toEqual({ name: 'team-a', force_conflicts: false });
  });

  it('refuses an empty field manager', () => {
    const stack = new TerraformStack(TfTesting.app() as TfApp, 's');
    expect(() => new KubernetesManifests(stack, 'm', { source: chart(), fieldManager: ' ' })).toThrow(/fieldManager: give a non-empty field manager name/);
  });

  it.each([ManifestEngine.kubectl(), ManifestEngine.kubernetesManifest()])('synthesizes HCL too (cdktf synth --hcl), engine %#', (engine) => {
    const outdir = mkdtempSync(join(tmpdir(), 'tf-hcl-'));
    // What `cdktf synth --hcl` sets for the app it runs.
    process.env.SYNTH_HCL_OUTPUT = 'true';
    try {
      const app = new TfApp({ outdir });
      const stack = new TerraformStack(app, 's');
      const provider = engine.providerName === 'kubectl' ? new KubectlProvider(stack, 'kubectl', { configPath: '/k' }) : new HashicorpKubernetesProvider(stack, 'kubernetes', { configPath: '/k' });
      new KubernetesManifests(stack, 'm', { source: chart(), engine, provider });
      app.synth();
      const dir = join(outdir, 'stacks', 's');
      const hcl = readdirSync(dir).filter((f) => f.endsWith('.tf')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
      expect(existsSync(join(dir, 'cdk.tf'))).toBe(true);
      expect(hcl).not.toContain('"resource"'); // HCL, not JSON
      expect(hcl).toContain(`resource "${engine.resourceType}" "m_configmap_ns_cfg"`);
      expect(hcl).toMatch(/config_path\s*=\s*"\/k"/);
      expect(hcl).toContain(engine.providerName === 'kubectl' ? 'yaml_body' : 'manifest');
      expect(hcl).toContain('cfg');
    } finally {
      delete process.env.SYNTH_HCL_OUTPUT;
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
