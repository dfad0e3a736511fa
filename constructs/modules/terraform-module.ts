import { readFileSync } from 'node:fs';
import { Construct } from 'constructs';
import { ModuleOutputs, type IModule, type ModuleEndpointProps } from '../../lib/contract/index.js';
import { parseJsonText } from '../../lib/contract/parse.js';
import { ValidationError } from '../../lib/k8s/validation.js';

/** Options of {@link TerraformModule}. */
export interface TerraformModuleOptions {
  /** Where its consumers connect, e.g. `[{ cidrs: ['10.0.8.0/24'], ports: [{ port: 27017 }] }]`. @default none (nothing reached over the network) */
  readonly endpoints?: readonly ModuleEndpointProps[];
}

/**
 * A module deployed by Terraform, read from what `terraform output -json` printed: nothing
 * deployed here, the outputs validated by {@link ModuleOutputs.fromTerraformOutput} (unknown
 * outputs such as `host` or `url` ignored; sensitive `env` refused). Reached over the network
 * (a database, not a volume the kubelet mounts), it declares where with `endpoints`, for the
 * NetworkPolicies of its consumers.
 */
export class TerraformModule extends Construct implements IModule {
  /** From a file written by `terraform output -json > file`. */
  public static fromFile(scope: Construct, id: string, path: string | URL, options: TerraformModuleOptions = {}): TerraformModule {
    const where = `TerraformModule ${scope.node.path}/${id}`;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ValidationError(where, 'path', `cannot read ${String(path)}: ${(err as Error).message}`, String(path));
    }
    // Parsed here so that a syntax error or a byte-order mark names the file, not only the module.
    return new TerraformModule(scope, id, parseJsonText(id, text, `the output of \`terraform output -json\` in ${String(path)}`), options);
  }

  public readonly outputs: ModuleOutputs;

  /** @param json the `terraform output -json` document, as a string or parsed. */
  constructor(scope: Construct, id: string, json: unknown, options: TerraformModuleOptions = {}) {
    super(scope, id);
    const outputs = ModuleOutputs.fromTerraformOutput(id, json);
    this.outputs = options.endpoints === undefined ? outputs : outputs.withEndpoints(options.endpoints, id);
  }
}
