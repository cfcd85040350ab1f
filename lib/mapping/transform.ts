/*
 * Declarative value transforms, applied to a rendered value before type coercion (never code strings in a spec):
 *
 *   trim | lower | upper            text only (other values pass unchanged)
 *   { split: ";" }                  text → list of texts (then use cardinality list/set)
 *   { lookup: { DE: Germany } }     a value not in the map becomes missing (then `default` / `required` apply)
 *
 * Steps run in the order given; on a list each step applies to every item (split flattens). Locale decimals and date
 * patterns are coercion options (coerce.ts), not steps: they belong to the declared type.
 */
import { isObject } from '../object';

export type TransformStep = 'trim' | 'lower' | 'upper' | { split: string } | { lookup: Record<string, unknown> };
export type Transform = (v: unknown) => unknown;

export const NAMED_STEPS = ['trim', 'lower', 'upper'] as const;

export class TransformSpecError extends Error {}

function perItem(f: (s: unknown) => unknown): Transform {
  return (v) => (Array.isArray(v) ? v.map(f) : f(v));
}

function compileStep(step: unknown): Transform {
  switch (step) {
    case 'trim':
      return perItem((s) => (typeof s === 'string' ? s.trim() : s));
    case 'lower':
      return perItem((s) => (typeof s === 'string' ? s.toLowerCase() : s));
    case 'upper':
      return perItem((s) => (typeof s === 'string' ? s.toUpperCase() : s));
  }
  if (isObject(step) && Object.keys(step).length === 1 && 'split' in step) {
    const sep = step.split;
    if (typeof sep !== 'string' || sep === '')
      throw new TransformSpecError('split needs a non-empty separator text, e.g. { split: ";" }');
    const one = (s: unknown) => (typeof s === 'string' ? (s === '' ? [] : s.split(sep)) : [s]);
    return (v) => (Array.isArray(v) ? v.flatMap(one) : one(v));
  }
  if (isObject(step) && Object.keys(step).length === 1 && 'lookup' in step) {
    const map = step.lookup;
    if (!isObject(map))
      throw new TransformSpecError('lookup needs a map of value → replacement, e.g. { lookup: { DE: Germany } }');
    const table = new Map<string, unknown>(Object.entries(map));
    const one = (s: unknown) =>
      s === undefined || s === null ? undefined : table.get(typeof s === 'string' ? s : String(s));
    return (v) => (Array.isArray(v) ? v.map(one).filter((x) => x !== undefined) : one(v));
  }
  throw new TransformSpecError(
    `unknown transform ${JSON.stringify(step)} (expected trim, lower, upper, { split: "," } or { lookup: { ... } })`,
  );
}

/** Compiles a list of steps into one function; throws TransformSpecError naming the bad step. */
export function compileTransform(steps: unknown): Transform {
  const list = Array.isArray(steps) ? steps : [steps];
  if (list.length === 0) throw new TransformSpecError('transform needs at least one step');
  const fs = list.map((s, i) => {
    try {
      return compileStep(s);
    } catch (e) {
      if (e instanceof TransformSpecError && list.length > 1)
        throw new TransformSpecError(`step ${i + 1}: ${e.message}`);
      throw e;
    }
  });
  if (fs.length === 1) return fs[0];
  return (v) => {
    let x = v;
    for (let i = 0; i < fs.length && x !== undefined && x !== null; i++) x = fs[i](x);
    return x;
  };
}
