/*
 * How each server dialect writes a plan. Every builder returns a small, constant number of requests per phase (one,
 * or a few chunks of at most `chunkSize` rows), never one per event; event values travel only as data (bytecode
 * arguments or ONE script binding), never inside script text. Labels and keys are checked identifiers.
 *
 * tinkerpop / neptune: bytecode, g.inject(rows).unfold().as('m').mergeV(select('m').select('s'))
 *   .option(onCreate, select('m').select('p')) — since TinkerPop 3.8 the option traversals see the merged vertex,
 *   so they select the labelled row. A missing edge endpoint makes the request fail with fail() (a server error).
 *   The linked plan (tinkerpop's default) then merges the edges between the batch's own vertices by the ids the
 *   vertex requests returned (mergePlan below).
 * legacy / cosmos: inject(rows) + choose(group) + coalesce(lookup, addV/addE), the lookup matching the row through
 *   where(...).by(key).by(select(...)) (not index-backed: fine for TinkerGraph, slow on very large graphs).
 *   legacy sends it as bytecode; cosmos renders the same traversal to a script whose only binding is `rows`.
 *   Rows whose edge was not written (endpoint missing) are simply absent from the result.
 */
import { VertexRef, PropertyValue, NumericType, MergeRule, vertexId, edgeId, EDGE_IDENTITY } from '../change-set';
import { gremlin, Dialect } from './connection';
import { WritePlan, PlannedVertex, PlannedEdge } from './plan';
import { typed } from './wire';

const { t, merge, direction, P, cardinality } = gremlin.process;
const __ = gremlin.process.statics;
const Traversal = gremlin.process.Traversal;
const EnumValue = gremlin.process.EnumValue;
const graphTraversal = () => new gremlin.structure.Graph().traversal();

/** One request: `rows` = which planned items (indices into the phase's item list) it writes. */
export interface WriteRequest {
  message: unknown;
  bindings?: Record<string, unknown>;
  /** Indices (into the phase's items) covered by this request. */
  items: number[];
  /** True when the request returns the indices of the rows it wrote (used to find edges not written). */
  returnsRows: boolean;
}

export interface DialectOptions {
  dialect: Dialect;
  /** Cosmos: the partition-key property set on every created vertex (value: that property, else the key value). */
  partitionKey?: string;
  /** Rows per request; default 1000 (tinkerpop, legacy) or 100 (cosmos, neptune: provider guidance). */
  chunkSize?: number;
  /**
   * mergeV/mergeE dialects: `linked` (default on tinkerpop: TinkerGraph, JanusGraph) has the vertex requests return
   * their ids and merges the edges between the batch's vertices with those ids in mergeE's search map; `per-element`
   * (default on neptune, not verified there with the linked plan) has mergeE look both endpoints up by key per edge.
   */
  mergePlan?: MergePlan;
  /**
   * mergeV/mergeE dialects on JanusGraph with the edge identity index (lib/graph-schema): each keyed edge merges its
   * identity vertex (EDGE_IDENTITY) in the same request, so that concurrent creators of one edge collide on its lock;
   * edge deletes drop it with the edge.
   */
  edgeIdentities?: boolean;
}

export type MergePlan = 'linked' | 'per-element';

export const EDGE_ENDPOINT_MISSING = 'edge endpoint vertex not found';

function chunks(n: number, size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i += size) out.push(Array.from({ length: Math.min(size, n - i) }, (_, j) => i + j));
  return out;
}

/** Properties with each declared number type attached, so the graph stores Double/Long/Integer as declared. */
const typedMap = (o: Record<string, unknown>, types: Record<string, NumericType>) =>
  new Map(Object.entries(o).map(([k, v]) => [k, typed(v, types[k])]));

/** A vertex's single-valued properties ('p') and its list/set ones ('l'), each typed. */
function splitProperties(v: PlannedVertex): { single: Map<string, unknown>; multi: Map<string, unknown> } {
  const single = new Map<string, unknown>();
  const multi = new Map<string, unknown>();
  for (const [k, val] of Object.entries(v.properties)) (v.multi[k] ? multi : single).set(k, typed(val, v.types[k]));
  return { single, multi };
}

