/*
 * Mapping specs → what a graph needs to serve them: property keys with data types and cardinality, vertex and edge
 * labels, and one unique composite index per vertex key (otherwise every upsert scans the graph, and two concurrent
 * writers can create the same vertex twice). One module for the CLI (`npm run graph:schema`), for gremlin upsert's
 * "ensure schema on deploy" option and for stack:up.
 *
 *   janusgraph  a management script: creates what is missing, never changes what exists; a key that exists with
 *               another data type or cardinality is reported by name (a conflict), not overwritten. Unique vertex
 *               key indexes get ConsistencyModifier.LOCK (BerkeleyJE and Cassandra need it for concurrent writers).
 *               Edge labels without an edge key are SIMPLE + LOCK (one edge per endpoint pair); keyed edges, which
 *               JanusGraph cannot index uniquely, get the edge identity vertex label and its unique LOCK index
 *               (EDGE_IDENTITY in lib/change-set; the writer merges one identity per keyed edge).
 *   tinkergraph createIndex(key, Vertex) per vertex key, in every graph named.
 *   neptune, cosmos  written advice: neither takes user-defined indexes or a schema.
 *
 * Properties without a declared `type` are left to the graph (JanusGraph's automatic schema: the first value decides).
 * A vertex key without keyType is declared String.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CompiledMapping, CompiledProperty } from '../mapping/spec';
import { loadSpec } from '../mapping';
import { EDGE_IDENTITY } from '../change-set';

export type GraphKind = 'janusgraph' | 'tinkergraph' | 'neptune' | 'cosmos';
export const GRAPH_KINDS: readonly GraphKind[] = ['janusgraph', 'tinkergraph', 'neptune', 'cosmos'];

export type DataType = 'String' | 'Integer' | 'Long' | 'Double' | 'Boolean';
export type KeyCardinality = 'SINGLE' | 'LIST' | 'SET';

export interface PropertyKeyDef {
  name: string;
  dataType: DataType;
  cardinality: KeyCardinality;
  usedBy: string[];
}
export interface VertexIndexDef {
  name: string;
  label: string;
  key: string;
}

export interface GraphSchema {
  propertyKeys: PropertyKeyDef[];
  vertexLabels: string[];
  edgeLabels: string[];
  /** Edge labels identified by their endpoint pair in every mapping (no edge key): SIMPLE + LOCK on JanusGraph. */
  simpleEdgeLabels: string[];
  vertexIndexes: VertexIndexDef[];
  /** Properties left untyped (named "label.property" or "edge label.property"). */
  untyped: string[];
  /** Disagreements between the mappings themselves (one key, two types): the schema cannot serve both. */
  problems: string[];
}

const DATA_TYPE: Record<string, DataType> = {
  string: 'String',
  int: 'Integer',
  long: 'Long',
  double: 'Double',
  boolean: 'Boolean',
};

function propertyType(p: CompiledProperty): DataType | undefined {
  if (p.type === 'date') return p.format === 'iso' ? 'String' : 'Long';
  return p.type ? DATA_TYPE[p.type] : undefined;
}

