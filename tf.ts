/**
 * platform-constructs/tf: cdk8s charts deployed by cdktf as `kubernetes_manifest` resources
 * (KubernetesManifests), module outputs known only to Terraform (TerraformModuleOutputs), and
 * state backends. Needs the optional peers cdktf and @cdktf/provider-kubernetes.
 */
export * from './lib/tf/index.js';
