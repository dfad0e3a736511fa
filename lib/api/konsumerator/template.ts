/**
 * What the API server cannot check in a Consumer (its `deploymentTemplate` is kept unstructured)
 * but every managed Deployment needs: containers, each named once and with an image; the
 * containers the spec names (`mainContainer`, `containerPolicies[].containerName`) among them;
 * the template's selector matching its labels. Pure TypeScript, for the construct and the runtime.
 */
import { describeValue, isPlainObject, quote, showValue, ValidationError } from '../../k8s/validation.js';
import { dns1123LabelReason } from '../../k8s/validators.js';
import type { ConsumerSpec, SpecProblem } from './crds.js';
import { KONSUMERATOR_API_VERSION } from './names.js';

const TEMPLATE = '/deploymentTemplate/template';
const CONTAINERS = `${TEMPLATE}/spec/containers`;

/** The container names of a Consumer's pod template, in order (those with a string name). */
export function consumerContainerNames(spec: Pick<ConsumerSpec, 'deploymentTemplate'>): string[] {
  const containers = (spec.deploymentTemplate?.template as { spec?: { containers?: unknown } } | undefined)?.spec?.containers;
  if (!Array.isArray(containers)) return [];
  return containers.flatMap((c) => (isPlainObject(c) && typeof c.name === 'string' ? [c.name] : []));
}

/**
 * The problems of a schema-valid Consumer spec that only show when its Deployments are made, as
 * JSON pointers under the spec: `deploymentTemplate.template.spec.containers` missing or empty, a
 * container without a valid, unique name or without an image, a `containerPolicies[].containerName`
 * or `mainContainer` that names no container, a `selector.matchLabels` entry the template's labels
 * lack. Empty when the spec is fine.
 */
export function consumerTemplateProblems(spec: ConsumerSpec): SpecProblem[] {
  const out: SpecProblem[] = [];
  const template = spec.deploymentTemplate.template as Record<string, unknown>;
  const podSpec = template.spec;
  if (!isPlainObject(podSpec)) {
    out.push({ pointer: `${TEMPLATE}/spec`, reason: `must be a pod spec with containers, not ${describeValue(podSpec)}` });
    return out;
  }
  const containers = podSpec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    out.push({ pointer: CONTAINERS, reason: `must be a non-empty list of containers, not ${describeValue(containers)}` });
    return out;
  }
  const seen = new Set<string>();
  containers.forEach((c, i) => {
    if (!isPlainObject(c)) {
      out.push({ pointer: `${CONTAINERS}/${i}`, reason: `must be a container object, not ${describeValue(c)}` });
      return;
    }
    const bad = dns1123LabelReason(c.name as string);
    if (bad) out.push({ pointer: `${CONTAINERS}/${i}/name`, reason: c.name === undefined ? 'is required' : bad });
    else if (seen.has(c.name as string)) out.push({ pointer: `${CONTAINERS}/${i}/name`, reason: `${quote(c.name as string)} is the name of an earlier container` });
    else seen.add(c.name as string);
    if (typeof c.image !== 'string' || c.image.trim() === '') out.push({ pointer: `${CONTAINERS}/${i}/image`, reason: c.image === undefined ? 'is required' : `must be an image reference, not ${describeValue(c.image)}` });
  });
  const names = [...seen];
  const known = names.map((n) => quote(n)).join(', ');
  (spec.resourcePolicy?.containerPolicies ?? []).forEach((p, i) => {
    if (!seen.has(p.containerName)) {
      out.push({ pointer: `/resourcePolicy/containerPolicies/${i}/containerName`, reason: `${quote(p.containerName)} is not a container of deploymentTemplate.template (${known})` });
    }
  });
  if (spec.mainContainer !== undefined && !seen.has(spec.mainContainer)) {
    out.push({ pointer: '/mainContainer', reason: `${quote(spec.mainContainer)} is not a container of deploymentTemplate.template (${known})` });
  }
  const matchLabels: unknown = spec.deploymentTemplate.selector?.matchLabels;
  if (isPlainObject(matchLabels)) {
    const metadata = template.metadata;
    const labels = isPlainObject(metadata) && isPlainObject(metadata.labels) ? metadata.labels : {};
    for (const [k, v] of Object.entries(matchLabels)) {
      if (labels[k] !== v) {
        out.push({ pointer: `/deploymentTemplate/selector/matchLabels/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, reason: `the template's labels must hold ${k}: ${showValue(v)} (the Deployment's selector must match its pods)` });
      }
    }
  }
  return out;
}

/**
 * Throws the first of {@link consumerTemplateProblems} as a ValidationError naming the field
 * (`/spec/mainContainer`); returns the spec when there is none.
 */
export function checkConsumerTemplate(spec: ConsumerSpec, opts: { readonly source?: string } = {}): ConsumerSpec {
  const [first, ...more] = consumerTemplateProblems(spec);
  if (first) throw new ValidationError(opts.source ?? `Consumer (${KONSUMERATOR_API_VERSION})`, `/spec${first.pointer}`, `${first.reason}${more.length ? ` (and ${more.length} more)` : ''}`);
  return spec;
}
