/*
 * Graph checker for the reliability suite: the graph the demo events MUST produce, and the graph the server HOLDS,
 * both as canonical lines (one per vertex and edge: label, keys, properties), compared by counts per label and a
 * sha256 checksum over the sorted lines. Equal checksums mean equal graphs down to every property value.
 *
 * Expected (expectedGraph): the generator's own model of the graph its events must produce (lib/demo/generator.ts,
 * written in domain terms, not through lib/mapping), so a mapping regression that changes a value cannot pass the
 * checksum. The generator keeps each customer's events on one key (one partition per topic) and keeps cross-topic
 * writes commutative, so any per-partition interleaving gives this graph.
 *
 * Mapped (mappedGraph): every demo event mapped by the real engine (lib/mapping with mappings/*.yaml, as the pipeline's
 * graph map nodes do) and its change set applied to an in-memory graph with upsert semantics — single-cardinality
 * properties overwrite, list appends, set unions; a vertex delete removes its edges; an edge delete removes that edge.
 * test/unit/demo-mappings.test.ts holds it against the generator's model, line by line.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './project';
import * as assert from 'node:assert/strict';
import { DemoRecord, DemoGraph, ModelVertex, ModelEdge, MAPPING_OF } from '../../lib/demo/generator';
import { loadSpec, mapEvent, MappingError, CompiledMapping } from '../../lib/mapping';
import { ChangeSet, PropertyValue, VertexRef, vertexId, edgeId, EDGE_IDENTITY } from '../../lib/change-set';
import { GremlinConnection } from '../../lib/gremlin/connection';

type Props = Record<string, PropertyValue>;
type GraphVertex = Omit<ModelVertex, 'value' | 'props'> & { value: string | number; props: Props };
type GraphEdge = Omit<ModelEdge, 'from' | 'to' | 'props'> & { from: VertexRef; to: VertexRef; props: Props };

/** A graph as canonical lines, with the per-label counts derived from them. */
export interface GraphSnapshot {
  vertices: Record<string, number>;
  edges: Record<string, number>;
  /** Canonical lines, sorted; one per vertex and edge. */
  lines: string[];
  checksum: string;
  /** Identities seen more than once (a duplicated vertex or edge on the server). */
  duplicates: string[];
}

/** Canonical text of a property value: numbers as numbers (the server may hand back int, long or double). */
function canonicalValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (Array.isArray(v)) return v.map(canonicalValue);
  return v;
}

function canonicalProps(props: Record<string, unknown>, exclude: Set<string>): string {
  const keys = Object.keys(props)
    .filter((k) => !exclude.has(k))
    .sort();
  return JSON.stringify(keys.map((k) => [k, canonicalValue(props[k])]));
}

const refText = (label: string, value: unknown) => `${label}=${JSON.stringify(canonicalValue(value))}`;

function snapshot(vertexLines: Array<[string, string]>, edgeLines: Array<[string, string]>): GraphSnapshot {
  const vertices: Record<string, number> = {};
  const edges: Record<string, number> = {};
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const lines: string[] = [];
  for (const [kind, list, counts] of [
    ['V', vertexLines, vertices],
    ['E', edgeLines, edges],
  ] as const) {
    for (const [identity, props] of list) {
      const label = identity.slice(0, identity.indexOf('|'));
      counts[label] = (counts[label] ?? 0) + 1;
      if (seen.has(`${kind}|${identity}`)) duplicates.push(`${kind}|${identity}`);
      seen.add(`${kind}|${identity}`);
      lines.push(`${kind}|${identity}|${props}`);
    }
  }
  lines.sort();
  const hash = crypto.createHash('sha256');
  for (const l of lines) hash.update(`${l}\n`);
  return { vertices, edges, lines, checksum: hash.digest('hex'), duplicates };
}

/**
 * Properties left out of the checksum (label → property names). Empty: every property of the demo graph is
 * deterministic under per-partition ordering. A property found order-dependent would be listed here with the reason.
 */
export const EXCLUDED_PROPERTIES: Record<string, string[]> = {};
const excluded = (label: string) => new Set(EXCLUDED_PROPERTIES[label] ?? []);

export interface ExpectedGraph extends GraphSnapshot {
  /** The key property name per vertex label (customer → customerId, ...). */
  keyOf: Record<string, string>;
  /** The edge key name per multi-edge label (viewed → clickId, contains → lineNo): part of an edge's identity. */
  edgeKeyOf: Record<string, string>;
  /** Good events (reach the graph or are skipped tombstones) and bad events (must reach the dead-letter topic). */
  good: number;
  bad: number;
}