/** The schema a set of mappings needs (`names` label the mappings in messages, e.g. file names). */
export function schemaFromMappings(
  mappings: CompiledMapping[],
  names: string[] = mappings.map((_, i) => `mapping ${i + 1}`),
): GraphSchema {
  const keys = new Map<string, PropertyKeyDef>();
  const problems: string[] = [];
  const untyped = new Set<string>();
  const vertexLabels = new Set<string>();
  const edgeLabels = new Set<string>();
  // An edge key (or a label taken from the data) allows several edges between one pair: such labels stay MULTI.
  const multiEdgeLabels = new Set<string>();
  // Keyed edge labels: their edges are guarded by identity vertices (EDGE_IDENTITY).
  const multiEdgeKeys = new Set<string>();
  const indexes = new Map<string, VertexIndexDef>();
  const addKey = (name: string, dataType: DataType, cardinality: KeyCardinality, where: string) => {
    const k = keys.get(name);
    if (!k) {
      keys.set(name, { name, dataType, cardinality, usedBy: [where] });
      return;
    }
    if (k.dataType !== dataType || k.cardinality !== cardinality) {
      problems.push(
        `property key ${name}: ${where} declares ${dataType} ${cardinality}, ${k.usedBy[0]} declares ${k.dataType} ${k.cardinality}`,
      );
    } else if (!k.usedBy.includes(where)) k.usedBy.push(where);
  };
  mappings.forEach((m, i) => {
    const file = names[i];
    for (const v of [...m.vertices, ...m.deletes]) {
      vertexLabels.add(v.label);
      addKey(v.keyName, v.keyType ? DATA_TYPE[v.keyType] : 'String', 'SINGLE', `${file}: ${v.label}.${v.keyName}`);
      const idx = `by_${v.label}_${v.keyName}`;
      indexes.set(idx, { name: idx, label: v.label, key: v.keyName });
      for (const p of v.properties) {
        const t = propertyType(p);
        if (t) addKey(p.name, t, p.cardinality.toUpperCase() as KeyCardinality, `${file}: ${v.label}.${p.name}`);
        else untyped.add(`${v.label}.${p.name}`);
      }
    }
    for (const e of m.edges) {
      edgeLabels.add(e.label);
      if (e.key || e.labelFrom) multiEdgeLabels.add(e.label);
      if (e.key) multiEdgeKeys.add(e.label);
      if (e.key)
        addKey(
          e.key.name,
          e.key.type ? DATA_TYPE[e.key.type] : 'String',
          'SINGLE',
          `${file}: ${e.label}.${e.key.name}`,
        );
      for (const p of e.properties) {
        const t = propertyType(p);
        if (t) addKey(p.name, t, 'SINGLE', `${file}: ${e.label}.${p.name}`);
        else untyped.add(`${e.label}.${p.name}`);
      }
    }
  });
  if (multiEdgeKeys.size) {
    vertexLabels.add(EDGE_IDENTITY.label);
    addKey(EDGE_IDENTITY.key, 'String', 'SINGLE', `keyed edges ${[...multiEdgeKeys].sort().join(', ')}`);
    const idx = edgeIdentityIndexName;
    indexes.set(idx, { name: idx, label: EDGE_IDENTITY.label, key: EDGE_IDENTITY.key });
  }
  // A property used typed somewhere is not "untyped" everywhere: keys are global in JanusGraph.
  const untypedList = [...untyped].filter((u) => !keys.has(u.split('.')[1])).sort();
  return {
    propertyKeys: [...keys.values()].sort((a, b) => a.name.localeCompare(b.name)),
    vertexLabels: [...vertexLabels].sort(),
    edgeLabels: [...edgeLabels].sort(),
    simpleEdgeLabels: [...edgeLabels].filter((l) => !multiEdgeLabels.has(l)).sort(),
    vertexIndexes: [...indexes.values()].sort((a, b) => a.name.localeCompare(b.name)),
    untyped: untypedList,
    problems,
  };
}

const edgeIdentityIndexName = `by_${EDGE_IDENTITY.label}_${EDGE_IDENTITY.key}`;

/**
 * Whether the graph behind a traversal source is JanusGraph with the edge identity index: then the writer guards keyed
 * edges with identity vertices (BatchWriter's edgeIdentities). While the server is unreachable the question is asked
 * again (backoff up to 5 s) until `stopped()`; any other failure (another graph, no script engine) is false. Never
 * rejects.
 */
export async function hasEdgeIdentityIndex(
  conn: Submitter,
  traversalSource = 'g',
  stopped: () => boolean = () => false,
  /** Told the error that ended the question (wrong credentials, say): the first request's answer must not be lost. */
  onError: (err: unknown) => void = () => undefined,
): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver is loaded only where a server is asked
  const { isTransient } = require('../gremlin/connection');
  for (let attempt = 0; !stopped(); attempt++) {
    try {
      if ((await detectGraphKind(conn, traversalSource)) !== 'janusgraph') return false;
      const [found] = await conn.submit(
        'def m = this.binding.getVariable(sourceName).getGraph().openManagement(); try { m.getGraphIndex(name) != null } finally { m.rollback() }',
        { sourceName: traversalSource, name: edgeIdentityIndexName },
      );
      return found === true;
    } catch (err) {
      if (!isTransient(err)) {
        onError(err);
        return false;
      }
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
  return false;
}

/** The graph behind a traversal source, as the server names its class: which schema flavour it takes. */
export async function detectGraphKind(conn: Submitter, traversalSource = 'g'): Promise<GraphKind | null> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(traversalSource)) return null;
  const [name] = await conn.submit(`${traversalSource}.getGraph().getClass().getSimpleName()`);
  if (/JanusGraph/.test(String(name))) return 'janusgraph';
  if (/TinkerGraph/.test(String(name))) return 'tinkergraph';
  return null;
}