/**
 * Writes the list/set properties of the row's vertex (labelled 'v'): for each such key present in the row, drop the
 * vertex's values of that key, then add each value with the key's cardinality. A key absent from the row is left
 * alone (select() of a missing key yields nothing, so neither step runs).
 */
function writeMulti(tr: any, keys: Array<[string, 'list' | 'set']>): any {
  for (const [k, c] of keys) {
    const values = () => __.select('m').select('l').select(k);
    tr = tr
      .sideEffect(values().select('v').properties(k).drop())
      .sideEffect(values().unfold().as('x').select('v').property(cardinality[c], k, __.select('x')));
  }
  return tr;
}

/* ------------------------------------------------------------------ merge rules (every dialect, no read first) */

type Ruled = { properties: Record<string, PropertyValue>; merge?: Record<string, MergeRule> };

/** The properties a plain overwrite may set: all but those with a merge rule (they are set by mergeRuleSteps). */
function overwritable(item: Ruled): Record<string, PropertyValue> {
  if (!item.merge) return item.properties;
  const out: Record<string, PropertyValue> = {};
  for (const [k, v] of Object.entries(item.properties)) if (!item.merge[k]) out[k] = v;
  return out;
}

/** The ruled properties of the items, by name (one set of steps per name and rule in a request). */
function ruledNames(items: Ruled[]): Array<[string, MergeRule]> {
  const names = new Map<string, MergeRule>();
  for (const it of items)
    for (const [k, r] of Object.entries(it.merge ?? {})) if (k in it.properties) names.set(`${k}\u0000${r}`, r);
  return [...names.entries()].map(([k, r]) => [k.split('\u0000')[0], r]);
}

/**
 * Steps that apply merge rules to the element at hand, reading the new value from the row (`value(k)` = a traversal
 * yielding it, or nothing when the row has none): first sets only a property the element lacks; max/min set the larger
 * or smaller of the stored and the new value. optional() keeps the element flowing whether or not a step applied.
 */
function mergeRuleSteps(
  tr: any,
  rules: Array<[string, MergeRule]>,
  value: (k: string) => any,
  vertex: boolean,
  guard: boolean,
): any {
  for (const [k, rule] of rules) {
    const v =
      rule === 'first'
        ? value(k)
        : rule === 'max'
          ? __.union(__.values(k), value(k)).max()
          : __.union(__.values(k), value(k)).min();
    const set = (x: any) => (vertex ? x.property(cardinality.single, k, v) : x.property(k, v));
    if (!guard && rule !== 'first') {
      tr = set(tr);
      continue;
    }
    let step = guard ? __.filter(value(k)) : undefined;
    if (rule === 'first') step = step ? step.hasNot(k) : __.hasNot(k);
    tr = tr.optional(set(step));
  }
  return tr;
}

