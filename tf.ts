/**
 * platform-constructs/tf: cdk8s charts deployed by cdktf, one resource per object
 * (KubernetesManifests, with the kubectl_manifest or kubernetes_manifest engine), module outputs
 * known only to Terraform (TerraformModuleOutputs), and state backends. Needs the optional peer
 * cdktf. `platform-constructs/tn` is the same API on CDK Terrain (peer cdktn), built from these
 * sources.
 */
export * from './lib/tf/index.js';
