/*
 * A small validator for the JSON Schema subset the pack's schemas use (schema/*.schema.json): type, required,
 * additionalProperties, properties, propertyNames, items, anyOf, enum, const, pattern, minimum, minLength, maxLength,
 * minItems, minProperties and $ref to #/$defs. One piece of code for the spec loader's first check and for the tests
 * of the change set schema; no schema library at runtime. Errors carry the path, so editors can place a marker.
 */

import type { JsonObject } from './object';

export type Schema = JsonObject;
export interface SchemaError {
  path: Array<string | number>;
  message: string;
}

const SUPPORTED = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  '$defs',
  '$ref',
  'type',
  'required',
  'additionalProperties',
  'properties',
  'propertyNames',
  'items',
  'anyOf',
  'enum',
  'const',
  'pattern',
  'minimum',
  'minLength',
  'maxLength',
  'minItems',
  'minProperties',
  'default',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const show = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
};

export class SchemaValidator {
  private readonly patterns = new Map<string, RegExp>();
  constructor(private readonly root: Schema) {}

  validate(v: unknown): SchemaError[] {
    const out: SchemaError[] = [];
    this.check(this.root, v, [], out);
    return out;
  }

  private resolve(s: Schema): Schema {
    while (s.$ref) s = this.root.$defs[String(s.$ref).replace('#/$defs/', '')];
    return s;
  }

  private typeMatches(s: Schema, v: unknown): boolean {
    s = this.resolve(s);
    if (s.anyOf) return s.anyOf.some((x: Schema) => this.typeMatches(x, v));
    if (s.enum) return s.enum.includes(v);
    if (!s.type) return true;
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    return types.includes(t) || (t === 'integer' && types.includes('number'));
  }

  private check(s: Schema, v: unknown, path: Array<string | number>, out: SchemaError[]): void {
    for (const k of Object.keys(s))
      if (!SUPPORTED.has(k)) throw new Error(`the schema validator does not support keyword ${k}`);
    if (s.$ref) {
      this.check(this.resolve(s), v, path, out);
      return;
    }
    if (s.anyOf) {
      this.anyOf(s.anyOf, v, path, out);
      return;
    }
    if (s.type) {
      const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
      const t = typeOf(v);
      if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) {
        out.push({
          path,
          message: `must be ${types.map((x) => (x === 'object' ? 'a map' : x === 'array' ? 'a list' : `a ${x}`)).join(' or ')}, not ${t === 'object' ? 'a map' : t === 'array' ? 'a list' : t}`,
        });
        return;
      }
    }
    if (s.const !== undefined && v !== s.const) out.push({ path, message: `must be ${show(s.const)}` });
    if (s.enum && !s.enum.includes(v))
      out.push({ path, message: `unknown value ${show(v)} (expected one of ${s.enum.join(', ')})` });
    if (typeof v === 'string') {
      if (s.pattern) {
        let re = this.patterns.get(s.pattern);
        if (!re) {
          re = new RegExp(s.pattern);
          this.patterns.set(s.pattern, re);
        }
        if (!re.test(v))
          out.push({
            path,
            message: `${show(v)} does not match ${s.pattern}${s.description ? ` (${s.description})` : ''}`,
          });
      }
      if (s.minLength !== undefined && v.length < s.minLength)
        out.push({ path, message: `must have at least ${s.minLength} character(s)` });
      if (s.maxLength !== undefined && v.length > s.maxLength)
        out.push({ path, message: `must have at most ${s.maxLength} character(s)` });
    }
    if (typeof v === 'number' && s.minimum !== undefined && v < s.minimum)
      out.push({ path, message: `must be at least ${s.minimum}` });
    if (Array.isArray(v)) {
      if (s.minItems !== undefined && v.length < s.minItems)
        out.push({ path, message: `must have at least ${s.minItems} item(s)` });
      if (s.items) v.forEach((x, i) => this.check(s.items, x, [...path, i], out));
    }
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      for (const r of s.required ?? []) if (!(r in o)) out.push({ path, message: `"${r}" is required` });
      if (s.minProperties !== undefined && Object.keys(o).length < s.minProperties)
        out.push({ path, message: `must have at least ${s.minProperties} entr${s.minProperties === 1 ? 'y' : 'ies'}` });
      for (const [k, x] of Object.entries(o)) {
        if (s.propertyNames) {
          const nameErrors: SchemaError[] = [];
          this.check(s.propertyNames, k, [...path, k], nameErrors);
          for (const e of nameErrors) out.push({ path: e.path, message: `name ${e.message}` });
        }
        if (s.properties?.[k]) this.check(s.properties[k], x, [...path, k], out);
        else if (s.additionalProperties === false)
          out.push({
            path: [...path, k],
            message: `unknown field "${k}" (expected one of ${Object.keys(s.properties ?? {}).join(', ')})`,
          });
        else if (typeof s.additionalProperties === 'object') this.check(s.additionalProperties, x, [...path, k], out);
      }
    }
  }

  /** anyOf: valid when one branch is; otherwise the errors of the branch the value was most likely meant for. */
  private anyOf(branches: Schema[], v: unknown, path: Array<string | number>, out: SchemaError[]): void {
    const results = branches.map((b) => {
      const e: SchemaError[] = [];
      this.check(b, v, path, e);
      return e;
    });
    if (results.some((e) => e.length === 0)) return;
    // Meant for: a branch of the value's type, and among maps the one whose required keys the value has.
    let candidates = branches.map((b, i) => i).filter((i) => this.typeMatches(branches[i], v));
    if (typeOf(v) === 'object' && candidates.length > 1) {
      const has = candidates.filter((i) =>
        (this.resolve(branches[i]).required ?? []).every((r: string) => r in (v as object)),
      );
      if (has.length) candidates = has;
    }
    if (candidates.length === 1) {
      out.push(...results[candidates[0]]);
      return;
    }
    const described = branches.map((b) => this.resolve(b).description).find(Boolean);
    out.push({ path, message: `${show(v)} is not an allowed form${described ? `: ${described}` : ''}` });
  }
}
