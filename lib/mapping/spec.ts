/*
 * Mapping specs: parsing (YAML or JSON text, or an already parsed object), validation with errors that name the
 * definition and field (and the line, when parsed from text), and compilation into the form the engine runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, parseDocument } from 'yaml';
import { SchemaValidator } from '../json-schema';
import { isIdentifier, type Cardinality } from '../change-set';
import { compileTemplate, constantTemplate, TemplateError, type Compiled, type CompiledTemplate } from './template';
import {
  DATE_FORMATS,
  VALUE_TYPES,
  compileDatePattern,
  type CoerceOptions,
  type DateFormat,
  type ValueType,
} from './coerce';
import { compileTransform, TransformSpecError, type Transform, type TransformStep } from './transform';
import { COLUMN_TYPES, schemaFromColumns, type ColumnSpec, type ColumnType, type ConnectSchema } from './debezium';
import { isObject, JsonObject } from '../object';

/* ---------- The spec as written ---------- */

export type TemplateSpec = string | number | boolean;

export interface PropertySpec {
  value: TemplateSpec;
  type?: ValueType;
  /** For type date: epoch milliseconds (default) or ISO-8601 text. */
  format?: DateFormat;
  cardinality?: Cardinality;
  /** Used when the value is missing (undefined or null). */
  default?: unknown;
  /** A missing value without default fails the event (default: false, the property is left out). */
  required?: boolean;
  /** Steps applied to the rendered value before coercion (transform.ts). */
  transform?: TransformStep | TransformStep[];
  /** Number texts: decimal separator ("," for "12,50") and grouping separator removed ("." for "1.234,50"). */
  decimal?: string;
  grouping?: string;
  /** Date texts: a pattern like "dd.MM.yyyy HH:mm" (UTC unless it has XXX). */
  pattern?: string;
  /** What a write does to a value already in the graph: last (default) overwrites, first keeps, max/min compare. */
  merge?: MergeRule;
}

export const MERGE_RULES = ['last', 'first', 'max', 'min'] as const;
export type MergeRule = (typeof MERGE_RULES)[number];

export interface WhenTest {
  value: string;
  equals?: unknown;
  notEquals?: unknown;
  in?: unknown[];
  exists?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  matches?: string;
}
export type WhenSpec = string | WhenTest | { all: WhenSpec[] } | { any: WhenSpec[] } | { not: WhenSpec };
/** A label chosen by a field: `{ value: "{{type}}", map: { C: checking }, default: account }`. */
export type LabelSpec = string | { value: string; map: Record<string, string>; default?: string };
export type EachSpec = string | { path: string; as?: string };

export interface VertexSpec {
  label: LabelSpec;
  /** The key property's name. */
  key: string;
  /** Template of the key property's value. */
  value: TemplateSpec;
  keyType?: 'string' | 'int' | 'long';
  properties?: Record<string, TemplateSpec | PropertySpec>;
  /** A missing key value fails the event (true, the default) or skips this vertex and its edges (false). */
  required?: boolean;
  when?: WhenSpec;
  each?: EachSpec;
  /** Transform steps for the key value (before keyType). */
  keyTransform?: TransformStep | TransformStep[];
  /** false: match only, never create: the vertex is not upserted, edges to it need it to exist already. */
  create?: boolean;
  /** For create: false: an edge whose vertex is missing is skipped, or fails its event (the default). */
  ifMissing?: 'skip' | 'fail';
}

export interface EdgeKeySpec {
  name: string;
  value: TemplateSpec;
  type?: 'string' | 'int' | 'long';
}

export interface EdgeSpec {
  /** Names the edge definition for `deletes` (optional). */
  name?: string;
  label: LabelSpec;
  from: string;
  to: string;
  key?: EdgeKeySpec;
  properties?: Record<string, TemplateSpec | PropertySpec>;
  /** A missing edge key value fails the event (true, the default) or skips the edge (false). */
  required?: boolean;
  when?: WhenSpec;
  each?: EachSpec;
  /** An endpoint missing in the graph (a match-only vertex): skip this edge, or fail the event (default). */
  ifMissing?: 'skip' | 'fail';
}

export interface MappingSpec {
  description?: string;
  mode?: 'event' | 'cdc';
  vertices: Record<string, VertexSpec>;
  edges?: EdgeSpec[];
  /** CDC mode: the vertex definitions (and named edge definitions) a `d` (delete) removes; default: the first vertex. */
  deletes?: string[];
  /**
   * CDC mode, for messages without a Connect schema (JsonConverter schemas.enable=false): how to decode columns,
   * e.g. `credit_limit: { type: decimal, scale: 2 }`, `birth_date: date`. Ignored when a message carries its schema.
   */
  columns?: Record<string, ColumnType | ColumnSpec>;
}

/* ---------- Issues ---------- */

export interface SpecIssue {
  /** "vertices.customer" or "edges[1]"; absent for spec-wide problems. */
  definition?: string;
  /** The field within the definition, e.g. "properties.email.type". */
  field?: string;
  /** The path from the spec root, for editors. */
  path: Array<string | number>;
  message: string;
  /** 1-based, when the spec was parsed from text. */
  line?: number;
  column?: number;
}

