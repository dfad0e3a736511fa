/** The one error the WAO clients throw, with a reason the controller can put in a condition. */

/**
 * Why a call to an endpoint failed. `InvalidEndpoint` also covers invalid call arguments (a
 * type the method does not serve, an empty node name, a non-finite input, a bad timeout).
 */
export type EndpointFailureReason =
  | 'InvalidEndpoint'
  | 'Timeout'
  | 'ConnectionFailed'
  | 'TLSFailed'
  | 'Unauthorized'
  | 'HTTPStatus'
  | 'NotJSON'
  | 'MalformedResponse'
  | 'SensorNotFound'
  | 'ResponseTooLarge';

/** Messages stay short: they end up in status conditions and Events. */
const MAX_MESSAGE = 300;
const MAX_URL = 160;

/**
 * A failed call: `reason` says what kind of failure, `url` which request (without credentials),
 * `status` the HTTP status when there was one. The message is short and human, names the URL
 * and never contains credentials.
 */
export class EndpointError extends Error {
  readonly reason: EndpointFailureReason;
  readonly url?: string;
  readonly status?: number;

  constructor(reason: EndpointFailureReason, message: string, opts: { readonly url?: string; readonly status?: number; readonly cause?: unknown } = {}) {
    super(clip(message, MAX_MESSAGE), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'EndpointError';
    this.reason = reason;
    if (opts.url !== undefined) this.url = safeUrl(opts.url);
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** `url` without user info, cut to a length that fits a message. Never throws. */
export function safeUrl(url: string): string {
  let out = url;
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    out = u.href;
  } catch {
    // Not a URL: drop anything that looks like user info before the host.
    out = url.replace(/\/\/[^/@\s]*@/, '//');
  }
  return clip(out, MAX_URL);
}

/** Cuts `s` to `max` characters (with an ellipsis) and flattens whitespace. */
export function clip(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * A copy of `err` whose message has every secret replaced (a server may echo what it was sent),
 * or `err` itself when none occurs.
 */
export function redact(err: EndpointError, secrets: readonly (string | undefined)[]): EndpointError {
  let message = err.message;
  for (const s of secrets) if (s && s.length >= 3) message = message.split(s).join('***');
  if (message === err.message) return err;
  return new EndpointError(err.reason, message, { ...(err.url !== undefined ? { url: err.url } : {}), ...(err.status !== undefined ? { status: err.status } : {}) });
}
