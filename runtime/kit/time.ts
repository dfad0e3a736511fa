/** Kubernetes' timestamp format (RFC 3339 in UTC, whole seconds), as metav1.Time serializes. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
