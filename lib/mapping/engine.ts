/*
 * The mapping engine: one event + a compiled mapping → one change set (or a MappingError naming the event, the
 * definition and the field). Framework-free; the `graph map` node and its editor preview both call it.
 *
 * Semantics (see the README, "Mapping events to the graph"):
 * - Top-level definitions (no `each`) yield at most one vertex/edge per event. A definition with `each: path` yields
 *   one per array item; its templates see `{{item...}}` (or the `as` name), `{{index}}` and every event field.
 * - An edge's endpoints are the vertices its `from`/`to` definitions produced for the same event — and, when the edge
 *   iterates an array (its own `each`, or inherited from an endpoint that has one), for the same item. An edge whose
 *   endpoint was skipped (`when` false, or optional key missing) is skipped.
 * - The same vertex (label + key value) produced twice in one event is written once: properties merge by their merge
 *   rule (later wins by default; first keeps, max/min compare); list/set values append. Identical edges merge likewise.
 * - A match-only vertex (create: false) is never upserted: it only names an edge endpoint that must already exist.
 */
import {
  describeEvent,
  vertexId,
  edgeId,
  type ChangeSet,
  type EdgeUpsert,
  type EventRef,
  type PropertyValue,
  type VertexRef,
  type VertexUpsert,
  type Cardinality,
  type MergeRule,
  type NumericType,
  mergeInBatch,
} from '../change-set';
import { coerceProperty, coerceScalar, CoercionError } from './coerce';
import type {
  CompiledEach,
  CompiledEdge,
  CompiledLabel,
  CompiledMapping,
  CompiledProperty,
  CompiledVertex,
} from './spec';
import type { Scope } from './template';
import { decodeRow, rowSchemas, UnknownColumnTypeError, type ConnectSchema } from './debezium';
import { isObject } from '../object';

/** Why one event could not be mapped. `definition` and `field` are absent for envelope problems (CDC op...). */
export class MappingError extends Error {
  constructor(
    readonly reason: string,
    readonly event: EventRef | undefined,
    readonly definition?: string,
    readonly field?: string,
  ) {
    super(
      `${describeEvent(event)}: ${definition ? `${definition}${field ? ` field "${field}"` : ''}: ` : field ? `field "${field}": ` : ''}${reason}`,
    );
  }
}

/** Missing = undefined or null: JSON has no undefined, and Debezium sends null for absent columns. */
function missing(v: unknown): boolean {
  return v === undefined || v === null;
}

interface Props {
  properties: Record<string, PropertyValue>;
  cardinality?: Record<string, Cardinality>;
  merge?: Record<string, MergeRule>;
  types?: Record<string, NumericType>;
}

class Run {
  readonly vertices: VertexUpsert[] = [];
  readonly edges: EdgeUpsert[] = [];
  /** True for a CDC before image: only the edges matter (to find re-pointed ones), nothing is coerced or checked. */
  refsOnly = false;
  // Duplicates are found by scanning while a change set is small (cheaper than building id strings), by id after.
  private vertexIndex?: Map<string, VertexUpsert>;
  private edgeIndex?: Map<string, EdgeUpsert>;
  constructor(readonly source: EventRef | undefined) {}

