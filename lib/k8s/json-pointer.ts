/** JSON pointers (RFC 6901), as error messages name the place of a bad value. Pure TypeScript. */

/** Escapes one JSON pointer segment: `~` as `~0`, `/` as `~1`. */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON pointer from segments: `pointer('mount_secret', 'a/b')` is `/mount_secret/a~1b`. */
export function pointer(...segments: Array<string | number>): string {
  return segments.map((s) => `/${pointerSegment(s)}`).join('');
}

/** The unescaped segments of a JSON pointer (`''` is the whole document: no segment). */
export function pointerSegments(ptr: string): string[] {
  return ptr === '' ? [] : ptr.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value a JSON pointer names inside `root`, or undefined. */
export function valueAtPointer(root: unknown, ptr: string): unknown {
  let node: unknown = root;
  for (const seg of pointerSegments(ptr)) node = (node as Record<string, unknown> | undefined)?.[seg];
  return node;
}