/** Loads every *.yaml / *.yml / *.json mapping spec of a folder (samples.json and other non-specs are skipped). */
export function loadMappingDir(dir: string): { mappings: CompiledMapping[]; names: string[] } {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /\.(ya?ml)$/.test(f))
    .sort();
  const mappings: CompiledMapping[] = [];
  const names: string[] = [];
  for (const f of files) {
    mappings.push(loadSpec(fs.readFileSync(path.join(dir, f), 'utf8')));
    names.push(f);
  }
  return { mappings, names };
}

/* ------------------------------------------------------------------ JanusGraph */

/**
 * The management script, for the graph behind the traversal source named by the `sourceName` binding. The schema travels as ONE
 * binding (`schema`: lists of plain maps), never spliced into the script text; the script returns report lines: "created ...", "exists ...", "conflict ...", "reindexed ...".
 */
export const JANUSGRAPH_SCRIPT = `
import org.janusgraph.core.Multiplicity
import org.janusgraph.core.schema.ConsistencyModifier
import org.janusgraph.core.schema.SchemaAction
import org.janusgraph.core.schema.SchemaStatus
import org.janusgraph.graphdb.database.management.ManagementSystem
def report = []
def types = [String: String.class, Integer: Integer.class, Long: Long.class, Double: Double.class, Boolean: Boolean.class]
def jg = this.binding.getVariable(sourceName).getGraph()
def mgmt = jg.openManagement()
def newKeys = [] as Set
def toReindex = []
def weakEdgeLabels = []
try {
  schema.keys.each { k ->
    def key = mgmt.getPropertyKey(k.name)
    def card = org.janusgraph.core.Cardinality.valueOf(k.cardinality)
    if (key == null) {
      mgmt.makePropertyKey(k.name).dataType(types[k.dataType]).cardinality(card).make()
      newKeys << k.name
      report << "created property key " + k.name + " " + k.dataType + " " + k.cardinality
    } else if (key.dataType() != types[k.dataType] || key.cardinality() != card) {
      report << "conflict property key " + k.name + ": the graph has " + key.dataType().getSimpleName() + " " + key.cardinality() + ", the mappings want " + k.dataType + " " + k.cardinality
    } else report << "exists property key " + k.name
  }
  schema.vertexLabels.each { l ->
    if (mgmt.getVertexLabel(l) == null) { mgmt.makeVertexLabel(l).make(); report << "created vertex label " + l }
    else report << "exists vertex label " + l
  }
  schema.edgeLabels.each { l ->
    def simple = schema.simpleEdgeLabels.contains(l)
    def el = mgmt.getEdgeLabel(l)
    if (el == null) {
      if (simple) {
        el = mgmt.makeEdgeLabel(l).multiplicity(Multiplicity.SIMPLE).make()
        mgmt.setConsistency(el, ConsistencyModifier.LOCK)
        report << "created edge label " + l + " SIMPLE LOCK"
      } else { mgmt.makeEdgeLabel(l).make(); report << "created edge label " + l }
    } else if (simple && (el.multiplicity() != Multiplicity.SIMPLE || mgmt.getConsistency(el) != ConsistencyModifier.LOCK)) {
      // JanusGraph cannot change an edge label's multiplicity: a graph made before keeps it (and its duplicate risk).
      weakEdgeLabels << l + " (" + el.multiplicity() + " " + mgmt.getConsistency(el) + ")"
      report << "exists edge label " + l
    } else report << "exists edge label " + l
  }
  schema.indexes.each { ix ->
    def existing = mgmt.getGraphIndex(ix.name)
    def key = mgmt.getPropertyKey(ix.key)
    if (existing != null) {
      def fields = existing.getFieldKeys().collect { it.name() }
      if (fields != [ix.key] || !existing.isUnique()) report << "conflict index " + ix.name + ": the graph indexes " + fields + (existing.isUnique() ? " (unique)" : " (not unique)") + ", the mappings want unique [" + ix.key + "]"
      else report << "exists index " + ix.name
    } else if (key == null) {
      report << "conflict index " + ix.name + ": property key " + ix.key + " is missing"
    } else {
      def idx = mgmt.buildIndex(ix.name, Vertex.class).addKey(key).indexOnly(mgmt.getVertexLabel(ix.label)).unique().buildCompositeIndex()
      mgmt.setConsistency(idx, ConsistencyModifier.LOCK)
      report << "created index " + ix.name + " unique LOCK on " + ix.label + "." + ix.key
      // An index on a key made in an earlier transaction starts INSTALLED: it must be registered and reindexed.
      if (!newKeys.contains(ix.key)) toReindex << ix.name
    }
  }
  if (weakEdgeLabels) report << "warning edge labels " + weakEdgeLabels.join(", ") + ": the mappings want SIMPLE LOCK (one edge per endpoint pair, locked against concurrent writers); JanusGraph cannot change a multiplicity: a graph made before keeps them, recreate it to get the constraint"
  mgmt.commit()
} catch (e) { mgmt.rollback(); throw e }
toReindex.each { name ->
  ManagementSystem.awaitGraphIndexStatus(jg, name).status(SchemaStatus.REGISTERED, SchemaStatus.ENABLED).timeout(60, java.time.temporal.ChronoUnit.SECONDS).call()
  def m = jg.openManagement()
  def st = m.getGraphIndex(name).getIndexStatus(m.getGraphIndex(name).getFieldKeys()[0])
  if (st != SchemaStatus.ENABLED) { m.updateIndex(m.getGraphIndex(name), SchemaAction.REINDEX).get(); m.commit() } else m.rollback()
  ManagementSystem.awaitGraphIndexStatus(jg, name).status(SchemaStatus.ENABLED).timeout(60, java.time.temporal.ChronoUnit.SECONDS).call()
  report << "reindexed " + name
}
report`;