/** Where in the spec an issue is: `definition.field`, either part left out when unknown ('' for the whole spec). */
export function issueWhere(i: SpecIssue): string {
  return [i.definition, i.field].filter(Boolean).join('.');
}

export function formatIssue(i: SpecIssue): string {
  const where = issueWhere(i);
  return `${where ? `${where}: ` : ''}${i.message}${i.line !== undefined ? ` (line ${i.line})` : ''}`;
}

export class SpecError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(
      `invalid mapping spec: ${issues.slice(0, 3).map(formatIssue).join('; ')}${issues.length > 3 ? `; and ${issues.length - 3} more` : ''}`,
    );
  }
  /** The first issue's definition and field: what msg.error names when a whole spec is bad. */
  get definition(): string | undefined {
    return this.issues[0]?.definition;
  }
  get field(): string | undefined {
    return this.issues[0]?.field;
  }
}

/* ---------- Compiled form ---------- */

export interface CompiledCondition {
  test: (scope: import('./template').Scope) => boolean;
  text: string;
}
export interface CompiledEach {
  path: string;
  get: Compiled;
  as: string;
  /** Nested one level: the path of the each whose item this path starts from (`line.discounts` under `as: line`). */
  parent?: string;
}

export interface CompiledProperty {
  name: string;
  field: string;
  template: CompiledTemplate;
  source: string;
  type?: ValueType;
  format: DateFormat;
  cardinality: Cardinality;
  hasDefault: boolean;
  default: unknown;
  required: boolean;
  transform?: Transform;
  options?: CoerceOptions;
  merge: MergeRule;
  /** The Java number type the graph stores it as (epoch-ms dates are Longs), resolved once here, not per event. */
  stored?: 'int' | 'long' | 'double';
}

/** A label from a map by a field's value; `label` of the definition is then the default (or the first map value). */
export interface CompiledLabel {
  template: CompiledTemplate;
  map: Map<string, string>;
  default?: string;
  source: string;
}

export interface CompiledVertex {
  name: string;
  definition: string;
  label: string;
  keyName: string;
  key: CompiledTemplate;
  keySource: string;
  keyType?: 'string' | 'int' | 'long';
  keyTransform?: Transform;
  properties: CompiledProperty[];
  required: boolean;
  when?: CompiledCondition;
  each?: CompiledEach;
  labelFrom?: CompiledLabel;
  /** false: match only (never upserted). */
  create: boolean;
  ifMissing: 'skip' | 'fail';
}

export interface CompiledEdge {
  definition: string;
  name?: string;
  label: string;
  labelFrom?: CompiledLabel;
  /** skip: written only when both endpoints exist in the graph; fail: a missing endpoint fails the event. */
  ifMissing: 'skip' | 'fail';
  from: CompiledVertex;
  to: CompiledVertex;
  key?: { name: string; template: CompiledTemplate; source: string; type?: 'string' | 'int' | 'long' };
  properties: CompiledProperty[];
  required: boolean;
  when?: CompiledCondition;
  /** Its own `each`, or the one inherited from an endpoint: per-item edges pair with that item's vertices. */
  each?: CompiledEach;
}

export interface CompiledMapping {
  mode: 'event' | 'cdc';
  vertices: CompiledVertex[];
  edges: CompiledEdge[];
  deletes: CompiledVertex[];
  /** CDC: edge definitions whose edges an op d removes (rendered from before). */
  edgeDeletes: CompiledEdge[];
  /** The distinct `each` paths, evaluated once per event. */
  eachPaths: CompiledEach[];
  /** The same, by path (nested ones find their parent). */
  eachByPath: Map<string, CompiledEach>;
  /** True when some each is nested. */
  nests: boolean;
  /** CDC mode: the row schema built from `columns`, for messages without a schema. */
  columns?: ConnectSchema;
  spec: MappingSpec;
}

/* ---------- Parsing ---------- */

export interface ParsedSpec {
  spec: unknown;
  issues: SpecIssue[];
  /** Maps a spec path to a 1-based line/column, when parsed from text. */
  locate: (path: Array<string | number>) => { line: number; column: number } | undefined;
}

/** Parses YAML or JSON text (JSON is valid YAML 1.2) keeping positions for error markers. */
export function parseSpecText(text: string): ParsedSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: SpecIssue[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return { path: [], message: `cannot parse the spec: ${e.message.split('\n')[0]}`, line: pos.line, column: pos.col };
  });
  const locate = (path: Array<string | number>) => {
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) {
        const pos = lineCounter.linePos(range[0]);
        return { line: pos.line, column: pos.col };
      }
      if (p.length === 0) return undefined;
    }
  };
  return { spec: issues.length ? undefined : doc.toJS(), issues, locate };
}

/* ---------- Validation and compilation ---------- */

