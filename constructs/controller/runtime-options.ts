import { FlagError, parseFlags, renderFlags, type FlagInputOf, type FlagSpec, type FlagValuesOf } from '../../lib/api/flags.js';
import { ValidationError } from '../../lib/k8s/validation.js';

export interface RuntimeOptionsCheck<S extends readonly FlagSpec[], O> {
  /** The controller's own flag values, as the construct renders them. */
  readonly args: FlagInputOf<S>;
  readonly metricsPort: number;
  /** The controller's namespace (`--namespace` comes from the pod's env). */
  readonly namespace: string;
  /** The runtime's `optionsFromFlags`. */
  readonly toOptions: (values: FlagValuesOf<S>) => O;
  /** The construct prop each flag comes from, to name it in an error. */
  readonly propOfFlag: Readonly<Record<string, string>>;
}

/**
 * What the runtime will make of a construct's args: they are rendered, parsed and turned into
 * options exactly as the controller does at start, so a value the runtime refuses is refused at
 * synth time, naming the construct's prop (`workers`, not `--workers`).
 */
export function checkRuntimeOptions<const S extends readonly FlagSpec[], O>(where: string, spec: S, c: RuntimeOptionsCheck<S, O>): O {
  try {
    const rendered = renderFlags(spec, { ...c.args, 'metrics-port': c.metricsPort } as FlagInputOf<S>);
    return c.toOptions(parseFlags(spec, rendered, { NAMESPACE: c.namespace }).values as FlagValuesOf<S>);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    throw new ValidationError(where, c.propOfFlag[err.flag] ?? `args.${err.flag}`, err.reason);
  }
}
