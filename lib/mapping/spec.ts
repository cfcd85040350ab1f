/*
 * Mapping specs: parsing (YAML or JSON text, or an already parsed object), validation with errors that name the
 * definition and field (and the line, when parsed from text), and compilation into the form the engine runs.
 */
import { LineCounter, parseDocument } from 'yaml';
import { isIdentifier, type Cardinality } from '../change-set';
import { compileTemplate, constantTemplate, TemplateError, type Compiled, type CompiledTemplate } from './template';
import { DATE_FORMATS, VALUE_TYPES, type DateFormat, type ValueType } from './coerce';
import { COLUMN_TYPES, schemaFromColumns, type ColumnSpec, type ColumnType, type ConnectSchema } from './debezium';

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
}

export type WhenSpec = string | { value: string; equals?: unknown; notEquals?: unknown; in?: unknown[]; exists?: boolean };
export type EachSpec = string | { path: string; as?: string };

export interface VertexSpec {
  label: string;
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
}

export interface EdgeKeySpec { name: string; value: TemplateSpec; type?: 'string' | 'int' | 'long' }

export interface EdgeSpec {
  label: string;
  from: string;
  to: string;
  key?: EdgeKeySpec;
  properties?: Record<string, TemplateSpec | PropertySpec>;
  /** A missing edge key value fails the event (true, the default) or skips the edge (false). */
  required?: boolean;
  when?: WhenSpec;
  each?: EachSpec;
}

export interface MappingSpec {
  description?: string;
  mode?: 'event' | 'cdc';
  vertices: Record<string, VertexSpec>;
  edges?: EdgeSpec[];
  /** CDC mode: the vertex definitions a `d` (delete) removes; default: the first vertex definition. */
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

export function formatIssue(i: SpecIssue): string {
  const where = [i.definition, i.field].filter(Boolean).join('.');
  return `${where ? `${where}: ` : ''}${i.message}${i.line !== undefined ? ` (line ${i.line})` : ''}`;
}

export class SpecError extends Error {
  constructor(readonly issues: SpecIssue[]) {
    super(`invalid mapping spec: ${issues.slice(0, 3).map(formatIssue).join('; ')}${issues.length > 3 ? `; and ${issues.length - 3} more` : ''}`);
  }
  /** The first issue's definition and field: what msg.error names when a whole spec is bad. */
  get definition(): string | undefined { return this.issues[0]?.definition; }
  get field(): string | undefined { return this.issues[0]?.field; }
}

/* ---------- Compiled form ---------- */

export interface CompiledCondition { test: (scope: import('./template').Scope) => boolean; text: string }
export interface CompiledEach { path: string; get: Compiled; as: string }

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
}

export interface CompiledVertex {
  name: string;
  definition: string;
  label: string;
  keyName: string;
  key: CompiledTemplate;
  keySource: string;
  keyType?: 'string' | 'int' | 'long';
  properties: CompiledProperty[];
  required: boolean;
  when?: CompiledCondition;
  each?: CompiledEach;
}

export interface CompiledEdge {
  definition: string;
  label: string;
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
  /** The distinct `each` paths, evaluated once per event. */
  eachPaths: CompiledEach[];
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

const VERTEX_FIELDS = ['label', 'key', 'value', 'keyType', 'properties', 'required', 'when', 'each'];
const EDGE_FIELDS = ['label', 'from', 'to', 'key', 'properties', 'required', 'when', 'each'];
const PROPERTY_FIELDS = ['value', 'type', 'format', 'cardinality', 'default', 'required'];
const TOP_FIELDS = ['description', 'mode', 'vertices', 'edges', 'deletes', 'columns'];
const KEY_TYPES = ['string', 'int', 'long'];
const CARDINALITIES = ['single', 'list', 'set'];
const EACH_PATH = /^[^\s{}]+$/;

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  issues: SpecIssue[] = [];
  constructor(private readonly locate?: ParsedSpec['locate']) {}

