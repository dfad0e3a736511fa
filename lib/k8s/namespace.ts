import { Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';
import { checkDns1123Label } from './validators.js';
import { ValidationError } from './validation.js';

/**
 * The namespace of a construct's objects: its `namespace` prop, else its chart's; checked to be
 * a DNS-1123 label. Errors are {@link ValidationError}s of `source` (the construct path, or
 * `<Kind> <path>`) and field `namespace`.
 *
 * (Uses cdk8s's `Chart`: the runtime cannot import this file; the checks it makes are in
 * `validators.ts`.)
 */
export function resolveNamespace(scope: IConstruct, source: string, namespace?: string): string {
  const ns = namespace ?? Chart.of(scope).namespace;
  if (!ns) throw new ValidationError(source, 'namespace', 'not given and the chart has no namespace', ns);
  return checkDns1123Label(source, 'namespace', ns);
}
