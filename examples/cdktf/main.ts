/**
 * `npx cdktf synth` / `npx cdktf deploy '*'` run this (see cdktf.json): the cdk8s example stack as
 * `kubernetes_manifest` resources in two stacks, `example-crds` then `example`.
 *
 * Environment (all optional):
 * - KUBECONFIG: the kubeconfig the provider reads (default ~/.kube/config);
 * - PLATFORM_CONSTRUCTS_TF_STATE_DIR: keep local state as `<dir>/<stack>.tfstate`
 *   (default `terraform.<stack>.tfstate` in the project root);
 * - PLATFORM_CONSTRUCTS_TF_STATE_NAMESPACE: keep the state in Secrets of that namespace of the
 *   target cluster instead (Terraform's `kubernetes` backend).
 */
import { App } from 'cdktf';
import { StateBackend } from '../../tf.js';
import { ExampleStacks } from './stack.js';

const stateNamespace = process.env.PLATFORM_CONSTRUCTS_TF_STATE_NAMESPACE;
const app = new App();
new ExampleStacks(app, 'example', {
  backend: stateNamespace
    ? StateBackend.kubernetes({ namespace: stateNamespace })
    : StateBackend.local(process.env.PLATFORM_CONSTRUCTS_TF_STATE_DIR),
});
app.synth();