function applyProps(target: Props, props: Props | undefined, cardinality?: Record<string, string>): void {
  for (const [k, v] of Object.entries(props ?? {})) {
    const c = cardinality?.[k] ?? 'single';
    const values = Array.isArray(v) ? v : [v];
    if (c === 'single') target[k] = v;
    else if (c === 'list') target[k] = [...((target[k] as Array<string | number | boolean>) ?? []), ...values];
    else target[k] = [...new Set([...((target[k] as Array<string | number | boolean>) ?? []), ...values])];
  }
}

/** Canonical lines of an in-memory graph (the generator's model or the mapped change sets). */
function graphOf(
  vertices: Iterable<GraphVertex>,
  edges: Iterable<GraphEdge>,
  good: number,
  bad: number,
): ExpectedGraph {
  const keyOf: Record<string, string> = {};
  const edgeKeyOf: Record<string, string> = {};
  const vLines: Array<[string, string]> = [];
  for (const v of vertices) {
    keyOf[v.label] = v.key;
    vLines.push([`${v.label}|${refText(v.key, v.value)}`, canonicalProps(v.props, excluded(v.label))]);
  }
  const edgeList = [...edges];
  for (const e of edgeList) if (e.key) edgeKeyOf[e.label] = e.key.name;
  const eLines: Array<[string, string]> = edgeList.map((e) => {
    const k = edgeKeyOf[e.label];
    return [
      `${e.label}|${e.from.label}:${refText(e.from.key, e.from.value)}|${e.to.label}:${refText(e.to.key, e.to.value)}|${k ? refText(k, e.props[k]) : ''}`,
      canonicalProps(e.props, excluded(e.label)),
    ];
  });
  return { ...snapshot(vLines, eLines), keyOf, edgeKeyOf, good, bad };
}

/** The graph the demo events must give, from the generator's own model (see lib/demo/generator.ts). */
export function expectedGraph({ records, graph }: { records: DemoRecord[]; graph: DemoGraph }): ExpectedGraph {
  const bad = records.filter((r) => r.bad).length;
  return graphOf(graph.vertices.values(), graph.edges.values(), records.length - bad, bad);
}

