/**
 * The example stack on CDK Terrain (cdktn, the maintained successor of CDKTF), as a user's
 * project has it: `cdktn` and `platform-constructs/tn` where a cdktf project imports `cdktf` and
 * `platform-constructs/tf`; nothing else changes. Two stacks, `example-crds` then `example`, the
 * objects as `kubectl_manifest` resources; `npx cdktn deploy example-crds example`.
 *
 * This repository installs cdktf, not cdktn, so it does not type-check this file;
 * test/package/consumer-cdktn.test.ts compiles it in a cdktn project (with the packed package),
 * checks that it synthesizes what examples/cdktf does, and deploys it with `cdktn deploy` on a
 * real API server.
 *
 * Environment (optional): KUBECONFIG (default ~/.kube/config); PLATFORM_CONSTRUCTS_TF_STATE_DIR
 * (local state as `<dir>/<stack>.tfstate`).
 */
import { App, TerraformStack } from 'cdktn';
import { isCustomResourceDefinition, KubectlProvider, KubernetesManifests, StateBackend } from '../../tn.js';
import { buildExampleApp } from '../cdk8s/app.js';

const kubeconfig = process.env.KUBECONFIG ?? '~/.kube/config';
const backend = StateBackend.local(process.env.PLATFORM_CONSTRUCTS_TF_STATE_DIR);
const source = buildExampleApp();

const app = new App();
const crds = new TerraformStack(app, 'example-crds');
backend.bind(crds, 'example-crds', kubeconfig);
new KubernetesManifests(crds, 'example', {
  source,
  provider: new KubectlProvider(crds, 'kubectl', { configPath: kubeconfig }),
  select: isCustomResourceDefinition,
});
const workloads = new TerraformStack(app, 'example');
backend.bind(workloads, 'example', kubeconfig);
new KubernetesManifests(workloads, 'example', {
  source,
  provider: new KubectlProvider(workloads, 'kubectl', { configPath: kubeconfig }),
  select: (o) => !isCustomResourceDefinition(o),
});
workloads.addDependency(crds);
app.synth();