  add(path: Array<string | number>, message: string): void {
    const [section, name, ...rest] = path;
    let definition: string | undefined;
    let fieldPath: Array<string | number> = [];
    if (section === 'vertices' && name !== undefined) { definition = `vertices.${name}`; fieldPath = rest; }
    else if (section === 'edges' && typeof name === 'number') { definition = `edges[${name}]`; fieldPath = rest; }
    else fieldPath = path;
    const issue: SpecIssue = { path, message };
    if (definition) issue.definition = definition;
    if (fieldPath.length) issue.field = fieldPath.join('.');
    const pos = this.locate?.(path);
    if (pos) { issue.line = pos.line; issue.column = pos.column; }
    this.issues.push(issue);
  }

  unknownFields(obj: Record<string, unknown>, allowed: string[], path: Array<string | number>): void {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) this.add([...path, k], `unknown field "${k}" (expected one of ${allowed.join(', ')})`);
    }
  }

  identifier(v: unknown, path: Array<string | number>, what: string): v is string {
    if (typeof v !== 'string') { this.add(path, `${what} is required and must be a text identifier`); return false; }
    if (!isIdentifier(v)) { this.add(path, `${what} "${v}" is not a valid identifier (letters, digits and _; not starting with a digit; at most 128)`); return false; }
    return true;
  }

  template(v: unknown, path: Array<string | number>, what: string): CompiledTemplate | undefined {
    if (typeof v === 'number' || typeof v === 'boolean') return constantTemplate(v);
    if (typeof v !== 'string') { this.add(path, `${what} is required and must be a template text like "{{id}}"`); return undefined; }
    try { return compileTemplate(v); } catch (e) {
      if (e instanceof TemplateError) { this.add(path, e.message); return undefined; }
      throw e;
    }
  }

  oneOf<T extends string>(v: unknown, allowed: readonly T[], path: Array<string | number>, what: string): T | undefined {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !allowed.includes(v as T)) { this.add(path, `unknown ${what} ${JSON.stringify(v)} (expected one of ${allowed.join(', ')})`); return undefined; }
    return v as T;
  }

  flag(v: unknown, path: Array<string | number>, dflt: boolean): boolean {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') { this.add(path, 'must be true or false'); return dflt; }
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
    c.add(isObject(v) ? [...path, 'path'] : path, 'each needs the path of an array in the event, e.g. "items" or "entities.hashtags"');
    return undefined;
  }
  if (!c.identifier(as, isObject(v) ? [...path, 'as'] : path, 'each.as')) return undefined;
  const t = compileTemplate(`{{${p}}}`);
  return { path: p, get: t.render, as: as as string };
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  if (typeof v === 'string' && v.trim().toLowerCase() === 'false') return false;
  if (Array.isArray(v) && v.length === 0) return false;
  return true;
}

function compileWhen(c: Checker, v: unknown, path: Array<string | number>): CompiledCondition | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    const t = c.template(v, path, 'when');
    if (!t) return undefined;
    return { test: (s) => truthy(t.render(s)), text: v };
  }
  if (!isObject(v)) { c.add(path, 'when must be a template (true when it renders a non-empty, non-false value) or { value, equals | notEquals | in | exists }'); return undefined; }
  c.unknownFields(v, ['value', 'equals', 'notEquals', 'in', 'exists'], path);
  const t = c.template(v.value, [...path, 'value'], 'when.value');
  if (!t) return undefined;
  const tests = ['equals', 'notEquals', 'in', 'exists'].filter((k) => v[k] !== undefined);
  if (tests.length !== 1) { c.add(path, 'when needs exactly one of equals, notEquals, in, exists'); return undefined; }
  const text = JSON.stringify(v);
  // Comparisons are on text so that "5" from a CSV and 5 from JSON compare alike.
  const norm = (x: unknown) => (x === undefined || x === null ? x : typeof x === 'object' ? JSON.stringify(x) : String(x));
  switch (tests[0]) {
    case 'equals': { const want = norm(v.equals); return { test: (s) => norm(t.render(s)) === want, text }; }
    case 'notEquals': { const want = norm(v.notEquals); return { test: (s) => norm(t.render(s)) !== want, text }; }
    case 'in': {
      if (!Array.isArray(v.in)) { c.add([...path, 'in'], 'in must be a list of values'); return undefined; }
      const set = new Set(v.in.map(norm));
      return { test: (s) => set.has(norm(t.render(s))), text };
    }
    default: {
      if (typeof v.exists !== 'boolean') { c.add([...path, 'exists'], 'exists must be true or false'); return undefined; }
      const want = v.exists;
      return { test: (s) => { const x = t.render(s); return (x !== undefined && x !== null) === want; }, text };
    }
  }
}