  private findVertex(label: string, key: string, value: string | number): VertexUpsert | undefined {
    if (this.vertexIndex) return this.vertexIndex.get(vertexId({ label, key, value }));
    const vs = this.vertices;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i];
      if (v.value === value && v.label === label && v.key === key) return v;
    }
    return undefined;
  }

  private addVertex(v: VertexUpsert): void {
    this.vertices.push(v);
    if (this.vertexIndex) this.vertexIndex.set(vertexId(v), v);
    else if (this.vertices.length > SCAN_LIMIT) this.vertexIndex = new Map(this.vertices.map((x) => [vertexId(x), x]));
  }

  private findEdge(e: EdgeUpsert): EdgeUpsert | undefined {
    if (this.edgeIndex) return this.edgeIndex.get(edgeId(e));
    const es = this.edges;
    for (let i = 0; i < es.length; i++) {
      const x = es[i];
      if (
        x.label === e.label &&
        sameRef(x.from, e.from) &&
        sameRef(x.to, e.to) &&
        (x.key === e.key ||
          (x.key !== undefined && e.key !== undefined && x.key.name === e.key.name && x.key.value === e.key.value))
      )
        return x;
    }
    return undefined;
  }

  private addEdge(e: EdgeUpsert): void {
    this.edges.push(e);
    if (this.edgeIndex) this.edgeIndex.set(edgeId(e), e);
    else if (this.edges.length > SCAN_LIMIT) this.edgeIndex = new Map(this.edges.map((x) => [edgeId(x), x]));
  }

  fail(reason: string, definition?: string, field?: string): never {
    throw new MappingError(reason, this.source, definition, field);
  }

  /** CDC upserts: the row's own vertices, whose properties that render nothing are removed (a column set to NULL). */
  rowVertices?: CompiledVertex[];

  properties(defs: CompiledProperty[], scope: Scope, definition: string, removed?: string[]): Props {
    const properties: Record<string, PropertyValue> = {};
    let cardinality: Record<string, Cardinality> | undefined;
    let merge: Record<string, MergeRule> | undefined;
    let types: Record<string, NumericType> | undefined;
    if (this.refsOnly) return { properties };
    for (let i = 0; i < defs.length; i++) {
      const p = defs[i];
      let v = p.template.render(scope);
      // Transforms run before the default: a lookup miss or an empty split is a missing value like any other.
      if (p.transform !== undefined && !missing(v)) v = p.transform(v);
      if (missing(v)) {
        if (p.hasDefault) v = p.default;
        else if (p.required)
          this.fail(
            `required value missing (template ${JSON.stringify(p.source)} rendered nothing${p.transform ? ' after its transform' : ''})`,
            definition,
            p.field,
          );
        else {
          removed?.push(p.name);
          continue;
        }
      }
      try {
        properties[p.name] = coerceProperty(v, p.type, p.cardinality, p.format, p.options);
      } catch (e) {
        if (e instanceof CoercionError) this.fail(e.message, definition, p.field);
        throw e;
      }
      if (p.cardinality !== 'single') (cardinality ??= {})[p.name] = p.cardinality;
      if (p.merge !== 'last') (merge ??= {})[p.name] = p.merge;
      // Epoch-millisecond dates are Longs in the graph (as the graph schema declares them).
      if (p.stored !== undefined) (types ??= {})[p.name] = p.stored;
    }
    return { properties, cardinality, merge, types };
  }

  label(d: { label: string; labelFrom?: CompiledLabel; definition: string }, scope: Scope): string {
    const l = d.labelFrom!;
    const raw = l.template.render(scope);
    const hit = missing(raw) ? undefined : l.map.get(typeof raw === 'string' ? raw : String(raw));
    if (hit !== undefined) return hit;
    if (l.default !== undefined) return l.default;
    return this.fail(
      `no label for ${missing(raw) ? 'a missing value' : JSON.stringify(raw)} (template ${JSON.stringify(l.source)}; label.map has ${[...l.map.keys()].map((k) => JSON.stringify(k)).join(', ')}; set label.default)`,
      d.definition,
      'label',
    );
  }

  keyValue(
    v: unknown,
    type: 'string' | 'int' | 'long' | undefined,
    definition: string,
    field: string,
  ): string | number {
    try {
      const k = coerceScalar(v, type);
      if (typeof k === 'boolean')
        this.fail('a key value must be text or a number, not a boolean (set keyType: string)', definition, field);
      if (k === '') this.fail('key value is empty', definition, field);
      return k;
    } catch (e) {
      if (e instanceof CoercionError) this.fail(e.message, definition, field);
      throw e;
    }
  }

  /** The vertex a definition yields in this scope, or null when it is skipped. */
  vertex(d: CompiledVertex, scope: Scope): VertexRef | null {
    if (d.when && !d.when.test(scope)) return null;
    let raw = d.key.render(scope);
    if (d.keyTransform !== undefined && !missing(raw)) raw = d.keyTransform(raw);
    if (missing(raw)) {
      if (!d.required || this.refsOnly) return null;
      this.fail(
        `key value missing (template ${JSON.stringify(d.keySource)} rendered nothing${d.keyTransform ? ' after keyTransform' : ''}); set required: false to skip instead`,
        d.definition,
        'value',
      );
    }
    const value = this.keyValue(raw, d.keyType, d.definition, 'value');
    const label = d.labelFrom ? this.label(d, scope) : d.label;
    // Match only: a reference for edges, never written (so never created).
    if (!d.create) return { label, key: d.keyName, value };
    const removed: string[] | undefined = this.rowVertices?.includes(d) ? [] : undefined;
    const p = this.properties(d.properties, scope, d.definition, removed);
    // p.types is this call's own object: add the key's type to it rather than copying it.
    if (d.keyType === 'int' || d.keyType === 'long') (p.types ??= {})[d.keyName] = d.keyType;
    const seen = this.findVertex(label, d.keyName, value);
    if (seen) {
      merge(seen, p);
      if (seen.remove) seen.remove = seen.remove.filter((k) => !(k in p.properties));
    } else {
      const v: VertexUpsert = { label, key: d.keyName, value, properties: p.properties };
      if (removed?.length) v.remove = removed;
      if (p.cardinality) v.cardinality = p.cardinality;
      if (p.merge) v.merge = p.merge;
      if (p.types) v.types = p.types;
      this.addVertex(v);
    }
    return { label, key: d.keyName, value };
  }

  edge(d: CompiledEdge, scope: Scope, from: VertexRef | null, to: VertexRef | null): void {
    if (!from || !to) return;
    if (d.when && !d.when.test(scope)) return;
    const e: EdgeUpsert = { label: d.labelFrom ? this.label(d, scope) : d.label, from, to, properties: {} };
    if (d.key) {
      const raw = d.key.template.render(scope);
      if (missing(raw)) {
        if (!d.required || this.refsOnly) return;
        this.fail(
          `edge key value missing (template ${JSON.stringify(d.key.source)} rendered nothing); set required: false to skip instead`,
          d.definition,
          'key.value',
        );
      }
      e.key = { name: d.key.name, value: this.keyValue(raw, d.key.type, d.definition, 'key.value') };
    }
    const p = this.properties(d.properties, scope, d.definition);
    e.properties = p.properties;
    const keyType = d.key?.type;
    if (keyType === 'int' || keyType === 'long') (p.types ??= {})[d.key!.name] = keyType;
    if (p.types) e.types = p.types;
    if (p.merge) e.merge = p.merge;
    if (d.ifMissing === 'skip') e.ifMissing = 'skip';
    const seen = this.findEdge(e);
    if (seen) merge(seen, { properties: p.properties, merge: p.merge, types: p.types });
    else this.addEdge(e);
  }
}

