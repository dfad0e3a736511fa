import { readFileSync } from 'node:fs';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule } from '../../lib/contract/index.js';

/**
 * A module deployed by Terraform, read from what `terraform output -json` printed: nothing
 * deployed here, the outputs validated by {@link ModuleOutputs.fromTerraformOutput} (unknown
 * outputs such as `host` or `url` ignored; sensitive `env` refused).
 */
export class TerraformModule extends Construct implements IModule {
  /** From a file written by `terraform output -json > file`. */
  public static fromFile(scope: Construct, id: string, path: string | URL): TerraformModule {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`TerraformModule ${scope.node.path}/${id}: cannot read ${String(path)}: ${(err as Error).message}`);
    }
    return new TerraformModule(scope, id, text);
  }

  public readonly outputs: ModuleOutputs;

  /** @param json the `terraform output -json` document, as a string or parsed. */
  constructor(scope: Construct, id: string, json: unknown) {
    super(scope, id);
    this.outputs = ModuleOutputs.fromTerraformOutput(id, json);
  }
}