function compileProperties(c: Checker, v: unknown, path: Array<string | number>, keyName?: string): CompiledProperty[] {
  if (v === undefined) return [];
  if (!isObject(v)) { c.add(path, 'properties must be a map of property name → template or { value, type, cardinality, default, required }'); return []; }
  const out: CompiledProperty[] = [];
  for (const [name, p] of Object.entries(v)) {
    const pp = [...path, name];
    if (!c.identifier(name, pp, 'property name')) continue;
    if (name === keyName) { c.add(pp, `property "${name}" is the key property: its value comes from the definition's value`); continue; }
    const spec: Record<string, any> = isObject(p) ? p : { value: p };
    if (isObject(p)) c.unknownFields(p, PROPERTY_FIELDS, pp);
    const template = c.template(spec.value, isObject(p) ? [...pp, 'value'] : pp, 'value');
    const type = c.oneOf(spec.type, VALUE_TYPES, [...pp, 'type'], 'type');
    const format = c.oneOf(spec.format, DATE_FORMATS, [...pp, 'format'], 'date format') ?? 'epoch';
    if (spec.format !== undefined && type !== 'date') c.add([...pp, 'format'], 'format applies only to type date');
    const cardinality = c.oneOf(spec.cardinality, CARDINALITIES as Cardinality[], [...pp, 'cardinality'], 'cardinality') ?? 'single';
    const required = c.flag(spec.required, [...pp, 'required'], false);
    if (spec.default !== undefined && (typeof spec.default === 'object' && !Array.isArray(spec.default))) {
      c.add([...pp, 'default'], 'default must be a value (text, number, boolean or list)');
    }
    if (!template) continue;
    out.push({
      name, field: `properties.${name}`, template, source: String(spec.value), type, format, cardinality,
      hasDefault: spec.default !== undefined && spec.default !== null, default: spec.default, required,
    });
  }
  return out;
}

