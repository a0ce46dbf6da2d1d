/**
 * Which keys a (strict) zod object schema knows at a path, and the closest of them to a misspelt key, for the
 * "unknown key — did you mean …?" hint. Walks zod 4's schema definitions (`_zod.def`).
 */
import type { z } from "zod";

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: readonly z.ZodType[];
};

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schemas a value at this level may have to match (more than one below a union). */
function unwrap(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      return def.innerType ? unwrap(def.innerType) : [schema];
    case "pipe":
      return def.in ? unwrap(def.in) : [schema];
    case "union":
      return (def.options ?? []).flatMap(unwrap);
    default:
      return [schema];
  }
}

function children(schema: z.ZodType, segment: string | number): z.ZodType[] {
  return unwrap(schema).flatMap((s) => {
    const def = defOf(s);
    if (def.type === "object") {
      const child = def.shape?.[String(segment)];
      return child ? [child] : [];
    }
    if (def.type === "record" && def.valueType) return [def.valueType];
    if (def.type === "array" && def.element) return [def.element];
    return [];
  });
}

/** Keys known at `path` (object keys, or the union of them for a union of objects), in declaration order. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current = [schema];
  for (const seg of path) current = current.flatMap((s) => children(s, seg as string | number));
  const keys = new Set<string>();
  for (const s of current.flatMap(unwrap)) {
    const def = defOf(s);
    if (def.type === "object" && def.shape) for (const k of Object.keys(def.shape)) keys.add(k);
  }
  return [...keys];
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known key a typo most likely meant: case-insensitive edit distance at most ⅓ of its length (min 2). */
export function closestKey(typo: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(typo.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(typo.length / 3)) ? best : undefined;
}