const SCAN_LIMIT = 32;

function sameRef(a: VertexRef, b: VertexRef): boolean {
  return a === b || (a.value === b.value && a.label === b.label && a.key === b.key);
}

function merge(into: Props, p: Props): void {
  const props = p.properties;
  for (const k of Object.keys(props)) {
    const before = into.properties[k];
    const c = p.cardinality?.[k];
    if (c && Array.isArray(before) && Array.isArray(props[k])) {
      const add = props[k] as Array<string | number | boolean>;
      into.properties[k] = c === 'set' ? [...before, ...add.filter((x) => !before.includes(x))] : [...before, ...add];
    } else into.properties[k] = mergeInBatch(p.merge?.[k] ?? into.merge?.[k], before, props[k]);
  }
  if (p.cardinality) into.cardinality = { ...into.cardinality, ...p.cardinality };
  if (p.merge) into.merge = { ...into.merge, ...p.merge };
  if (p.types) into.types = { ...into.types, ...p.types };
}

function itemScope(base: Scope, as: string, item: unknown, index: number): Scope {
  return { root: base.root, vars: { ...base.vars, [as]: item, index } };
}

/** A nested item's scope: the parent item and its index (`parentIndex`), then the item and its index (`index`). */
function nestedScope(
  base: Scope,
  parent: CompiledEach,
  parentItem: unknown,
  i: number,
  each: CompiledEach,
  item: unknown,
  j: number,
): Scope {
  return {
    root: base.root,
    vars: { ...base.vars, [parent.as]: parentItem, parentIndex: i, [each.as]: item, index: j },
  };
}

function readArray(m: CompiledMapping, run: Run, each: CompiledEach, s: Scope): unknown[] {
  const a = each.get(s);
  if (missing(a)) return [];
  if (Array.isArray(a)) return a;
  const d = [...m.vertices, ...m.edges].find((x) => x.each?.path === each.path);
  return run.fail(`each path "${each.path}" is ${typeof a}, not an array`, d?.definition, 'each');
}