function janusgraphBinding(s: GraphSchema): Record<string, unknown> {
  return {
    keys: s.propertyKeys.map((k) => ({ name: k.name, dataType: k.dataType, cardinality: k.cardinality })),
    vertexLabels: s.vertexLabels,
    edgeLabels: s.edgeLabels,
    simpleEdgeLabels: s.simpleEdgeLabels,
    indexes: s.vertexIndexes.map((i) => ({ name: i.name, label: i.label, key: i.key })),
  };
}

/** A readable Groovy script for a JanusGraph console (what --apply sends, with the schema written out). */
export function janusgraphConsoleScript(s: GraphSchema): string {
  const q = (x: string) => `'${x}'`;
  const lines = [
    '// JanusGraph schema for the mappings (npm run graph:schema). Run in a Gremlin console connected to the server,',
    '// or let --apply do it (idempotent: existing definitions are kept, conflicting ones reported).',
    'import org.janusgraph.core.schema.ConsistencyModifier',
    'mgmt = graph.openManagement()',
  ];
  for (const k of s.propertyKeys) {
    lines.push(
      `if (mgmt.getPropertyKey(${q(k.name)}) == null) mgmt.makePropertyKey(${q(k.name)}).dataType(${k.dataType}.class).cardinality(org.janusgraph.core.Cardinality.${k.cardinality}).make()`,
    );
  }
  for (const l of s.vertexLabels)
    lines.push(`if (mgmt.getVertexLabel(${q(l)}) == null) mgmt.makeVertexLabel(${q(l)}).make()`);
  for (const l of s.edgeLabels)
    lines.push(
      s.simpleEdgeLabels.includes(l)
        ? `if (mgmt.getEdgeLabel(${q(l)}) == null) mgmt.setConsistency(mgmt.makeEdgeLabel(${q(l)}).multiplicity(org.janusgraph.core.Multiplicity.SIMPLE).make(), ConsistencyModifier.LOCK)`
        : `if (mgmt.getEdgeLabel(${q(l)}) == null) mgmt.makeEdgeLabel(${q(l)}).make()`,
    );
  for (const i of s.vertexIndexes) {
    lines.push(
      `if (mgmt.getGraphIndex(${q(i.name)}) == null) mgmt.setConsistency(mgmt.buildIndex(${q(i.name)}, Vertex.class).addKey(mgmt.getPropertyKey(${q(i.key)})).indexOnly(mgmt.getVertexLabel(${q(i.label)})).unique().buildCompositeIndex(), ConsistencyModifier.LOCK)`,
    );
  }
  lines.push('mgmt.commit()');
  return lines.join('\n') + '\n';
}