function multiKeys(items: PlannedVertex[], idx: number[]): Array<[string, 'list' | 'set']> {
  const keys = new Map<string, 'list' | 'set'>();
  for (const i of idx) for (const [k, c] of Object.entries(items[i].multi)) keys.set(k, c);
  return [...keys.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/** A vertex as merge rules see it: its single-valued properties only (list/set ones are replaced, never merged). */
function singleValued(v: PlannedVertex): Ruled {
  const properties: Record<string, PropertyValue> = {};
  for (const [k, val] of Object.entries(v.properties)) if (!v.multi[k]) properties[k] = val;
  return { properties, merge: v.merge };
}

/* ------------------------------------------------------------------ tinkerpop / neptune (mergeV / mergeE) */

function mergeVertexRequest(items: PlannedVertex[], idx: number[]): WriteRequest {
  const bc = vertexTraversal(items, idx, vertexRows(items, idx)).select('m').select('i').getBytecode();
  return { message: bc, items: idx, returnsRows: true };
}

function vertexRows(items: PlannedVertex[], idx: number[]): Array<Map<string, unknown>> {
  const rules = ruledNames(idx.map((i) => singleValued(items[i])));
  return idx.map((i) => {
    const { single, multi } = splitProperties(items[i]);
    const row = new Map<string, unknown>([
      [
        's',
        new Map<unknown, unknown>([
          [t.label, items[i].ref.label],
          [items[i].ref.key, typed(items[i].ref.value, items[i].types[items[i].ref.key])],
        ]),
      ],
      ['p', single],
      ['i', i],
    ]);
    // With merge rules, a match overwrites only the unruled properties ('u'); the ruled ones follow as steps.
    if (rules.length) row.set('u', typedMap(overwritable(singleValued(items[i])), items[i].types));
    if (multi.size) row.set('l', multi);
    return row;
  });
}

/** mergeV over the rows, each traverser left on its vertex with the row labelled 'm'. */
function vertexTraversal(items: PlannedVertex[], idx: number[], rows: Array<Map<string, unknown>>): any {
  const rules = ruledNames(idx.map((i) => singleValued(items[i])));
  const m = () => __.select('m');
  let tr = graphTraversal()
    .inject(rows)
    .unfold()
    .as('m')
    .mergeV(m().select('s'))
    .option(merge.onCreate, m().select('p'))
    .option(merge.onMatch, m().select(rules.length ? 'u' : 'p'));
  tr = mergeRuleSteps(tr, rules, (k) => m().select('p').select(k), true, true);
  const multiK = multiKeys(items, idx);
  if (multiK.length) tr = writeMulti(tr.as('v'), multiK);
  return tr;
}

/** The identity vertex's search map of a keyed edge (row field 'x'), when the guard is on. */
function identityRow(row: Map<string, unknown>, e: PlannedEdge, guard: boolean | undefined): Map<string, unknown> {
  if (guard && e.key)
    row.set(
      'x',
      new Map<unknown, unknown>([
        [t.label, EDGE_IDENTITY.label],
        [EDGE_IDENTITY.key, edgeId(e)],
      ]),
    );
  return row;
}

/**
 * The rows' identity vertices merged first (rows without 'x' pass unchanged: select() of a missing key yields nothing).
 * Merged before the edge, in the same transaction: the unique index lock is what serializes the edge's creators.
 */
const mergeIdentities = (tr: any, guard: boolean | undefined): any =>
  guard ? tr.sideEffect(__.select('x').mergeV()) : tr;

function mergeEdgeRequest(items: PlannedEdge[], idx: number[], guard?: boolean): WriteRequest {
  const rules = ruledNames(idx.map((i) => items[i]));
  const ref = (r: VertexRef) =>
    new Map<unknown, unknown>([
      [t.label, r.label],
      [r.key, r.value],
    ]);
  const rows = idx.map((i) => {
    const e = items[i];
    const search = new Map<unknown, unknown>([
      [t.label, e.label],
      [direction.out, merge.outV],
      [direction.in, merge.inV],
    ]);
    if (e.key) search.set(e.key.name, typed(e.key.value, e.types[e.key.name]));
    const row = new Map<string, unknown>([
      ['e', search],
      ['f', ref(e.from)],
      ['t', ref(e.to)],
      ['p', typedMap(e.properties, e.types)],
      ['i', i],
    ]);
    if (rules.length) row.set('u', typedMap(overwritable(e), e.types));
    if (e.skipIfMissing) row.set('o', true);
    return identityRow(row, e, guard);
  });
  const m = () => __.select('m');
  // mergeE yields nothing when an endpoint is missing: coalesce(mergeE, fail()) turns that into a server error, so the
  // batch writer bisects and reports the offending event with the server's message. A row marked 'o' (ifMissing:
  // skip) yields its mark instead: the edge is left out, the request goes on. (After local(mergeE.fold()) the row's
  // label is no longer selectable, so the mark must be read inside the coalesce.)
  const upsert = mergeRuleSteps(
    __.mergeE(m().select('e'))
      .option(merge.outV, m().select('f'))
      .option(merge.inV, m().select('t'))
      .option(merge.onCreate, m().select('p'))
      .option(merge.onMatch, m().select(rules.length ? 'u' : 'p')),
    rules,
    (k) => m().select('p').select(k),
    false,
    true,
  );
  const missing = idx.some((i) => items[i].skipIfMissing)
    ? [m().select('o'), __.fail(EDGE_ENDPOINT_MISSING)]
    : [__.fail(EDGE_ENDPOINT_MISSING)];
  const bc = mergeIdentities(graphTraversal().inject(rows).unfold().as('m'), guard)
    .coalesce(upsert, ...missing)
    .count()
    .getBytecode();
  // Every row is written or the request fails: nothing to check row by row.
  return { message: bc, items: idx, returnsRows: false };
}

/**
 * The linked plan, vertex half: mergeV as in mergeVertexRequest, returning [row, vertex id] pairs, so that the edges
 * between them can name their endpoints by id (linkedEdgeRequest).
 */
function linkedVertexRequest(items: PlannedVertex[], idx: number[]): WriteRequest {
  const bc = vertexTraversal(items, idx, vertexRows(items, idx))
    .project('i', 'id')
    .by(__.select('m').select('i'))
    .by(t.id)
    .getBytecode();
  return { message: bc, items: idx, returnsRows: true };
}

/**
 * The linked plan, edge half: mergeE with the endpoint ids the vertex half returned, put in the search map itself.
 * mergeE then finds an existing edge by walking the out vertex's edges of that label (no label scan) and needs no
 * Merge.outV/inV lookup: one search traversal per edge instead of three (each built and optimised per row: the bulk of
 * the server's CPU in the profile, README, Performance). Both endpoints exist by construction (merged just before).
 */
function linkedEdgeRequest(
  items: PlannedEdge[],
  idx: number[],
  ends: Array<[unknown, unknown]>,
  guard?: boolean,
): WriteRequest {
  const rules = ruledNames(idx.map((i) => items[i]));
  const rows = idx.map((i, n) => {
    const e = items[i];
    const search = new Map<unknown, unknown>([
      [t.label, e.label],
      [direction.out, ends[n][0]],
      [direction.in, ends[n][1]],
    ]);
    if (e.key) search.set(e.key.name, typed(e.key.value, e.types[e.key.name]));
    const row = new Map<string, unknown>([
      ['e', search],
      ['p', typedMap(e.properties, e.types)],
    ]);
    if (rules.length) row.set('u', typedMap(overwritable(e), e.types));
    return identityRow(row, e, guard);
  });
  const m = () => __.select('m');
  const upsert = mergeRuleSteps(
    mergeIdentities(graphTraversal().inject(rows).unfold().as('m'), guard)
      .mergeE(m().select('e'))
      .option(merge.onCreate, m().select('p'))
      .option(merge.onMatch, m().select(rules.length ? 'u' : 'p')),
    rules,
    (k) => m().select('p').select(k),
    false,
    true,
  );
  return { message: upsert.count().getBytecode(), items: idx, returnsRows: false };
}

/** Vertices whose properties to drop, grouped by label, key and the set of names: one step per group. */
function propertyDrops(
  plan: WritePlan,
  partitionKey?: string,
): Array<{ ref: VertexRef; names: string[]; values: Array<string | number> }> {
  const groups = new Map<string, { ref: VertexRef; names: string[]; values: Array<string | number> }>();
  for (const v of plan.vertices) {
    // Cosmos' partition-key property places the vertex: it is never dropped.
    const names = (v.remove ?? []).filter((k) => k !== partitionKey).sort();
    if (names.length === 0) continue;
    const g = groupKey(v.ref.label, v.ref.key, ...names);
    if (!groups.has(g)) groups.set(g, { ref: v.ref, names, values: [] });
    groups.get(g)!.values.push(v.ref.value);
  }
  return [...groups.values()];
}

function bytecodeDeleteRequest(plan: WritePlan, guard?: boolean): WriteRequest | null {
  const drops = propertyDrops(plan);
  if (plan.vertexDeletes.length === 0 && plan.edgeDeletes.length === 0 && drops.length === 0) return null;
  let tr = graphTraversal().inject(0);
  for (const d of plan.edgeDeletes) {
    let e = __.V().has(d.from.label, d.from.key, d.from.value).outE(d.label);
    if (d.key) e = e.has(d.key.name, d.key.value);
    tr = tr.sideEffect(e.where(__.inV().has(d.to.label, d.to.key, d.to.value)).drop());
    // The identity goes with its edge: a later creator of the same edge creates it again, under the lock.
    if (guard && d.key) tr = tr.sideEffect(__.V().has(EDGE_IDENTITY.label, EDGE_IDENTITY.key, edgeId(d)).drop());
  }
  // Vertex deletes grouped per label and key: one step per group, whatever the number of vertices.
  const groups = new Map<string, { ref: VertexRef; values: Array<string | number> }>();
  for (const d of plan.vertexDeletes) {
    const g = `${d.ref.label}\u0000${d.ref.key}`;
    if (!groups.has(g)) groups.set(g, { ref: d.ref, values: [] });
    groups.get(g)!.values.push(d.ref.value);
  }
  for (const { ref, values } of groups.values())
    tr = tr.sideEffect(__.V().has(ref.label, ref.key, P.within(values)).drop());
  for (const { ref, names, values } of drops)
    tr = tr.sideEffect(
      __.V()
        .has(ref.label, ref.key, P.within(values))
        .properties(...names)
        .drop(),
    );
  return { message: tr.getBytecode(), items: [], returnsRows: false };
}

/* ------------------------------------------------------------------ legacy / cosmos (coalesce idiom) */

/** Marks where the `rows` list goes: bytecode gets the rows themselves, a script gets the binding name. */
const ROWS = Symbol('rows');

/** Row lookup: the vertex of label `label` whose `key` equals the row's field `field`. */
function lookup(start: any, ref: { label: string; key: string }, as: string, field: string): any {
  return start.hasLabel(ref.label).as(as).where(as, P.eq('m')).by(ref.key).by(__.select(field));
}

function setProperties(tr: any, keys: string[], skip?: string, rules?: Record<string, MergeRule>): any {
  const sel = (k: string) => __.select('m').select('p').select(k);
  for (const k of keys) if (k !== skip && !rules?.[k]) tr = tr.property(k, sel(k));
  // Every row of a group has every key of the group: the rule steps need no guard.
  // Plain property() like the unruled keys above: these dialects leave cardinality to the graph's schema.
  if (rules)
    tr = mergeRuleSteps(
      tr,
      keys.filter((k) => k !== skip && rules[k]).map((k) => [k, rules[k]]),
      sel,
      false,
      false,
    );
  return tr;
}

/** Group key part for merge rules: rows of one group share their property names and the rules on them. */
const rulesKey = (props: string[], merge?: Record<string, MergeRule>) =>
  merge ? props.map((k) => merge[k] ?? '') : [];

const groupKey = (...parts: Array<string | undefined>) => parts.map((p) => p ?? '').join('\u0000');

interface CoalesceBuild {
  traversal: any;
  rows: Array<Record<string, unknown>>;
}

function coalesceVertices(items: PlannedVertex[], idx: number[], partitionKey?: string): CoalesceBuild {
  const groups = new Map<
    string,
    {
      name: string;
      ref: VertexRef;
      props: string[];
      merge?: Record<string, MergeRule>;
      multi: Array<[string, 'list' | 'set']>;
    }
  >();
  const rows = idx.map((i) => {
    const v = items[i];
    const props = Object.keys(v.properties)
      .filter((k) => k !== partitionKey && !v.multi[k])
      .sort();
    const multi = Object.entries(v.multi).sort(([a], [b]) => a.localeCompare(b)) as Array<[string, 'list' | 'set']>;
    const gk = groupKey(
      v.ref.label,
      v.ref.key,
      ...props,
      '\u0001',
      ...rulesKey(props, v.merge),
      '\u0002',
      ...multi.map(([k, c]) => `${k}:${c}`),
    );
    if (!groups.has(gk)) groups.set(gk, { name: `g${groups.size}`, ref: v.ref, props, merge: v.merge, multi });
    const { single, multi: multiValues } = splitProperties(v);
    const row: Record<string, unknown> = {
      g: groups.get(gk)!.name,
      v: typed(v.ref.value, v.types[v.ref.key]),
      p: single,
      i,
    };
    if (multiValues.size) row.l = multiValues;
    if (partitionKey) row.pk = (v.properties[partitionKey] as PropertyValue | undefined) ?? v.ref.value;
    return row;
  });
  let choose = graphTraversal().inject(ROWS).unfold().as('m').choose(__.select('g'));
  for (const g of groups.values()) {
    let create = __.addV(g.ref.label).property(g.ref.key, __.select('m').select('v'));
    if (partitionKey && partitionKey !== g.ref.key) create = create.property(partitionKey, __.select('m').select('pk'));
    const branch = setProperties(__.coalesce(lookup(__.V(), g.ref, 'x', 'v'), create), g.props, undefined, g.merge);
    choose = choose.option(g.name, g.multi.length ? writeMulti(branch.as('v'), g.multi) : branch);
  }
  return { traversal: choose.select('m').select('i'), rows };
}

function coalesceEdges(items: PlannedEdge[], idx: number[]): CoalesceBuild {
  const groups = new Map<
    string,
    { name: string; e: PlannedEdge; props: string[]; merge?: Record<string, MergeRule> }
  >();
  const rows = idx.map((i) => {
    const e = items[i];
    const props = Object.keys(e.properties).sort();
    const gk = groupKey(
      e.label,
      e.from.label,
      e.from.key,
      e.to.label,
      e.to.key,
      e.key?.name,
      ...props,
      '\u0001',
      ...rulesKey(props, e.merge),
    );
    if (!groups.has(gk)) groups.set(gk, { name: `g${groups.size}`, e, props, merge: e.merge });
    const row: Record<string, unknown> = {
      g: groups.get(gk)!.name,
      f: e.from.value,
      t: e.to.value,
      p: typedMap(e.properties, e.types),
      i,
    };
    if (e.key) row.k = typed(e.key.value, e.types[e.key.name]);
    return row;
  });
  let choose = graphTraversal().inject(ROWS).unfold().as('m').choose(__.select('g'));
  for (const g of groups.values()) {
    const e = g.e;
    let existing = __.select('a').outE(e.label);
    if (e.key) existing = existing.as('y').where('y', P.eq('m')).by(e.key.name).by(__.select('k'));
    existing = existing.where(__.inV().as('b'));
    let create = __.addE(e.label).from_('a').to('b');
    if (e.key) create = create.property(e.key.name, __.select('m').select('k'));
    const branch = lookup(lookup(__.V(), e.from, 'a', 'f').V(), e.to, 'b', 't').coalesce(existing, create);
    choose = choose.option(g.name, setProperties(branch, g.props, undefined, g.merge));
  }
  return { traversal: choose.select('m').select('i'), rows };
}

function coalesceDeletes(plan: WritePlan, partitionKey?: string): CoalesceBuild | null {
  const drops = propertyDrops(plan, partitionKey);
  if (plan.vertexDeletes.length === 0 && plan.edgeDeletes.length === 0 && drops.length === 0) return null;
  const groups = new Map<string, { name: string; branch: any }>();
  const rows: Array<Record<string, unknown>> = [];
  for (const d of plan.edgeDeletes) {
    const gk = groupKey('e', d.label, d.from.label, d.from.key, d.to.label, d.to.key, d.key?.name);
    if (!groups.has(gk)) {
      let edge = lookup(lookup(__.V(), d.from, 'a', 'f').V(), d.to, 'b', 't')
        .select('a')
        .outE(d.label);
      if (d.key) edge = edge.as('y').where('y', P.eq('m')).by(d.key.name).by(__.select('k'));
      groups.set(gk, { name: `g${groups.size}`, branch: edge.where(__.inV().as('b')).drop() });
    }
    const row: Record<string, unknown> = { g: groups.get(gk)!.name, f: d.from.value, t: d.to.value };
    if (d.key) row.k = d.key.value;
    rows.push(row);
  }
  for (const d of plan.vertexDeletes) {
    const gk = groupKey('v', d.ref.label, d.ref.key);
    if (!groups.has(gk)) groups.set(gk, { name: `g${groups.size}`, branch: lookup(__.V(), d.ref, 'x', 'v').drop() });
    rows.push({ g: groups.get(gk)!.name, v: d.ref.value });
  }
  for (const d of drops) {
    const name = `g${groups.size}`;
    groups.set(groupKey('p', d.ref.label, d.ref.key, ...d.names), {
      name,
      branch: lookup(__.V(), d.ref, 'x', 'v')
        .properties(...d.names)
        .drop(),
    });
    for (const value of d.values) rows.push({ g: name, v: value });
  }
  let choose = graphTraversal().inject(ROWS).unfold().as('m').choose(__.select('g'));
  for (const g of groups.values()) choose = choose.option(g.name, g.branch);
  return { traversal: choose, rows };
}

/* ------------------------------------------------------------------ script rendering (cosmos) */

const SAFE_STRING = /^[A-Za-z_][A-Za-z0-9_ ]{0,127}$/;

function renderArg(a: any): string {
  if (a === ROWS) return 'rows';
  if (typeof a === 'string') {
    // Only identifiers and the builder's own constants reach here; anything else is a bug, not data to quote.
    if (!SAFE_STRING.test(a)) throw new Error(`refusing to put ${JSON.stringify(a)} into a script`);
    return `'${a}'`;
  }
  if (typeof a === 'number' && Number.isInteger(a)) return String(a);
  if (a instanceof Traversal) return renderBytecode(a.getBytecode(), '__');
  if (a instanceof P) return `${a.operator}(${renderArg(a.value)})`;
  // Cardinality as the bare static import (list, set): `Cardinality` alone means JanusGraph's own enum on JanusGraph.
  if (a instanceof EnumValue)
    return a.typeName === 'Cardinality' ? String(a.elementName) : `${a.typeName}.${a.elementName}`;
  throw new Error(`cannot render ${String(a)} into a script`);
}

function renderBytecode(bc: any, start: string): string {
  return (
    start +
    bc.stepInstructions
      .map((ins: unknown[]) => `.${String(ins[0])}(${ins.slice(1).map(renderArg).join(', ')})`)
      .join('')
  );
}

/** Renders a traversal built by this module to a Groovy-free Gremlin script (binding `rows`). */
export function renderScript(traversal: any): string {
  return renderBytecode(traversal.getBytecode(), 'g');
}

function withRows(traversal: any, rows: unknown[]): unknown {
  // Swap the marker for the data in a copy of the bytecode: bytecode carries the rows as typed values.
  const bc = traversal.getBytecode();
  for (const ins of bc.sourceInstructions.concat(bc.stepInstructions)) {
    for (let k = 1; k < ins.length; k++) if (ins[k] === ROWS) ins[k] = rows;
  }
  return bc;
}

function coalesceRequest(dialect: Dialect, build: CoalesceBuild, items: number[], returnsRows: boolean): WriteRequest {
  if (dialect === 'cosmos') {
    // One list binding: servers cap the number of parameters (maxParameters), not their size.
    const rows = build.rows.map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Map ? Object.fromEntries(v) : v])),
    );
    return { message: renderScript(build.traversal), bindings: { rows }, items, returnsRows };
  }
  return { message: withRows(build.traversal, build.rows), items, returnsRows };
}