/** Maps every demo record through the shipped mappings (lib/mapping) and builds the graph their change sets give. */
export function mappedGraph(records: DemoRecord[]): ExpectedGraph {
  const specs: Record<string, CompiledMapping> = Object.fromEntries(
    Object.entries(MAPPING_OF).map(([topic, file]) => [
      topic,
      loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', file), 'utf8')),
    ]),
  );
  const vertices = new Map<string, GraphVertex>();
  const edges = new Map<string, GraphEdge>();
  let good = 0;
  let bad = 0;
  const apply = (cs: ChangeSet) => {
    for (const v of cs.vertices) {
      const id = vertexId(v);
      let m = vertices.get(id);
      if (!m) {
        m = { label: v.label, key: v.key, value: v.value, props: { [v.key]: v.value } };
        vertices.set(id, m);
      }
      applyProps(m.props, v.properties, v.cardinality);
      for (const k of v.remove ?? []) delete m.props[k]; // a CDC column set to NULL
    }
    for (const e of cs.edges) {
      const id = edgeId(e);
      let m = edges.get(id);
      if (!m) {
        m = { label: e.label, from: e.from, to: e.to, key: e.key, props: e.key ? { [e.key.name]: e.key.value } : {} };
        edges.set(id, m);
      }
      applyProps(m.props, e.properties);
    }
    for (const d of cs.deletes) {
      if (d.kind === 'edge') {
        edges.delete(edgeId(d));
        continue;
      }
      const id = vertexId(d);
      vertices.delete(id);
      for (const [eid, e] of edges) if (vertexId(e.from) === id || vertexId(e.to) === id) edges.delete(eid);
    }
  };
  for (const r of records) {
    if (r.bad) {
      bad++;
      continue;
    }
    good++;
    if (typeof r.value === 'string') throw new Error(`a good demo event is not JSON: ${r.value.slice(0, 80)}`);
    try {
      const cs = mapEvent(specs[r.topic], r.value, { topic: r.topic, partition: 0, offset: '0' });
      if (cs) apply(cs);
    } catch (e) {
      if (e instanceof MappingError) throw new Error(`a good demo event failed to map: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return graphOf(vertices.values(), edges.values(), good, bad);
}

/**
 * Reads the whole graph of a traversal source: every vertex and edge with label, keys and properties; the writer's
 * edge identity vertices (EDGE_IDENTITY, JanusGraph's guard for keyed edges) are bookkeeping, not the graph's data.
 */
export async function actualGraph(
  conn: GremlinConnection,
  source: string,
  { keyOf, edgeKeyOf }: Pick<ExpectedGraph, 'keyOf' | 'edgeKeyOf'>,
): Promise<GraphSnapshot> {
  const rows = (await conn.submit(
    `${source}.V().not(hasLabel(I)).project('id','l','p').by(id()).by(label()).by(valueMap())`,
    { I: EDGE_IDENTITY.label },
  )) as Array<Map<string, any>>;
  const byId = new Map<string, { label: string; keyValue: unknown }>();
  const vLines: Array<[string, string]> = [];
  for (const r of rows) {
    const label = String(r.get('l'));
    const props: Record<string, unknown> = {};
    for (const [k, vals] of r.get('p') as Map<string, unknown[]>) props[k] = vals.length === 1 ? vals[0] : vals;
    const key = keyOf[label];
    const keyValue = key ? props[key] : undefined;
    byId.set(String(r.get('id')), { label, keyValue });
    vLines.push([
      `${label}|${key ? refText(key, keyValue) : `?id=${String(r.get('id'))}`}`,
      canonicalProps(props, excluded(label)),
    ]);
  }
  const eRows = (await conn.submit(
    `${source}.E().project('l','o','i','p').by(label()).by(outV().id()).by(inV().id()).by(valueMap())`,
  )) as Array<Map<string, any>>;
  const eLines: Array<[string, string]> = [];
  for (const r of eRows) {
    const label = String(r.get('l'));
    const props: Record<string, unknown> = Object.fromEntries(r.get('p') as Map<string, unknown>);
    const end = (id: unknown) => {
      const v = byId.get(String(id));
      return v ? `${v.label}:${refText(keyOf[v.label] ?? '?', v.keyValue)}` : `?:${String(id)}`;
    };
    const k = edgeKeyOf[label];
    eLines.push([
      `${label}|${end(r.get('o'))}|${end(r.get('i'))}|${k ? refText(k, props[k]) : ''}`,
      canonicalProps(props, excluded(label)),
    ]);
  }
  return snapshot(vLines, eLines);
}

export interface GraphComparison {
  equal: boolean;
  /** Expected lines missing on the server (an element absent or with other property values). */
  lost: number;
  /** Lines on the server that were not expected, plus duplicated identities. */
  duplicated: number;
  /** A few differing lines, for the assertion message. */
  sample: string[];
}

export function compareGraphs(expected: GraphSnapshot, actual: GraphSnapshot): GraphComparison {
  const exp = new Set(expected.lines);
  const act = new Set(actual.lines);
  const missing = expected.lines.filter((l) => !act.has(l));
  const extra = actual.lines.filter((l) => !exp.has(l));
  return {
    equal: expected.checksum === actual.checksum,
    lost: missing.length,
    duplicated: extra.length + actual.duplicates.length,
    sample: [
      ...missing.slice(0, 5).map((l) => `missing ${l}`),
      ...extra.slice(0, 5).map((l) => `unexpected ${l}`),
      ...actual.duplicates.slice(0, 5).map((l) => `duplicated ${l}`),
    ],
  };
}

export const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The graph on the server equals the expected one: counts per label, nothing lost, nothing duplicated, and the
 * checksum over every vertex and edge with every property.
 */
export function assertGraphsEqual(
  expected: GraphSnapshot,
  actual: GraphSnapshot,
  cmp = compareGraphs(expected, actual),
): void {
  assert.deepEqual(actual.vertices, expected.vertices, 'vertex counts per label');
  assert.deepEqual(actual.edges, expected.edges, 'edge counts per label');
  assert.equal(cmp.lost, 0, `lost: ${cmp.sample.join('\n')}`);
  assert.equal(cmp.duplicated, 0, `duplicated: ${cmp.sample.join('\n')}`);
  assert.equal(actual.checksum, expected.checksum, 'checksum over every vertex and edge with its properties');
}