const VERTEX_FIELDS = [
  'label',
  'key',
  'value',
  'keyType',
  'keyTransform',
  'properties',
  'required',
  'when',
  'each',
  'create',
  'ifMissing',
];
const EDGE_FIELDS = ['name', 'label', 'from', 'to', 'key', 'properties', 'required', 'when', 'each', 'ifMissing'];
const PROPERTY_FIELDS = [
  'value',
  'type',
  'format',
  'cardinality',
  'default',
  'required',
  'transform',
  'decimal',
  'grouping',
  'pattern',
  'merge',
];
const WHEN_TESTS = ['equals', 'notEquals', 'in', 'exists', 'gt', 'gte', 'lt', 'lte', 'matches'];
const TOP_FIELDS = ['description', 'mode', 'vertices', 'edges', 'deletes', 'columns'];
const KEY_TYPES = ['string', 'int', 'long'];
const CARDINALITIES = ['single', 'list', 'set'];
const EACH_PATH = /^[^\s{}]+$/;

/** How a spec is compiled: the template compiler is replaceable so that bench/mapping.ts can compare two. */
export interface CompileOptions {
  compileTemplate?: (text: string) => CompiledTemplate;
}

class Checker {
  issues: SpecIssue[] = [];
  readonly compileTemplate: (text: string) => CompiledTemplate;
  constructor(
    private readonly locate?: ParsedSpec['locate'],
    options: CompileOptions = {},
  ) {
    this.compileTemplate = options.compileTemplate ?? compileTemplate;
  }

  add(path: Array<string | number>, message: string): void {
    const [section, name, ...rest] = path;
    let definition: string | undefined;
    let fieldPath: Array<string | number>;
    if (section === 'vertices' && name !== undefined) {
      definition = `vertices.${name}`;
      fieldPath = rest;
    } else if (section === 'edges' && typeof name === 'number') {
      definition = `edges[${name}]`;
      fieldPath = rest;
    } else fieldPath = path;
    const issue: SpecIssue = { path, message };
    if (definition) issue.definition = definition;
    if (fieldPath.length) issue.field = fieldPath.join('.');
    const pos = this.locate?.(path);
    if (pos) {
      issue.line = pos.line;
      issue.column = pos.column;
    }
    this.issues.push(issue);
  }

  unknownFields(obj: Record<string, unknown>, allowed: string[], path: Array<string | number>): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) this.add([...path, k], `unknown field "${k}" (expected one of ${allowed.join(', ')})`);
    }
  }

  identifier(v: unknown, path: Array<string | number>, what: string): v is string {
    if (typeof v !== 'string') {
      this.add(path, `${what} is required and must be a text identifier`);
      return false;
    }
    if (!isIdentifier(v)) {
      this.add(
        path,
        `${what} "${v}" is not a valid identifier (letters, digits and _; not starting with a digit; at most 128)`,
      );
      return false;
    }
    return true;
  }

  template(v: unknown, path: Array<string | number>, what: string): CompiledTemplate | undefined {
    if (typeof v === 'number' || typeof v === 'boolean') return constantTemplate(v);
    if (typeof v !== 'string') {
      this.add(path, `${what} is required and must be a template text like "{{id}}"`);
      return undefined;
    }
    try {
      return this.compileTemplate(v);
    } catch (e) {
      if (e instanceof TemplateError) {
        this.add(path, e.message);
        return undefined;
      }
      throw e;
    }
  }

  oneOf<T extends string>(
    v: unknown,
    allowed: readonly T[],
    path: Array<string | number>,
    what: string,
  ): T | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !allowed.includes(v as T)) {
      this.add(path, `unknown ${what} ${JSON.stringify(v)} (expected one of ${allowed.join(', ')})`);
      return undefined;
    }
    return v as T;
  }

  flag(v: unknown, path: Array<string | number>, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') {
      this.add(path, 'must be true or false');
      return dflt;
    }
    return v;
  }
}

function compileEach(c: Checker, v: unknown, path: Array<string | number>): CompiledEach | undefined {
  if (v === undefined) return undefined;
  let p: unknown = v;
  let as: unknown = 'item';
  if (isObject(v)) {
    c.unknownFields(v, ['path', 'as'], path);
    p = v.path;
    if (v.as !== undefined) as = v.as;
  }
  if (typeof p === 'string') p = p.trim().replace(/^\{\{\s*(.*?)\s*\}\}$/, '$1');
  if (typeof p !== 'string' || !EACH_PATH.test(p) || p.split('.').some((s) => s === '')) {
    c.add(
      isObject(v) ? [...path, 'path'] : path,
      'each needs the path of an array in the event, e.g. "items" or "entities.hashtags"',
    );
    return undefined;
  }
  if (!c.identifier(as, isObject(v) ? [...path, 'as'] : path, 'each.as')) return undefined;
  const t = c.compileTemplate(`{{${p}}}`);
  return { path: p, get: t.render, as: as as string };
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  if (typeof v === 'string' && v.trim().toLowerCase() === 'false') return false;
  if (Array.isArray(v) && v.length === 0) return false;
  return true;
}

/** Text comparisons: "5" from a CSV and 5 from JSON compare alike. */
const norm = (x: unknown) =>
  x === undefined || x === null ? x : typeof x === 'object' ? JSON.stringify(x) : String(x);

/** A number from a number or a numeric text; NaN otherwise (then every numeric comparison is false). */
function asNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '') return Number(x);
  return NaN;
}

