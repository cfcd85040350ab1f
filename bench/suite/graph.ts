/* Demo events as change sets and script bindings, and the bench graph: connection, indexes, clear, CPU, checksum. */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../../test/support/project';
import { generate, DemoRecord, MAPPING_OF } from '../../lib/demo/generator';
import { loadSpec, mapEvent } from '../../lib/mapping';
import { ChangeSet, EDGE_IDENTITY } from '../../lib/change-set';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { graphCounts as countGraph, dropJanusGraphInChunks } from '../../test/support/pipeline-run';
import { GRAPH, GREMLIN_URL, JANUS, SOURCE } from './options';

/* ------------------------------------------------------------------ demo events and their change sets */

export const mappings = Object.fromEntries(
  Object.entries(MAPPING_OF).map(([t, f]) => [t, loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', f), 'utf8'))]),
);

/** The change sets the pipeline writes for these records (bad and tombstone records map to none). */
export function changeSetsOf(records: DemoRecord[]): ChangeSet[] {
  const out: ChangeSet[] = [];
  records.forEach((r, i) => {
    if (typeof r.value === 'string' || r.value === null) return;
    try {
      const cs = mapEvent(mappings[r.topic], r.value, { topic: r.topic, partition: 0, offset: String(i) });
      if (cs) out.push(cs);
    } catch {
      /* a deliberately bad event: the pipeline sends it to the dead-letter topic */
    }
  });
  return out;
}

/** One event's change set as plain script bindings (labels, keys and values only: no driver enums). */
export function eventBinding(cs: ChangeSet): Record<string, unknown> {
  return {
    vs: cs.vertices.map((v) => ({ l: v.label, k: v.key, v: v.value, p: v.properties })),
    es: cs.edges.map((e) => ({
      l: e.label,
      fl: e.from.label,
      fk: e.from.key,
      fv: e.from.value,
      tl: e.to.label,
      tk: e.to.key,
      tv: e.to.value,
      ek: e.key?.name ?? null,
      ekv: e.key?.value ?? null,
      p: e.properties,
    })),
    ds: cs.deletes.map((d) =>
      d.kind === 'vertex'
        ? { kind: 'vertex', l: d.label, k: d.key, v: d.value }
        : {
            kind: 'edge',
            l: d.label,
            fl: d.from.label,
            fk: d.from.key,
            fv: d.from.value,
            tl: d.to.label,
            tk: d.to.key,
            tv: d.to.value,
            ek: d.key?.name ?? null,
            ekv: d.key?.value ?? null,
          },
    ),
  };
}

/** The merges of one event `ev` (Groovy): what a naive flow sends per event, and what the server-side loop runs. */
export const EVENT_MERGES = `
for (v in ev.vs) { g.mergeV([(T.label): v.l, (v.k): v.v]).option(Merge.onCreate, v.p).option(Merge.onMatch, v.p).iterate() }
for (e in ev.es) {
  def s = [(T.label): e.l, (Direction.OUT): Merge.outV, (Direction.IN): Merge.inV]
  if (e.ek != null) s[e.ek] = e.ekv
  g.mergeE(s).option(Merge.outV, [(T.label): e.fl, (e.fk): e.fv]).option(Merge.inV, [(T.label): e.tl, (e.tk): e.tv])
    .option(Merge.onCreate, e.p).option(Merge.onMatch, e.p).iterate()
}
for (d in ev.ds) {
  if (d.kind == 'vertex') g.V().has(d.l, d.k, d.v).drop().iterate()
  else { def x = g.V().has(d.fl, d.fk, d.fv).outE(d.l); if (d.ek != null) x = x.has(d.ek, d.ekv); x.where(__.inV().has(d.tl, d.tk, d.tv)).drop().iterate() }
}`;

export async function connection(): Promise<GremlinConnection> {
  const c = new GremlinConnection({
    url: GREMLIN_URL,
    traversalSource: SOURCE,
    serializer: 'graphbinary',
    requestTimeoutMs: 600000,
    // JanusGraph on BerkeleyJE must never see an evaluation interrupted (lib/gremlin/connection.ts, serverTimeout).
    serverTimeout: !JANUS,
  });
  await c.open();
  return c;
}

/**
 * TinkerGraph has no index unless asked: without one every merge scans all vertices (quadratic in the graph size).
 * A real deployment indexes the key properties (JanusGraph, Neptune and Cosmos look vertices up by key), so the bench
 * indexes the vertex keys of the shipped mappings on its own graph (again after every clear).
 */
export async function ensureIndexes(): Promise<string[]> {
  const keys = [
    ...new Set(changeSetsOf(generate(2000, 1).records).flatMap((cs) => cs.vertices.map((v) => v.key))),
  ].sort();
  if (JANUS) return keys; // JanusGraph keeps its schema and unique indexes (stack:up applied them from mappings/)
  const c = await connection();
  try {
    await c.submit(
      'indexKeys.each { k -> if (!bench.getIndexedKeys(Vertex.class).contains(k)) bench.createIndex(k, Vertex.class) }; null',
      { indexKeys: keys },
    );
  } finally {
    await c.close();
  }
  return keys;
}

/**
 * Empties the bench's graph at once (V().drop() on a 60,000-event graph takes minutes and can meet a
 * ConcurrentModificationException) and indexes its vertex keys again (TinkerGraph.clear() drops the indexes too).
 */
export async function clearGraph(): Promise<void> {
  const c = await connection();
  try {
    // On Cassandra a large graph is dropped in chunks: one transaction for all of it outlives the request timeout.
    if (GRAPH === 'janusgraph-cql') await dropJanusGraphInChunks(c);
    else if (JANUS) await c.submit('g.E().drop().iterate(); g.V().drop().iterate(); 1');
    else await c.submit('bench.clear(); 1');
  } finally {
    await c.close();
  }
  await ensureIndexes();
}

/** CPU time of the Gremlin Server's JVM so far (all threads; on the shared stack others' requests count too). */
export async function serverCpuMs(c: GremlinConnection): Promise<number> {
  const [ns] = await c.submit('java.lang.management.ManagementFactory.getOperatingSystemMXBean().getProcessCpuTime()');
  return Number(ns) / 1e6;
}

/** MD5 over the sorted vertices (label, properties; identity vertices are bookkeeping) and edges (label, properties, both ends): equal graphs, equal sums. */
export async function graphChecksum(c: GremlinConnection): Promise<string> {
  const [sum] = await c.submit(
    `
def pv = { el -> el.properties().collect { it.key() + '=' + it.value() }.sort().join(',') }
def vs = g.V().not(hasLabel(I)).toList().collect { it.label() + '{' + pv(it) + '}' }.sort()
def es = g.E().toList().collect { it.label() + '{' + pv(it) + '}' + it.outVertex().label() + pv(it.outVertex()) + '->' + it.inVertex().label() + pv(it.inVertex()) }.sort()
def md = java.security.MessageDigest.getInstance('MD5')
md.update((vs.join('\\n') + '\\n#\\n' + es.join('\\n')).getBytes('UTF-8'))
new BigInteger(1, md.digest()).toString(16)`,
    { I: EDGE_IDENTITY.label },
  );
  return String(sum);
}

/** The bench graph's data (v, e) and the keyed-edge guard's identity vertices apart (test/support's graphCounts). */
export async function graphCounts(c: GremlinConnection): Promise<{ v: number; e: number; identities: number }> {
  const { vertices, edges, identities } = await countGraph(c, 'g');
  return { v: vertices, e: edges, identities };
}