/** Maps the upserts of one event (or CDC row) in the given scope. */
function mapUpserts(m: CompiledMapping, scope: Scope, run: Run): void {
  if (m.eachPaths.length === 0) {
    // No arrays: one vertex per definition, edges between them (the common case, kept free of per-item bookkeeping).
    const refs = new Map<CompiledVertex, VertexRef | null>();
    for (const d of m.vertices) refs.set(d, run.vertex(d, scope));
    for (const d of m.edges) run.edge(d, scope, refs.get(d.from) ?? null, refs.get(d.to) ?? null);
    return;
  }
  // Arrays are read once per event (nested ones once per parent item); a present non-array is an error (a missing one
  // iterates nothing).
  const arrays = new Map<string, unknown[]>();
  let nested: Map<string, unknown[][]> | undefined;
  for (const each of m.eachPaths) if (!each.parent) arrays.set(each.path, readArray(m, run, each, scope));
  if (m.nests) {
    nested = new Map();
    for (const each of m.eachPaths) {
      if (!each.parent) continue;
      const parent = m.eachByPath.get(each.parent)!;
      nested.set(
        each.path,
        arrays.get(each.parent)!.map((item, i) => readArray(m, run, each, itemScope(scope, parent.as, item, i))),
      );
    }
  }
  // Per definition: the single vertex (top-level), one per item (each), one per nested item, kept for pairing edges.
  const single = new Map<CompiledVertex, VertexRef | null>();
  const perItem = new Map<CompiledVertex, Array<VertexRef | null>>();
  const perNested = new Map<CompiledVertex, Array<Array<VertexRef | null>>>();
  for (const d of m.vertices) {
    if (!d.each) {
      single.set(d, run.vertex(d, scope));
      continue;
    }
    if (d.each.parent) {
      const parent = m.eachByPath.get(d.each.parent)!;
      const outer = arrays.get(d.each.parent)!;
      const inner = nested!.get(d.each.path)!;
      perNested.set(
        d,
        inner.map((items, i) =>
          items.map((item, j) => run.vertex(d, nestedScope(scope, parent, outer[i], i, d.each!, item, j))),
        ),
      );
      continue;
    }
    const items = arrays.get(d.each.path)!;
    const refs = new Array<VertexRef | null>(items.length);
    for (let i = 0; i < items.length; i++) refs[i] = run.vertex(d, itemScope(scope, d.each.as, items[i], i));
    perItem.set(d, refs);
  }
  for (const d of m.edges) {
    if (!d.each) {
      run.edge(d, scope, single.get(d.from) ?? null, single.get(d.to) ?? null);
      continue;
    }
    if (d.each.parent) {
      // Nested: per parent item i and nested item j; a top-level endpoint is the event's, a parent-level one item i's.
      const parent = m.eachByPath.get(d.each.parent)!;
      const outer = arrays.get(d.each.parent)!;
      const inner = nested!.get(d.each.path)!;
      const at = (v: CompiledVertex, i: number, j: number) =>
        perNested.get(v)?.[i][j] ?? perItem.get(v)?.[i] ?? single.get(v) ?? null;
      for (let i = 0; i < inner.length; i++) {
        for (let j = 0; j < inner[i].length; j++)
          run.edge(
            d,
            nestedScope(scope, parent, outer[i], i, d.each, inner[i][j], j),
            at(d.from, i, j),
            at(d.to, i, j),
          );
      }
      continue;
    }
    const items = arrays.get(d.each.path)!;
    const fromItems = perItem.get(d.from);
    const toItems = perItem.get(d.to);
    for (let i = 0; i < items.length; i++) {
      const from = fromItems ? fromItems[i] : (single.get(d.from) ?? null);
      const to = toItems ? toItems[i] : (single.get(d.to) ?? null);
      run.edge(d, itemScope(scope, d.each.as, items[i], i), from, to);
    }
  }
}

/** The edges of the given definitions in a CDC before image (best effort: an unmappable before image yields none). */
function beforeEdges(
  m: CompiledMapping,
  edges: CompiledEdge[],
  scope: Scope,
  source: EventRef | undefined,
): EdgeUpsert[] {
  const run = new Run(source);
  run.refsOnly = true;
  try {
    mapUpserts({ ...m, edges }, scope, run);
  } catch (e) {
    if (!(e instanceof MappingError)) throw e;
    return [];
  }
  return run.edges;
}