function compileTest(
  c: Checker,
  v: JsonObject,
  path: Array<string | number>,
  name: string,
  t: CompiledTemplate,
): ((s: import('./template').Scope) => boolean) | undefined {
  const arg = v[name];
  switch (name) {
    case 'equals': {
      const want = norm(arg);
      return (s) => norm(t.render(s)) === want;
    }
    case 'notEquals': {
      const want = norm(arg);
      return (s) => norm(t.render(s)) !== want;
    }
    case 'in': {
      if (!Array.isArray(arg)) {
        c.add([...path, 'in'], 'in must be a list of values');
        return undefined;
      }
      const set = new Set(arg.map(norm));
      return (s) => set.has(norm(t.render(s)));
    }
    case 'exists': {
      if (typeof arg !== 'boolean') {
        c.add([...path, 'exists'], 'exists must be true or false');
        return undefined;
      }
      return (s) => {
        const x = t.render(s);
        return (x !== undefined && x !== null) === arg;
      };
    }
    case 'matches': {
      if (typeof arg !== 'string') {
        c.add([...path, 'matches'], 'matches must be a regular expression text, e.g. "^DE[0-9]{20}$"');
        return undefined;
      }
      let re: RegExp;
      try {
        re = new RegExp(arg);
      } catch (e) {
        c.add([...path, 'matches'], `not a valid regular expression: ${(e as Error).message}`);
        return undefined;
      }
      return (s) => {
        const x = t.render(s);
        return x !== undefined && x !== null && re.test(typeof x === 'string' ? x : String(norm(x)));
      };
    }
    default: {
      if (typeof arg !== 'number' || !Number.isFinite(arg)) {
        c.add([...path, name], `${name} must be a number (the value is compared as a number)`);
        return undefined;
      }
      const cmp: Record<string, (a: number) => boolean> = {
        gt: (a) => a > arg,
        gte: (a) => a >= arg,
        lt: (a) => a < arg,
        lte: (a) => a <= arg,
      };
      const f = cmp[name];
      // A missing or non-numeric value compares false: NaN fails every comparison.
      return (s) => f(asNumber(t.render(s)));
    }
  }
}

const WHEN_HELP =
  'when must be a template (true when it renders a non-empty, non-false value), { value, equals | notEquals | in | exists | gt | gte | lt | lte | matches }, { all: [...] }, { any: [...] } or { not: ... }';

function compileWhen(c: Checker, v: unknown, path: Array<string | number>): CompiledCondition | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    const t = c.template(v, path, 'when');
    if (!t) return undefined;
    return { test: (s) => truthy(t.render(s)), text: v };
  }
  if (!isObject(v)) {
    c.add(path, WHEN_HELP);
    return undefined;
  }
  const text = JSON.stringify(v);
  for (const combo of ['all', 'any'] as const) {
    if (!(combo in v)) continue;
    c.unknownFields(v, [combo], path);
    const list = v[combo];
    if (!Array.isArray(list) || list.length === 0) {
      c.add([...path, combo], `${combo} must be a non-empty list of conditions`);
      return undefined;
    }
    const parts = list.map((x: unknown, i: number) => compileWhen(c, x, [...path, combo, i]));
    if (parts.some((x) => !x)) return undefined;
    const tests = parts.map((x) => x!.test);
    return combo === 'all'
      ? {
          test: (s) => {
            for (let i = 0; i < tests.length; i++) if (!tests[i](s)) return false;
            return true;
          },
          text,
        }
      : {
          test: (s) => {
            for (let i = 0; i < tests.length; i++) if (tests[i](s)) return true;
            return false;
          },
          text,
        };
  }
  if ('not' in v) {
    c.unknownFields(v, ['not'], path);
    const inner = compileWhen(c, v.not, [...path, 'not']);
    return inner ? { test: (s) => !inner.test(s), text } : undefined;
  }
  c.unknownFields(v, ['value', ...WHEN_TESTS], path);
  const t = c.template(v.value, [...path, 'value'], 'when.value');
  if (!t) return undefined;
  const names = WHEN_TESTS.filter((k) => v[k] !== undefined);
  if (names.length === 0) {
    c.add(path, `when needs at least one of ${WHEN_TESTS.join(', ')}`);
    return undefined;
  }
  // Several tests in one condition must all hold: { value, gte: 10, lt: 100 } is a range.
  const tests = names.map((n) => compileTest(c, v, path, n, t));
  if (tests.some((x) => !x)) return undefined;
  if (tests.length === 1) return { test: tests[0]!, text };
  return { test: (s) => tests.every((f) => f!(s)), text };
}

function compileLabel(c: Checker, v: unknown, path: Array<string | number>): { label?: string; from?: CompiledLabel } {
  if (!isObject(v)) return c.identifier(v, path, 'label') ? { label: v as string } : {};
  c.unknownFields(v, ['value', 'map', 'default'], path);
  const t = c.template(v.value, [...path, 'value'], 'label.value');
  if (!isObject(v.map) || Object.keys(v.map).length === 0) {
    c.add([...path, 'map'], 'label.map must map field values to labels, e.g. { C: checking, S: savings }');
    return {};
  }
  const map = new Map<string, string>();
  for (const [k, l] of Object.entries(v.map))
    if (c.identifier(l, [...path, 'map', k], 'label')) map.set(k, l as string);
  const dflt =
    v.default !== undefined && c.identifier(v.default, [...path, 'default'], 'label.default')
      ? (v.default as string)
      : undefined;
  if (!t || map.size !== Object.keys(v.map).length) return {};
  return {
    label: dflt ?? map.values().next().value!,
    from: { template: t, map, default: dflt, source: String(v.value) },
  };
}

