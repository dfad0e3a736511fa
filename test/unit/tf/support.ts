/** The object resources of a synthesized stack, either engine, with each object as `manifest`. */
export function manifestResources(stackJson: string): Record<string, { manifest: any; depends_on?: string[]; [attribute: string]: any }> {
  const resources = (JSON.parse(stackJson).resource ?? {}) as Record<string, Record<string, any>>;
  const out: Record<string, { manifest: any; depends_on?: string[] }> = { ...(resources.kubernetes_manifest ?? {}) };
  // yaml_body is JSON text; Terraform template escapes (`$${`) are plain characters to JSON.
  for (const [id, r] of Object.entries(resources.kubectl_manifest ?? {})) out[id] = { ...r, manifest: JSON.parse(r.yaml_body) };
  return out;
}
