/**
 * The one import of the CDK for Terraform core library in lib/tf. `platform-constructs/tf` is
 * built against `cdktf` (0.21); `platform-constructs/tn` is the same code built against `cdktn`
 * (CDK Terrain, the maintained fork with the same API): the build copies lib/tf and rewrites the
 * module name in this file only (scripts/build.ts checks no other file names it).
 */
export {
  LocalBackend, TerraformBackend, TerraformProvider, TerraformResource, Token,
} from 'cdktf';
export type {
  ITerraformDependable, TerraformMetaArguments, TerraformProviderConfig, TerraformRemoteState, TerraformResourceLifecycle, TerraformStack,
} from 'cdktf';