function compileSteps(c: Checker, v: unknown, path: Array<string | number>): Transform | undefined {
  if (v === undefined) return undefined;
  try {
    return compileTransform(v);
  } catch (e) {
    if (e instanceof TransformSpecError) {
      c.add(path, e.message);
      return undefined;
    }
    throw e;
  }
}

function separator(c: Checker, v: unknown, path: Array<string | number>, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length !== 1 || /[0-9+\-eE]/.test(v)) {
    c.add(path, `${what} must be one character other than a digit, sign or e (e.g. "," or ".")`);
    return undefined;
  }
  return v;
}

function compileProperties(c: Checker, v: unknown, path: Array<string | number>, keyName?: string): CompiledProperty[] {
  if (v === undefined) return [];
  if (!isObject(v)) {
    c.add(
      path,
      'properties must be a map of property name → template or { value, type, cardinality, default, required }',
    );
    return [];
  }
  const out: CompiledProperty[] = [];
  for (const [name, p] of Object.entries(v)) {
    const pp = [...path, name];
    if (!c.identifier(name, pp, 'property name')) continue;
    if (name === keyName) {
      c.add(pp, `property "${name}" is the key property: its value comes from the definition's value`);
      continue;
    }
    const spec: JsonObject = isObject(p) ? p : { value: p };
    if (isObject(p)) c.unknownFields(p, PROPERTY_FIELDS, pp);
    const template = c.template(spec.value, isObject(p) ? [...pp, 'value'] : pp, 'value');
    const type = c.oneOf(spec.type, VALUE_TYPES, [...pp, 'type'], 'type');
    const format = c.oneOf(spec.format, DATE_FORMATS, [...pp, 'format'], 'date format') ?? 'epoch';
    if (spec.format !== undefined && type !== 'date') c.add([...pp, 'format'], 'format applies only to type date');
    const cardinality =
      c.oneOf(spec.cardinality, CARDINALITIES as Cardinality[], [...pp, 'cardinality'], 'cardinality') ?? 'single';
    const required = c.flag(spec.required, [...pp, 'required'], false);
    if (spec.default !== undefined && typeof spec.default === 'object' && !Array.isArray(spec.default)) {
      c.add([...pp, 'default'], 'default must be a value (text, number, boolean or list)');
    }
    const transform = compileSteps(c, spec.transform, [...pp, 'transform']);
    const options: CoerceOptions = {};
    const decimal = separator(c, spec.decimal, [...pp, 'decimal'], 'decimal');
    const grouping = separator(c, spec.grouping, [...pp, 'grouping'], 'grouping');
    if (decimal) options.decimal = decimal;
    if (grouping) options.grouping = grouping;
    if (decimal && grouping && decimal === grouping) c.add([...pp, 'grouping'], 'grouping and decimal must differ');
    if ((decimal || grouping) && !(type === 'int' || type === 'long' || type === 'double'))
      c.add([...pp, decimal ? 'decimal' : 'grouping'], 'decimal and grouping apply only to type int, long or double');
    if (spec.pattern !== undefined) {
      if (type !== 'date') c.add([...pp, 'pattern'], 'pattern applies only to type date');
      else if (typeof spec.pattern !== 'string')
        c.add([...pp, 'pattern'], 'pattern must be a date pattern text like "dd.MM.yyyy HH:mm"');
      else
        try {
          options.pattern = compileDatePattern(spec.pattern);
        } catch (e) {
          c.add([...pp, 'pattern'], (e as Error).message);
        }
    }
    const merge = c.oneOf(spec.merge, MERGE_RULES, [...pp, 'merge'], 'merge rule') ?? 'last';
    if (merge !== 'last' && cardinality !== 'single')
      c.add([...pp, 'merge'], `merge ${merge} applies only to cardinality single`);
    if ((merge === 'max' || merge === 'min') && (type === undefined || type === 'boolean'))
      c.add([...pp, 'merge'], `merge ${merge} compares values: declare type int, long, double, date or string`);
    if (!template) continue;
    const cp: CompiledProperty = {
      name,
      field: `properties.${name}`,
      template,
      source: String(spec.value),
      type,
      format,
      cardinality,
      hasDefault: spec.default !== undefined && spec.default !== null,
      default: spec.default,
      required,
      merge,
    };
    if (transform) cp.transform = transform;
    if (options.decimal || options.grouping || options.pattern) cp.options = options;
    const stored = type === 'date' && format !== 'iso' ? 'long' : type;
    if (stored === 'int' || stored === 'long' || stored === 'double') cp.stored = stored;
    out.push(cp);
  }
  return out;
}