/* ------------------------------------------------------------------ TinkerGraph */

export const TINKERGRAPH_SCRIPT = `
def report = []
sourceNames.each { gn ->
  def gr = this.binding.getVariable(gn).getGraph()
  def have = gr.getIndexedKeys(Vertex.class)
  keyNames.each { k ->
    if (have.contains(k)) report << "exists index " + gn + "." + k
    else { gr.createIndex(k, Vertex.class); report << "created index " + gn + "." + k }
  }
}
report`;

export function tinkergraphKeys(s: GraphSchema): string[] {
  return [...new Set(s.vertexIndexes.map((i) => i.key))].sort();
}

export function tinkergraphConsoleScript(s: GraphSchema, sources: string[] = ['g']): string {
  return (
    [
      '// TinkerGraph: one index per vertex key property (TinkerGraph indexes a key across all labels).',
      ...sources.flatMap((g) =>
        tinkergraphKeys(s).map(
          (k) =>
            `if (!${g}.getGraph().getIndexedKeys(Vertex.class).contains('${k}')) ${g}.getGraph().createIndex('${k}', Vertex.class)`,
        ),
      ),
    ].join('\n') + '\n'
  );
}

/* ------------------------------------------------------------------ Neptune / Cosmos advice */

export function advice(s: GraphSchema, graph: 'neptune' | 'cosmos'): string {
  const keys = s.vertexIndexes.map((i) => `${i.label}.${i.key}`).join(', ');
  if (graph === 'neptune') {
    return (
      [
        'Amazon Neptune: no schema and no user-defined indexes — Neptune indexes every property itself (SPOG/POGS/GPSO).',
        `- Vertex keys the mappings look up: ${keys}. Lookups by label + key are index-backed already.`,
        '- Use dialect neptune (mergeV/mergeE, engine 1.2.1.0+), batches of 50-100 elements per request.',
        '- ConcurrentModificationException is a conflict between writers: gremlin upsert retries it with backoff and jitter.',
        '- Neptune stores numbers with their type: declared double/long are sent as Double/Long.',
        ...(s.propertyKeys.some((k) => k.cardinality !== 'SINGLE')
          ? ['- list/set properties: Neptune supports set cardinality only (no list).']
          : []),
      ].join('\n') + '\n'
    );
  }
  const labels = s.vertexIndexes.map((i) => i.key);
  const common = labels.find((k, _, a) => a.filter((x) => x === k).length > 1);
  return (
    [
      'Azure Cosmos DB (Gremlin API): no user-defined indexes (everything is indexed by default) and no schema.',
      `- Vertex keys the mappings look up: ${keys}.`,
      '- Partition key: choose a property every vertex has and that spreads writes, and that the lookups know. The',
      '  vertex key of each label (above) is a good choice when set as the partition key property on create: the',
      "  gremlin server node's partition key option does that (dialect cosmos); lookups then stay in one partition.",
      common
        ? `- ${common} is the key of several labels: a shared partition key name keeps them in one scheme.`
        : '- Each label has its own key name: use one partition key property (e.g. "pk") and let the writer fill it.',
      '- Cosmos needs script requests over GraphSON v2 (dialect cosmos); HTTP 429 is retried with backoff and jitter.',
    ].join('\n') + '\n'
  );
}

/* ------------------------------------------------------------------ rendering and applying */