/** Validates a parsed spec; returns the compiled mapping or the issues found (all of them, not just the first). */
export function compileSpec(spec: unknown, locate?: ParsedSpec['locate']): { mapping?: CompiledMapping; issues: SpecIssue[] } {
  const c = new Checker(locate);
  if (!isObject(spec)) { c.add([], 'the mapping spec must be a map with "vertices" (and optionally "edges", "mode", "deletes")'); return { issues: c.issues }; }
  c.unknownFields(spec, TOP_FIELDS, []);
  const mode = c.oneOf(spec.mode, ['event', 'cdc'] as const, ['mode'], 'mode') ?? 'event';
  const vertices: CompiledVertex[] = [];
  const byName = new Map<string, CompiledVertex>();
  if (!isObject(spec.vertices) || Object.keys(spec.vertices).length === 0) {
    c.add(['vertices'], 'vertices must be a map of at least one vertex definition (name → { label, key, value, ... })');
  } else {
    for (const [name, v] of Object.entries(spec.vertices)) {
      const path = ['vertices', name];
      if (!isIdentifier(name)) { c.add(path, `vertex definition name "${name}" is not a valid identifier`); continue; }
      if (!isObject(v)) { c.add(path, 'a vertex definition must be a map with label, key and value'); continue; }
      c.unknownFields(v, VERTEX_FIELDS, path);
      const labelOk = c.identifier(v.label, [...path, 'label'], 'label');
      const keyOk = c.identifier(v.key, [...path, 'key'], 'key');
      const key = c.template(v.value, [...path, 'value'], 'value');
      const keyType = c.oneOf(v.keyType, KEY_TYPES as Array<'string' | 'int' | 'long'>, [...path, 'keyType'], 'keyType');
      const properties = compileProperties(c, v.properties, [...path, 'properties'], typeof v.key === 'string' ? v.key : undefined);
      const required = c.flag(v.required, [...path, 'required'], true);
      const when = compileWhen(c, v.when, [...path, 'when']);
      const each = compileEach(c, v.each, [...path, 'each']);
      if (!labelOk || !keyOk || !key) continue;
      const cv: CompiledVertex = { name, definition: `vertices.${name}`, label: v.label, keyName: v.key, key, keySource: String(v.value), keyType, properties, required, when, each };
      vertices.push(cv);
      byName.set(name, cv);
    }
  }

  const edges: CompiledEdge[] = [];
  if (spec.edges !== undefined && !Array.isArray(spec.edges)) c.add(['edges'], 'edges must be a list of edge definitions');
  const edgeSpecs: unknown[] = Array.isArray(spec.edges) ? spec.edges : [];
  edgeSpecs.forEach((e, i) => {
    const path = ['edges', i];
    if (!isObject(e)) { c.add(path, 'an edge definition must be a map with label, from and to'); return; }
    c.unknownFields(e, EDGE_FIELDS, path);
    const labelOk = c.identifier(e.label, [...path, 'label'], 'label');
    const endpoint = (which: 'from' | 'to'): CompiledVertex | undefined => {
      const n = e[which];
      if (typeof n !== 'string') { c.add([...path, which], `${which} must name a vertex definition`); return undefined; }
      const v = byName.get(n);
      if (!v && isObject(spec.vertices) && !(n in spec.vertices)) c.add([...path, which], `${which} names no vertex definition: "${n}" (defined: ${[...Object.keys(spec.vertices)].join(', ')})`);
      return v;
    };
    const from = endpoint('from');
    const to = endpoint('to');
    let key: CompiledEdge['key'];
    if (e.key !== undefined) {
      if (!isObject(e.key)) c.add([...path, 'key'], 'key must be { name, value } (the edge property telling multi-edges apart)');
      else {
        c.unknownFields(e.key, ['name', 'value', 'type'], [...path, 'key']);
        const nameOk = c.identifier(e.key.name, [...path, 'key', 'name'], 'key.name');
        const t = c.template(e.key.value, [...path, 'key', 'value'], 'key.value');
        const type = c.oneOf(e.key.type, KEY_TYPES as Array<'string' | 'int' | 'long'>, [...path, 'key', 'type'], 'key type');
        if (nameOk && t) key = { name: e.key.name, template: t, source: String(e.key.value), type };
      }
    }
    const properties = compileProperties(c, e.properties, [...path, 'properties'], key?.name);
    const required = c.flag(e.required, [...path, 'required'], true);
    const when = compileWhen(c, e.when, [...path, 'when']);
    const own = compileEach(c, e.each, [...path, 'each']);
    if (!labelOk || !from || !to) return;
    // Per-item pairing is by item position within one array: endpoints iterating different arrays cannot pair.
    const itemPaths = [from.each?.path, to.each?.path].filter((p): p is string => p !== undefined);
    if (itemPaths.length === 2 && itemPaths[0] !== itemPaths[1]) {
      c.add(path, `from "${e.from}" iterates "${itemPaths[0]}" and to "${e.to}" iterates "${itemPaths[1]}": an edge can only pair vertices of the same each`);
      return;
    }
    if (own && itemPaths.length && itemPaths[0] !== own.path) {
      c.add([...path, 'each'], `each "${own.path}" differs from its endpoint's each "${itemPaths[0]}"`);
      return;
    }
    const each = own ?? from.each ?? to.each;
    edges.push({ definition: `edges[${i}]`, label: e.label, from, to, key, properties, required, when, each });
  });

  const deletes: CompiledVertex[] = [];
  if (spec.deletes !== undefined) {
    if (mode !== 'cdc') c.add(['deletes'], 'deletes applies only to mode: cdc');
    if (!Array.isArray(spec.deletes)) c.add(['deletes'], 'deletes must be a list of vertex definition names');
    else spec.deletes.forEach((n: unknown, i: number) => {
      const v = typeof n === 'string' ? byName.get(n) : undefined;
      if (!v) { if (!(typeof n === 'string' && isObject(spec.vertices) && n in spec.vertices)) c.add(['deletes', i], `deletes names no vertex definition: ${JSON.stringify(n)}`); return; }
      if (v.each) { c.add(['deletes', i], `"${n}" has each: a CDC delete removes the row's own vertices only`); return; }
      deletes.push(v);
    });
  } else if (mode === 'cdc' && vertices[0]) {
    if (vertices[0].each) c.add(['vertices', vertices[0].name, 'each'], 'in mode cdc the first vertex definition is the row\'s vertex (deleted on op d): it cannot have each; or list deletes');
    else deletes.push(vertices[0]);
  }

  let columns: ConnectSchema | undefined;
  if (spec.columns !== undefined) {
    if (mode !== 'cdc') c.add(['columns'], 'columns applies only to mode: cdc');
    else if (!isObject(spec.columns)) c.add(['columns'], 'columns must be a map of column name → type (or { type, scale })');
    else {
      const out: Record<string, ColumnSpec> = {};
      for (const [name, v] of Object.entries(spec.columns)) {
        const cs: Record<string, unknown> = isObject(v) ? v : { type: v };
        if (isObject(v)) c.unknownFields(v, ['type', 'scale'], ['columns', name]);
        const type = c.oneOf(cs.type, Object.keys(COLUMN_TYPES) as ColumnType[], isObject(v) ? ['columns', name, 'type'] : ['columns', name], 'column type');
        if (!type) { if (cs.type === undefined) c.add(['columns', name], 'a column needs a type'); continue; }
        if (cs.scale !== undefined && (type !== 'decimal' || !Number.isInteger(cs.scale))) { c.add(['columns', name, 'scale'], 'scale is an integer and applies only to type decimal'); continue; }
        out[name] = { type, scale: cs.scale as number | undefined };
      }
      columns = schemaFromColumns(out);
    }
  }

  if (c.issues.length) return { issues: c.issues };
  const eachPaths = new Map<string, CompiledEach>();
  for (const d of [...vertices, ...edges]) if (d.each && !eachPaths.has(d.each.path)) eachPaths.set(d.each.path, d.each);
  return {
    mapping: { mode, vertices, edges, deletes, eachPaths: [...eachPaths.values()], spec: spec as unknown as MappingSpec, ...(columns ? { columns } : {}) },
    issues: [],
  };
}

/** Parses (text or object) and compiles a spec; throws SpecError listing every issue. */
export function loadSpec(source: string | object): CompiledMapping {
  const { mapping, issues } = checkSpec(source);
  if (!mapping) throw new SpecError(issues);
  return mapping;
}

/** Like loadSpec, but returns the issues instead of throwing (the editor shows them all as markers). */
export function checkSpec(source: string | object): { mapping?: CompiledMapping; issues: SpecIssue[] } {
  if (typeof source === 'string') {
    if (source.trim() === '') return { issues: [{ path: [], message: 'the mapping spec is empty' }] };
    const parsed = parseSpecText(source);
    if (parsed.issues.length) return { issues: parsed.issues };
    return compileSpec(parsed.spec, parsed.locate);
  }
  return compileSpec(source);
}