/* ------------------------------------------------------------------ entry points */

export function defaultChunkSize(dialect: Dialect): number {
  return dialect === 'cosmos' || dialect === 'neptune' ? 100 : 1000;
}

export interface PhaseRequests {
  deletes: WriteRequest[];
  vertices: WriteRequest[];
  edges: WriteRequest[];
  /**
   * Linked plan: the edges between this batch's vertices, built once the vertex requests returned their ids
   * (`vertexIds`: plan vertex index → id; those requests return [{i, id}] rows).
   */
  linkEdges?: (vertexIds: Map<number, unknown>) => WriteRequest[];
}

/** The requests that write a plan, phase by phase. */
export function buildRequests(plan: WritePlan, o: DialectOptions): PhaseRequests {
  const size = o.chunkSize ?? defaultChunkSize(o.dialect);
  const merges = o.dialect === 'tinkerpop' || o.dialect === 'neptune';
  const out: PhaseRequests = { deletes: [], vertices: [], edges: [] };
  if (merges) {
    const guard = o.dialect === 'tinkerpop' && o.edgeIdentities;
    const del = bytecodeDeleteRequest(plan, guard);
    if (del) out.deletes.push(del);
    const linked = (o.mergePlan ?? (o.dialect === 'tinkerpop' ? 'linked' : 'per-element')) === 'linked';
    if (linked) {
      // Edges whose two endpoints are vertices of this batch wait for their ids (linkEdges); the others (an endpoint
      // not in this batch) go the per-element way, which also reports or skips a missing endpoint.
      const inBatch = new Map<string, number>(plan.vertices.map((v, i) => [vertexId(v.ref), i]));
      const linkedEdges: number[] = [];
      const rest: number[] = [];
      plan.edges.forEach((e, i) =>
        (inBatch.has(vertexId(e.from)) && inBatch.has(vertexId(e.to)) ? linkedEdges : rest).push(i),
      );
      for (const c of chunks(plan.vertices.length, size)) out.vertices.push(linkedVertexRequest(plan.vertices, c));
      for (let k = 0; k < rest.length; k += size)
        out.edges.push(mergeEdgeRequest(plan.edges, rest.slice(k, k + size), guard));
      if (linkedEdges.length) {
        out.linkEdges = (vertexIds) => {
          const reqs: WriteRequest[] = [];
          for (let k = 0; k < linkedEdges.length; k += size) {
            const idx = linkedEdges.slice(k, k + size);
            const ends = idx.map((i): [unknown, unknown] => [
              vertexIds.get(inBatch.get(vertexId(plan.edges[i].from))!),
              vertexIds.get(inBatch.get(vertexId(plan.edges[i].to))!),
            ]);
            reqs.push(linkedEdgeRequest(plan.edges, idx, ends, guard));
          }
          return reqs;
        };
      }
    } else {
      for (const c of chunks(plan.vertices.length, size)) out.vertices.push(mergeVertexRequest(plan.vertices, c));
      for (const c of chunks(plan.edges.length, size)) out.edges.push(mergeEdgeRequest(plan.edges, c, guard));
    }
  } else {
    const del = coalesceDeletes(plan, o.dialect === 'cosmos' ? o.partitionKey : undefined);
    if (del) out.deletes.push(coalesceRequest(o.dialect, del, [], false));
    for (const c of chunks(plan.vertices.length, size))
      out.vertices.push(
        coalesceRequest(
          o.dialect,
          coalesceVertices(plan.vertices, c, o.dialect === 'cosmos' ? o.partitionKey : undefined),
          c,
          true,
        ),
      );
    for (const c of chunks(plan.edges.length, size))
      out.edges.push(coalesceRequest(o.dialect, coalesceEdges(plan.edges, c), c, true));
  }
  return out;
}
