import { ValidationError } from '../k8s/validation.js';

/**
 * The one error type of the contract. `module` names the source of the bad value and `path`
 * is a JSON pointer into that module's outputs (snake_case, as Terraform writes them), e.g.
 * `/mount_secret/certificate/mode`. A merge conflict also names the other module.
 */
export class ModuleOutputsError extends ValidationError {
  /** The module whose output is wrong (for a conflict: the later of the two). */
  public readonly module: string;
  /** JSON pointer to the offending value inside the module's outputs. */
  public readonly path: string;
  /** For a conflict: the earlier module that set the same thing. */
  public readonly conflictsWith?: string;

  constructor(module: string, path: string, reason: string, conflictsWith?: string) {
    const who = conflictsWith === undefined ? `module "${module}"` : `modules "${conflictsWith}" and "${module}"`;
    super(who, path || '/', reason);
    this.name = 'ModuleOutputsError';
    this.module = module;
    this.path = path;
    this.conflictsWith = conflictsWith;
  }
}