/** schema/mapping-spec.schema.json, from the package root (beside dist/ in a checkout and in the npm package). */
export const MAPPING_SCHEMA_FILE = path.join(__dirname, '..', '..', '..', 'schema', 'mapping-spec.schema.json');
let schemaValidator: SchemaValidator | undefined;

/** The spec's JSON Schema (read from the file: the editor's completion gets a fresh copy). */
export function mappingSchema(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(MAPPING_SCHEMA_FILE, 'utf8'));
}

/**
 * Validates a parsed spec; returns the compiled mapping or the issues found (all of them, not just the first).
 * The JSON Schema is the first check; the compiler's checks follow (references, templates, regular expressions...).
 * Where both find a problem at one place, the compiler's more specific message is kept.
 */
export function compileSpec(
  spec: unknown,
  locate?: ParsedSpec['locate'],
  options?: CompileOptions,
): { mapping?: CompiledMapping; issues: SpecIssue[] } {
  schemaValidator ??= new SchemaValidator(mappingSchema());
  const schemaIssues = new Checker(locate);
  for (const e of schemaValidator.validate(spec)) schemaIssues.add(e.path, e.message);
  const compiled = compileChecked(spec, locate, options);
  if (schemaIssues.issues.length === 0) return compiled;
  const key = (p: Array<string | number>) => p.join('\u0000');
  const covered = compiled.issues.map((i) => key(i.path));
  // A schema issue at, above or below a place the compiler already reported says the same thing less precisely.
  const extra = schemaIssues.issues.filter(
    (i) =>
      !covered.some(
        (c) => c === key(i.path) || c.startsWith(`${key(i.path)}\u0000`) || key(i.path).startsWith(`${c}\u0000`),
      ),
  );
  return { issues: [...compiled.issues, ...extra] };
}