function edgeDelete(e: EdgeUpsert): ChangeSet['deletes'][number] {
  const d: ChangeSet['deletes'][number] = { kind: 'edge', label: e.label, from: e.from, to: e.to };
  if (e.key) d.key = e.key;
  return d;
}

const CDC_UPSERT_OPS: Record<string, true> = { c: true, r: true, u: true };

/** What an update's old row implied and the new one does not: the row vertex under an old key, edges at row vertices. */
function staleAfterUpdate(m: CompiledMapping, oldScope: Scope, run: Run, deletes: ChangeSet['deletes']): void {
  const old = new Run(run.source);
  // Only the old row's keys and edges matter here: its properties are neither coerced nor checked (half the cost of
  // an update was mapping the old row's properties only to throw them away).
  old.refsOnly = true;
  try {
    mapUpserts(m, oldScope, old);
  } catch (e) {
    if (e instanceof MappingError) return; // an old row that does not map implied nothing we wrote
    throw e;
  }
  const current = new Set(run.vertices.map(vertexId));
  const gone = new Set<string>();
  for (const d of m.deletes) {
    const v = old.vertices.find((x) => x.key === d.keyName && (d.labelFrom || x.label === d.label));
    if (v && !current.has(vertexId(v))) {
      deletes.push({ kind: 'vertex', label: v.label, key: v.key, value: v.value });
      gone.add(vertexId(v));
    }
  }
  const rows = new Set(run.vertices.filter((v) => m.deletes.some((d) => d.keyName === v.key)).map(vertexId));
  const edges = new Set(run.edges.map(edgeId));
  for (const e of old.edges) {
    if (edges.has(edgeId(e)) || gone.has(vertexId(e.from)) || gone.has(vertexId(e.to))) continue;
    // Only edges at the row's own vertices: an edge between shared vertices may be implied by other rows too.
    if (!rows.has(vertexId(e.from)) && !rows.has(vertexId(e.to))) continue;
    deletes.push(edgeDelete(e));
  }
}

/**
 * Maps one event. Returns null for a CDC tombstone (a null value, or a wrapper whose payload is null): Kafka log
 * compaction needs those, the graph has nothing to do. Throws MappingError for an event that cannot be mapped.
 */
export function mapEvent(m: CompiledMapping, event: unknown, source?: EventRef): ChangeSet | null {
  const run: Run = new Run(source);
  const deletes: ChangeSet['deletes'] = [];
  if (m.mode === 'cdc') {
    if (missing(event)) return null;
    let env: unknown = event;
    // Debezium's JSON converter with schemas.enable=true wraps every change as { schema, payload }.
    if (isObject(env) && 'payload' in env && 'schema' in env) {
      env = env.payload;
      if (missing(env)) return null;
    }
    if (!isObject(env))
      run.fail(
        `not a Debezium change event: ${Array.isArray(env) ? 'an array' : typeof env}, expected { op, before, after, source }`,
      );
    const op = env.op;
    if (typeof op !== 'string') run.fail('not a Debezium change event: op is missing', undefined, 'op');
    // Decode the row by the Connect schema in the message, or by the spec's columns when schemas are off.
    const schemas: { before?: ConnectSchema; after?: ConnectSchema } =
      env !== event
        ? rowSchemas((event as Record<string, unknown>).schema)
        : m.columns
          ? { before: m.columns, after: m.columns }
          : {};
    let before: unknown = env.before;
    let after: unknown = env.after;
    try {
      if (isObject(before) && schemas.before) before = decodeRow(before, schemas.before, 'before');
      if (isObject(after) && schemas.after) after = decodeRow(after, schemas.after, 'after');
    } catch (e) {
      if (e instanceof UnknownColumnTypeError) run.fail(e.message, undefined, e.column);
      throw e;
    }
    const vars = { $op: op, $before: before, $after: after, $source: env.source, $ts_ms: env.ts_ms };
    if (CDC_UPSERT_OPS[op]) {
      if (!isObject(after))
        run.fail(
          `op "${op}" needs the row in after, which is ${after === null ? 'null' : typeof after}`,
          undefined,
          'after',
        );
      run.rowVertices = m.deletes;
      mapUpserts(m, { root: after, vars }, run);
      // An update with the old row (REPLICA IDENTITY FULL, or a connector that sends it): a row vertex whose key
      // changed is deleted under its old key, and the edges the old row implied at the row's vertices, which the new
      // row no longer implies, are removed.
      if (op === 'u' && isObject(before)) staleAfterUpdate(m, { root: before, vars }, run, deletes);
    } else if (op === 'd') {
      if (!isObject(before))
        run.fail(
          'op "d" needs the deleted row\'s key in before, which is missing (check the table\'s replica identity)',
          undefined,
          'before',
        );
      const scope: Scope = { root: before, vars };
      // Edges first: a vertex delete removes its edges anyway, an edge delete alone keeps both vertices.
      if (m.edgeDeletes.length)
        for (const e of beforeEdges(m, m.edgeDeletes, scope, source)) deletes.push(edgeDelete(e));
      for (const d of m.deletes) {
        let raw = d.key.render(scope);
        if (d.keyTransform !== undefined && !missing(raw)) raw = d.keyTransform(raw);
        if (missing(raw))
          run.fail(
            `key value missing in before (template ${JSON.stringify(d.keySource)} rendered nothing)`,
            d.definition,
            'value',
          );
        deletes.push({
          kind: 'vertex',
          label: d.labelFrom ? run.label(d, scope) : d.label,
          key: d.keyName,
          value: run.keyValue(raw, d.keyType, d.definition, 'value'),
        });
      }
    } else {
      run.fail(`unknown Debezium op ${JSON.stringify(op)} (expected c, r, u or d)`, undefined, 'op');
    }
  } else {
    if (missing(event)) run.fail('the event is empty (null)');
    mapUpserts(m, { root: event }, run);
  }
  const cs: ChangeSet = { vertices: run.vertices, edges: run.edges, deletes };
  if (source) cs.source = source;
  return cs;
}

