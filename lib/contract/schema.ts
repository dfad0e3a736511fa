import { Ajv, type ErrorObject } from 'ajv';
import { pointerSegment, valueAtPointer } from '../k8s/json-pointer.js';
import { describeValue } from '../k8s/validation.js';
import { ModuleOutputsError } from './errors.js';
import { K8S_RULES, type K8sRule } from './rules.js';

/** A string checked by one of the Kubernetes rules. */
const str = (rule: K8sRule) => ({ type: 'string', k8s: rule });

const item = {
  type: 'object',
  additionalProperties: false,
  required: ['field'],
  properties: { field: str('configKey'), mode: { type: ['string', 'integer'], k8s: 'fileMode' } },
};

const objectMount = (refField: 'configmap' | 'secret') => ({
  type: 'object',
  additionalProperties: false,
  required: [refField, 'path'],
  properties: {
    [refField]: str('dnsSubdomain'),
    path: str('absolutePath'),
    subpath: str('relativePath'),
    sub_path: str('relativePath'),
    mode: { type: ['string', 'integer'], k8s: 'fileMode' },
    items: { type: 'object', propertyNames: { k8s: 'itemPath' }, additionalProperties: item },
  },
});

const keyRef = (refField: 'configmap' | 'secret') => ({
  type: 'object',
  additionalProperties: false,
  required: [refField, 'field'],
  properties: { [refField]: str('dnsSubdomain'), field: str('configKey') },
});

const envName = { k8s: 'envName' };

/**
 * The JSON Schema of one module's outputs in their snake_case form (HCL and `terraform output`).
 * Outputs other than the nine are ignored (modules also export `host`, `url`, ...).
 */
export const MODULE_OUTPUTS_SCHEMA = {
  $id: 'https://platform-constructs/module-outputs.json',
  type: 'object',
  properties: {
    env: {
      type: 'object',
      propertyNames: envName,
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    env_configmap: { type: 'array', items: str('dnsSubdomain') },
    env_secret: { type: 'array', items: str('dnsSubdomain') },
    env_from_configmap: { type: 'object', propertyNames: envName, additionalProperties: keyRef('configmap') },
    env_from_secret: { type: 'object', propertyNames: envName, additionalProperties: keyRef('secret') },
    mount_configmap: { type: 'object', additionalProperties: objectMount('configmap') },
    mount_secret: { type: 'object', additionalProperties: objectMount('secret') },
    mount_volume: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: str('absolutePath'),
          subpath: str('relativePath'),
          sub_path: str('relativePath'),
          read_only: { type: 'boolean' },
          claim_name: str('dnsSubdomain'),
          nfs: {
            type: 'object',
            additionalProperties: false,
            required: ['server', 'path'],
            properties: { server: str('nonEmpty'), path: str('absolutePath') },
          },
          empty_dir: {
            type: 'object',
            additionalProperties: false,
            properties: { medium: { enum: ['', 'Memory'] }, size_limit: str('quantity') },
          },
        },
      },
    },
    mount_volume_claim: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'size'],
        properties: {
          path: str('absolutePath'),
          subpath: str('relativePath'),
          sub_path: str('relativePath'),
          read_only: { type: 'boolean' },
          size: str('positiveQuantity'),
          storage_class: str('dnsSubdomain'),
          access_modes: {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] },
          },
        },
      },
    },
  },
} as const;

function compile() {
  const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
  ajv.addKeyword({
    keyword: 'k8s',
    schemaType: 'string',
    errors: true,
    validate: function check(rule: K8sRule, data: unknown) {
      if (typeof data !== 'string' && typeof data !== 'number') return true; // `type` reports it
      const reason = (K8S_RULES[rule] as (v: string | number) => string | undefined)(data);
      if (reason === undefined) return true;
      (check as unknown as { errors: Partial<ErrorObject>[] }).errors = [{ keyword: 'k8s', message: reason, params: { rule } }];
      return false;
    },
  });
  return ajv.compile(MODULE_OUTPUTS_SCHEMA);
}

/**
 * Compiled once per process, on first use: validation is on every module's path, and compiling
 * at import would cost every importer (about 60 ms) whether it validates or not.
 */
let compiled: ReturnType<typeof compile> | undefined;

/** Validates a module's snake_case outputs; throws a {@link ModuleOutputsError} naming module and pointer. */
export function validateModuleOutputs(module: string, outputs: unknown): void {
  const validate = (compiled ??= compile());
  if (validate(outputs)) return;
  const error = validate.errors![0];
  const [at, reason] = describe(error, outputs);
  // A rule broken by a map key (`propertyNames`) points at the key itself.
  const names = validate.errors!.find((e) => e.keyword === 'propertyNames');
  const key = names ? String((names.params as { propertyName: string }).propertyName) : undefined;
  const path = key !== undefined && error.keyword !== 'propertyNames' ? `${at}/${pointerSegment(key)}` : at;
  throw new ModuleOutputsError(module, path, reason);
}

function describe(e: ErrorObject, root: unknown): [string, string] {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return [
        `${e.instancePath}/${pointerSegment(String(params.additionalProperty))}`,
        `unknown field "${params.additionalProperty}"`,
      ];
    case 'required':
      return [e.instancePath, `missing required field "${params.missingProperty}"`];
    case 'propertyNames':
      return [`${e.instancePath}/${pointerSegment(String(params.propertyName))}`, e.message ?? 'invalid name'];
    case 'type':
      return [e.instancePath, `must be ${typeWords(String(params.type))}, not ${describeValue(valueAtPointer(root, e.instancePath))}`];
    case 'enum':
      return [e.instancePath, `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`];
    default:
      return [e.instancePath, e.message ?? e.keyword];
  }
}

function typeWords(types: string): string {
  const words = types.split(',').map((t) => (t === 'object' ? 'an object' : t === 'array' ? 'a list' : `a ${t}`));
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0];
}
