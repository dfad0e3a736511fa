import { K8S_RULE_SCHEMAS, type K8sRule } from './rules.js';
import { MODULE_OUTPUTS_SCHEMA } from './schema.js';

/** Replaces every `k8s: <rule>` keyword by the rule's standard keywords, keeping a description of it. */
function standardize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(standardize);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'k8s') {
      out.description = `Kubernetes rule: ${value}`;
      Object.assign(out, K8S_RULE_SCHEMAS[value as K8sRule]);
    } else {
      out[key] = standardize(value);
    }
  }
  return out;
}

/**
 * The contract's JSON Schema (one module's snake_case outputs) in standard draft-07 keywords, for
 * validators other than this library's: a Terraform module's CI can check its outputs with it.
 * Published as `platform-constructs/module-outputs.schema.json`. The library itself validates with
 * {@link MODULE_OUTPUTS_SCHEMA}, whose `k8s` keyword gives messages that name the rule.
 */
export const MODULE_OUTPUTS_JSON_SCHEMA: Readonly<Record<string, unknown>> = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  ...(standardize(MODULE_OUTPUTS_SCHEMA) as Record<string, unknown>),
};