function compileChecked(
  spec: unknown,
  locate?: ParsedSpec['locate'],
  options?: CompileOptions,
): { mapping?: CompiledMapping; issues: SpecIssue[] } {
  const c = new Checker(locate, options);
  if (!isObject(spec)) {
    c.add([], 'the mapping spec must be a map with "vertices" (and optionally "edges", "mode", "deletes")');
    return { issues: c.issues };
  }
  c.unknownFields(spec, TOP_FIELDS, []);
  const mode = c.oneOf(spec.mode, ['event', 'cdc'] as const, ['mode'], 'mode') ?? 'event';
  const vertices: CompiledVertex[] = [];
  const byName = new Map<string, CompiledVertex>();
  if (!isObject(spec.vertices) || Object.keys(spec.vertices).length === 0) {
    c.add(['vertices'], 'vertices must be a map of at least one vertex definition (name → { label, key, value, ... })');
  } else {
    for (const [name, v] of Object.entries(spec.vertices)) {
      const path = ['vertices', name];
      if (!isIdentifier(name)) {
        c.add(path, `vertex definition name "${name}" is not a valid identifier`);
        continue;
      }
      if (!isObject(v)) {
        c.add(path, 'a vertex definition must be a map with label, key and value');
        continue;
      }
      c.unknownFields(v, VERTEX_FIELDS, path);
      const label = compileLabel(c, v.label, [...path, 'label']);
      const keyOk = c.identifier(v.key, [...path, 'key'], 'key');
      const key = c.template(v.value, [...path, 'value'], 'value');
      const keyType = c.oneOf(
        v.keyType,
        KEY_TYPES as Array<'string' | 'int' | 'long'>,
        [...path, 'keyType'],
        'keyType',
      );
      const keyTransform = compileSteps(c, v.keyTransform, [...path, 'keyTransform']);
      const properties = compileProperties(
        c,
        v.properties,
        [...path, 'properties'],
        typeof v.key === 'string' ? v.key : undefined,
      );
      const required = c.flag(v.required, [...path, 'required'], true);
      const when = compileWhen(c, v.when, [...path, 'when']);
      const each = compileEach(c, v.each, [...path, 'each']);
      const create = c.flag(v.create, [...path, 'create'], true);
      const ifMissing = c.oneOf(v.ifMissing, ['skip', 'fail'] as const, [...path, 'ifMissing'], 'ifMissing') ?? 'fail';
      if (v.ifMissing !== undefined && create)
        c.add([...path, 'ifMissing'], 'ifMissing applies only to a match-only vertex (create: false)');
      // A match-only vertex is a reference: it is never written, so there is nothing to set on it.
      if (!create && properties.length)
        c.add(
          [...path, 'properties'],
          'a match-only vertex (create: false) is never written: it cannot set properties',
        );
      if (!label.label || !keyOk || !key) continue;
      const cv: CompiledVertex = {
        name,
        definition: `vertices.${name}`,
        label: label.label,
        keyName: v.key,
        key,
        keySource: String(v.value),
        keyType,
        properties,
        required,
        when,
        each,
        create,
        ifMissing,
      };
      if (label.from) cv.labelFrom = label.from;
      if (keyTransform) cv.keyTransform = keyTransform;
      vertices.push(cv);
      byName.set(name, cv);
    }
  }

  // Nested each: a path that starts with another each's `as` name iterates that item's array, one level down only.
  const asNames = new Set(vertices.filter((v) => v.each).map((v) => v.each!.as));
  const parentByAs = new Map<string, CompiledEach | null>();
  for (const v of vertices) {
    if (!v.each || asNames.has(v.each.path.split('.')[0])) continue;
    const seen = parentByAs.get(v.each.as);
    // Two top-level arrays bound to one name: a nested path starting with it would be ambiguous.
    parentByAs.set(v.each.as, seen === undefined || seen?.path === v.each.path ? v.each : null);
  }
  const linkParent = (each: CompiledEach | undefined, path: Array<string | number>): boolean => {
    if (!each) return true;
    const first = each.path.split('.')[0];
    const parent = parentByAs.get(first);
    if (parent === null) {
      c.add(
        path,
        `each "${each.path}": "${first}" names the items of more than one array (give them different as names)`,
      );
      return false;
    }
    if (!parent || parent.path === each.path) {
      if (asNames.has(first) && !parent) {
        c.add(path, `each "${each.path}" nests two levels deep: nested each goes one level down only`);
        return false;
      }
      return true;
    }
    each.parent = parent.path;
    return true;
  };
  for (const v of vertices) linkParent(v.each, ['vertices', v.name, 'each']);
  /** The deeper of two related eaches (same, or one the other's parent), or null when they cannot pair. */
  const deeper = (a: CompiledEach | undefined, b: CompiledEach | undefined): CompiledEach | undefined | null => {
    if (!a) return b;
    if (!b || a.path === b.path) return a;
    if (b.parent === a.path) return b;
    if (a.parent === b.path) return a;
    return null;
  };

  const edges: CompiledEdge[] = [];
  const edgeNames = new Map<string, CompiledEdge>();
  if (spec.edges !== undefined && !Array.isArray(spec.edges))
    c.add(['edges'], 'edges must be a list of edge definitions');
  const edgeSpecs: unknown[] = Array.isArray(spec.edges) ? spec.edges : [];
  edgeSpecs.forEach((e, i) => {
    const path = ['edges', i];
    if (!isObject(e)) {
      c.add(path, 'an edge definition must be a map with label, from and to');
      return;
    }
    c.unknownFields(e, EDGE_FIELDS, path);
    const label = compileLabel(c, e.label, [...path, 'label']);
    if (e.name !== undefined && c.identifier(e.name, [...path, 'name'], 'edge name')) {
      if (edgeNames.has(e.name) || (isObject(spec.vertices) && e.name in spec.vertices))
        c.add([...path, 'name'], `edge name "${e.name}" is already used by another definition`);
    }
    const ownIfMissing = c.oneOf(e.ifMissing, ['skip', 'fail'] as const, [...path, 'ifMissing'], 'ifMissing');
    const endpoint = (which: 'from' | 'to'): CompiledVertex | undefined => {
      const n = e[which];
      if (typeof n !== 'string') {
        c.add([...path, which], `${which} must name a vertex definition`);
        return undefined;
      }
      const v = byName.get(n);
      if (!v && isObject(spec.vertices) && !(n in spec.vertices))
        c.add(
          [...path, which],
          `${which} names no vertex definition: "${n}" (defined: ${[...Object.keys(spec.vertices)].join(', ')})`,
        );
      return v;
    };
    const from = endpoint('from');
    const to = endpoint('to');
    let key: CompiledEdge['key'];
    if (e.key !== undefined) {
      if (!isObject(e.key))
        c.add([...path, 'key'], 'key must be { name, value } (the edge property telling multi-edges apart)');
      else {
        c.unknownFields(e.key, ['name', 'value', 'type'], [...path, 'key']);
        const nameOk = c.identifier(e.key.name, [...path, 'key', 'name'], 'key.name');
        const t = c.template(e.key.value, [...path, 'key', 'value'], 'key.value');
        const type = c.oneOf(
          e.key.type,
          KEY_TYPES as Array<'string' | 'int' | 'long'>,
          [...path, 'key', 'type'],
          'key type',
        );
        if (nameOk && t) key = { name: e.key.name, template: t, source: String(e.key.value), type };
      }
    }
    const properties = compileProperties(c, e.properties, [...path, 'properties'], key?.name);
    const required = c.flag(e.required, [...path, 'required'], true);
    const when = compileWhen(c, e.when, [...path, 'when']);
    const own = compileEach(c, e.each, [...path, 'each']);
    if (!label.label || !from || !to) return;
    if (!linkParent(own, [...path, 'each'])) return;
    // Per-item pairing is by item position: within one array, or an item with the items of its own nested array.
    const deepest = deeper(from.each, to.each);
    if (deepest === null) {
      c.add(
        path,
        `from "${e.from}" iterates "${from.each!.path}" and to "${e.to}" iterates "${to.each!.path}": an edge can only pair vertices of the same each, or an item with its nested each's items`,
      );
      return;
    }
    if (own && deepest && deepest.path !== own.path) {
      c.add([...path, 'each'], `each "${own.path}" differs from its endpoint's each "${deepest.path}"`);
      return;
    }
    const each = own ?? deepest;
    // A match-only endpoint decides what its missing vertex does to the edge, unless the edge says so itself.
    const ifMissing = ownIfMissing ?? ([from, to].some((v) => !v.create && v.ifMissing === 'skip') ? 'skip' : 'fail');
    const ce: CompiledEdge = {
      definition: `edges[${i}]`,
      label: label.label,
      from,
      to,
      key,
      properties,
      required,
      when,
      each,
      ifMissing,
    };
    if (label.from) ce.labelFrom = label.from;
    if (typeof e.name === 'string') {
      ce.name = e.name;
      edgeNames.set(e.name, ce);
    }
    edges.push(ce);
  });

  const deletes: CompiledVertex[] = [];
  const edgeDeletes: CompiledEdge[] = [];
  if (spec.deletes !== undefined) {
    if (mode !== 'cdc') c.add(['deletes'], 'deletes applies only to mode: cdc');
    if (!Array.isArray(spec.deletes))
      c.add(['deletes'], 'deletes must be a list of vertex definition names (and edge names)');
    else
      spec.deletes.forEach((n: unknown, i: number) => {
        const ed = typeof n === 'string' ? edgeNames.get(n) : undefined;
        if (ed) {
          edgeDeletes.push(ed);
          return;
        }
        const v = typeof n === 'string' ? byName.get(n) : undefined;
        if (!v) {
          const known =
            typeof n === 'string' &&
            ((isObject(spec.vertices) && n in spec.vertices) || edgeSpecs.some((x) => isObject(x) && x.name === n));
          if (!known) c.add(['deletes', i], `deletes names no vertex definition or edge name: ${JSON.stringify(n)}`);
          return;
        }
        if (v.each) {
          c.add(['deletes', i], `"${n}" has each: a CDC delete removes the row's own vertices only`);
          return;
        }
        if (!v.create) {
          c.add(
            ['deletes', i],
            `"${n}" is match-only (create: false): this mapping does not own it, so it does not delete it`,
          );
          return;
        }
        deletes.push(v);
      });
  } else if (mode === 'cdc' && vertices[0]) {
    if (vertices[0].each)
      c.add(
        ['vertices', vertices[0].name, 'each'],
        "in mode cdc the first vertex definition is the row's vertex (deleted on op d): it cannot have each; or list deletes",
      );
    else deletes.push(vertices[0]);
  }

  let columns: ConnectSchema | undefined;
  if (spec.columns !== undefined) {
    if (mode !== 'cdc') c.add(['columns'], 'columns applies only to mode: cdc');
    else if (!isObject(spec.columns))
      c.add(['columns'], 'columns must be a map of column name → type (or { type, scale })');
    else {
      const out: Record<string, ColumnSpec> = {};
      for (const [name, v] of Object.entries(spec.columns)) {
        const cs: Record<string, unknown> = isObject(v) ? v : { type: v };
        if (isObject(v)) c.unknownFields(v, ['type', 'scale'], ['columns', name]);
        const type = c.oneOf(
          cs.type,
          Object.keys(COLUMN_TYPES) as ColumnType[],
          isObject(v) ? ['columns', name, 'type'] : ['columns', name],
          'column type',
        );
        if (!type) {
          if (cs.type === undefined) c.add(['columns', name], 'a column needs a type');
          continue;
        }
        if (cs.scale !== undefined && (type !== 'decimal' || !Number.isInteger(cs.scale))) {
          c.add(['columns', name, 'scale'], 'scale is an integer and applies only to type decimal');
          continue;
        }
        out[name] = { type, scale: cs.scale as number | undefined };
      }
      columns = schemaFromColumns(out);
    }
  }

  if (c.issues.length) return { issues: c.issues };
  const eachPaths = new Map<string, CompiledEach>();
  for (const d of [...vertices, ...edges])
    if (d.each && !eachPaths.has(d.each.path)) eachPaths.set(d.each.path, d.each);
  return {
    mapping: {
      mode,
      vertices,
      edges,
      deletes,
      edgeDeletes,
      eachPaths: [...eachPaths.values()],
      eachByPath: eachPaths,
      nests: [...eachPaths.values()].some((x) => x.parent !== undefined),
      spec: spec as unknown as MappingSpec,
      ...(columns ? { columns } : {}),
    },
    issues: [],
  };
}

/** Parses (text or object) and compiles a spec; throws SpecError listing every issue. */
export function loadSpec(source: string | object, options?: CompileOptions): CompiledMapping {
  const { mapping, issues } = checkSpec(source, options);
  if (!mapping) throw new SpecError(issues);
  return mapping;
}

/** Like loadSpec, but returns the issues instead of throwing (the editor shows them all as markers). */
export function checkSpec(
  source: string | object,
  options?: CompileOptions,
): { mapping?: CompiledMapping; issues: SpecIssue[] } {
  if (typeof source === 'string') {
    if (source.trim() === '') return { issues: [{ path: [], message: 'the mapping spec is empty' }] };
    const parsed = parseSpecText(source);
    if (parsed.issues.length) return { issues: parsed.issues };
    return compileSpec(parsed.spec, parsed.locate, options);
  }
  return compileSpec(source, undefined, options);
}
