import type { Construct } from 'constructs';
import { TerraformResource, type TerraformMetaArguments } from './core.js';
import type { ResourceAttribute } from './manifest-engine.js';

/**
 * A resource of any provider, written from its attributes through the core library alone: no
 * generated provider bindings, so the same code runs on cdktf and on CDK Terrain.
 */
export class AttributesResource extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    type: string,
    providerName: string,
    private readonly attributes: Record<string, ResourceAttribute>,
    meta: TerraformMetaArguments,
  ) {
    super(scope, id, { terraformResourceType: type, terraformGeneratorMetadata: { providerName }, ...meta });
  }

  protected override synthesizeAttributes(): { [name: string]: any } {
    return Object.fromEntries(Object.entries(this.attributes).map(([k, a]) => [k, a.value]));
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    return Object.fromEntries(Object.entries(this.attributes).map(([k, a]) => [k, { isBlock: false, ...a }]));
  }
}