export interface MappedEvent {
  index: number;
  changeSet: ChangeSet;
}
export interface FailedEvent {
  index: number;
  error: MappingError;
}
export interface MapEventsResult {
  mapped: MappedEvent[];
  failed: FailedEvent[];
  skipped: number[];
}

/** Maps several events; each one either maps, fails (with its error) or is a skipped tombstone. */
export function mapEvents(
  m: CompiledMapping,
  events: unknown[],
  sources: Array<EventRef | undefined>,
): MapEventsResult {
  const out: MapEventsResult = { mapped: [], failed: [], skipped: [] };
  for (let i = 0; i < events.length; i++) {
    try {
      const cs = mapEvent(m, events[i], sources[i]);
      if (cs) out.mapped.push({ index: i, changeSet: cs });
      else out.skipped.push(i);
    } catch (e) {
      // A stack overflow comes from the event itself (nested too deeply to copy or print): that event fails, the
      // others still map.
      if (e instanceof RangeError)
        out.failed.push({
          index: i,
          error: new MappingError(`the event is nested too deeply to process (${e.message})`, sources[i]),
        });
      else if (!(e instanceof MappingError)) throw e;
      else out.failed.push({ index: i, error: e });
    }
  }
  return out;
}

/** EventRefs from `kafka in` metadata: per message, or per item of a batch (index = position in the payload). */
export function eventRefs(kafka: unknown, count: number, batch: boolean): Array<EventRef | undefined> {
  const k = isObject(kafka) ? kafka : undefined;
  const refs: Array<EventRef | undefined> = new Array(count);
  for (let i = 0; i < count; i++) {
    const ref: EventRef = {};
    if (k && typeof k.topic === 'string') ref.topic = k.topic;
    if (k && typeof k.partition === 'number') ref.partition = k.partition;
    if (k && Array.isArray(k.offsets)) {
      if (typeof k.offsets[i] === 'string') ref.offset = k.offsets[i];
      if (Array.isArray(k.keys) && k.keys[i] !== undefined) ref.key = k.keys[i];
    } else if (k) {
      if (typeof k.offset === 'string') ref.offset = k.offset;
      if (typeof k.key === 'string' || k.key === null) ref.key = k.key;
    }
    if (k && typeof k.lease === 'number') ref.lease = k.lease;
    if (batch) ref.index = i;
    refs[i] = Object.keys(ref).length ? ref : undefined;
  }
  return refs;
}