/** What `graph:schema` prints for a graph. */
export function renderSchema(s: GraphSchema, graph: GraphKind, sources?: string[]): string {
  const notes: string[] = [];
  if (s.problems.length) notes.push(`// The mappings disagree:\n${s.problems.map((p) => `//   ${p}`).join('\n')}`);
  if (s.untyped.length && graph === 'janusgraph')
    notes.push(`// Left to automatic schema (no type declared): ${s.untyped.join(', ')}`);
  const body =
    graph === 'janusgraph'
      ? janusgraphConsoleScript(s)
      : graph === 'tinkergraph'
        ? tinkergraphConsoleScript(s, sources)
        : advice(s, graph);
  return [...notes, body].join('\n');
}

export interface Submitter {
  submit(message: unknown, bindings?: Record<string, unknown>, timeoutMs?: number): Promise<unknown[]>;
}

export interface ApplyReport {
  created: string[];
  existing: string[];
  /** Definitions in the graph that disagree with the mappings, by name; left as they are. */
  conflicts: string[];
  /** Definitions the graph keeps in a weaker form than the mappings want (a MULTI edge label made before SIMPLE). */
  warnings: string[];
  summary: string;
}

/** The report when nothing was sent to the graph (a graph that takes no schema, no specs). */
export function nothingApplied(summary: string): ApplyReport {
  return { created: [], existing: [], conflicts: [], warnings: [], summary };
}

function toReport(lines: string[]): ApplyReport {
  const created = lines.filter((l) => l.startsWith('created') || l.startsWith('reindexed'));
  const existing = lines.filter((l) => l.startsWith('exists'));
  const conflicts = lines.filter((l) => l.startsWith('conflict')).map((l) => l.replace(/^conflict /, ''));
  const warnings = lines.filter((l) => l.startsWith('warning')).map((l) => l.replace(/^warning /, ''));
  const summary = `${created.length} created, ${existing.length} already there, ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}${warnings.length ? `, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}` : ''}`;
  return { created, existing, conflicts, warnings, summary };
}

/** Applies (idempotently) what `graph` needs; Neptune and Cosmos take nothing (see advice()). */
/** `sources`: the traversal sources whose graphs get the schema (default g). */
export async function applySchema(
  conn: Submitter,
  s: GraphSchema,
  graph: GraphKind,
  o: { sources?: string[]; timeoutMs?: number } = {},
): Promise<ApplyReport> {
  const timeout = o.timeoutMs ?? 120000;
  let lines: unknown[] = [];
  if (graph === 'janusgraph') {
    for (const sourceName of o.sources ?? ['g']) {
      const got = await conn.submit(JANUSGRAPH_SCRIPT, { schema: janusgraphBinding(s), sourceName }, timeout);
      lines.push(
        ...got
          .flatMap((l) => (Array.isArray(l) ? l : [l]))
          .map((l) => (o.sources && o.sources.length > 1 ? `${l} (${sourceName})` : l)),
      );
    }
  } else if (graph === 'tinkergraph') {
    const keyNames = tinkergraphKeys(s);
    if (keyNames.length)
      lines = await conn.submit(TINKERGRAPH_SCRIPT, { sourceNames: o.sources ?? ['g'], keyNames }, timeout);
  } else return nothingApplied(`${graph} takes no schema (see the advice)`);
  const flat = lines.flatMap((l) => (Array.isArray(l) ? l : [l])).map(String);
  return toReport(flat);
}

/** stack:up's entry point: the schema of a folder of mappings, applied to the graph at `url`. */
export async function applySchemaForMappingDir(
  dir: string,
  o: { graph: GraphKind; url: string; sources?: string[] },
): Promise<ApplyReport> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- here only: the CLI and stack:up need a connection, the node passes its own
  const { GremlinConnection } = require('../gremlin/connection');
  const { mappings, names } = loadMappingDir(dir);
  // JanusGraph on BerkeleyJE must never see an evaluation interrupted (see connection.ts, serverTimeout).
  const conn = new GremlinConnection({ url: o.url, serverTimeout: o.graph !== 'janusgraph' });
  try {
    return await applySchema(conn, schemaFromMappings(mappings, names), o.graph, { sources: o.sources });
  } finally {
    await conn.close();
  }
}
