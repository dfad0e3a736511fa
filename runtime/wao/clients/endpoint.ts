/** Checking endpoint URLs and joining paths onto them. */
import { UNDEFINED_HOSTNAME, UNDEFINED_IPV4 } from '../../../lib/api/wao/names.js';
import { EndpointError, safeUrl } from './errors.js';

/**
 * `endpoint` as an http(s) URL, or InvalidEndpoint: not a string, unrendered template text,
 * another scheme, credentials in the URL (they belong in a basic-auth Secret: URLs end up in
 * status and logs), or a host that is a template's fallback for a node without an address.
 */
export function parseEndpoint(endpoint: unknown): URL {
  if (typeof endpoint !== 'string' || endpoint.trim() === '') {
    throw new EndpointError('InvalidEndpoint', 'the endpoint is empty');
  }
  const text = endpoint.trim();
  const shown = safeUrl(text);
  if (text.includes('{{') || text.includes('}}')) {
    throw new EndpointError('InvalidEndpoint', `the endpoint ${shown} contains unrendered template text`, { url: text });
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new EndpointError('InvalidEndpoint', `the endpoint ${shown} is not a URL`, { url: text });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new EndpointError('InvalidEndpoint', `the endpoint ${shown} is not an http(s) URL`, { url: text });
  }
  if (u.username || u.password) {
    throw new EndpointError('InvalidEndpoint', `the endpoint ${shown} has credentials in the URL: use a basic-auth Secret`, { url: text });
  }
  if (!u.hostname) throw new EndpointError('InvalidEndpoint', `the endpoint ${shown} has no host`, { url: text });
  if (isTemplateFallbackHost(u.hostname)) {
    throw new EndpointError('InvalidEndpoint', `the endpoint ${shown} has the template fallback host ${u.hostname} (the node lacks a hostname label or an InternalIP)`, { url: text });
  }
  if (u.hash) u.hash = '';
  return u;
}

/** `x.x.x.x`, `10.0.x.x` (an octet of a node without InternalIP), `undefined.example.com`. */
function isTemplateFallbackHost(host: string): boolean {
  if (host === UNDEFINED_HOSTNAME || host === UNDEFINED_IPV4) return true;
  const labels = host.split('.');
  return labels.length === 4 && labels.every((l) => /^(\d{1,3}|x)$/.test(l)) && labels.includes('x');
}

/**
 * `base` with `path` appended to its path: a path prefix (`https://h/bmc`) and a query are kept,
 * one or more trailing slashes dropped (`https://h/` and `https://h` give the same URL).
 */
export function joinPath(base: URL, path: string): URL {
  const u = new URL(base.href);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  return u;
}
