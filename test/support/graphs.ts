/*
 * The graphs the suite runs against: the stack's TinkerGraph (Gremlin Server 3.8, in memory) and its JanusGraph
 * (JanusGraph Server 1.1 = TinkerPop 3.7, BerkeleyJE). Tests that talk to a graph loop over GRAPHS — one test body,
 * the graph a parameter. CEH_TEST_GRAPHS=tinkergraph (or janusgraph) narrows a run to one of them.
 */
import { ENDPOINTS } from './project';

export type GraphName = 'tinkergraph' | 'janusgraph';

export interface GraphTarget {
  name: GraphName;
  url: string;
  /** True when the server keeps a schema (data types are enforced, schema changes go through management). */
  schema: boolean;
  /**
   * The traversal source a suite may clear: on TinkerGraph the suite's own (gE2e, gReliability, gCorpus...), on
   * JanusGraph the one test graph (gTest; JanusGraph tests run one file at a time like the rest).
   */
  suiteSource(tinkerGraphSource: string): string;
  /** Empties that graph. */
  clearScript(tinkerGraphSource: string): string;
  /**
   * ConnectionOptions.serverTimeout for this graph: false on JanusGraph, whose BerkeleyJE storage is invalidated when
   * Gremlin Server interrupts an evaluation (stack/janusgraph/janusgraph-server.yaml runs without evaluationTimeout).
   */
  serverTimeout: boolean;
}

/** TinkerGraph server-side graph names behind its traversal sources (stack/gremlin/gremlin.js GRAPHS). */
const TINKER_GRAPH_OF: Record<string, string> = {
  g: 'graph',
  gE2e: 'e2e',
  gBench: 'bench',
  gReliability: 'reliability',
  gCorpus: 'corpus',
};

const ALL: GraphTarget[] = [
  {
    name: 'tinkergraph',
    url: ENDPOINTS.gremlinUrl,
    schema: false,
    suiteSource: (s) => s,
    // TinkerGraph.clear() empties at once (V().drop() takes a minute on a 50,000-event graph) and drops its indexes.
    clearScript: (s) => `${TINKER_GRAPH_OF[s]}.clear(); ${s}.V().count()`,
    serverTimeout: true,
  },
  {
    name: 'janusgraph',
    // CEH_TEST_JANUSGRAPH_URL: another JanusGraph Server with the same graphs (a private one, on a shared machine).
    url:
      process.env.CEH_TEST_JANUSGRAPH_URL ??
      (ENDPOINTS as { janusgraphUrl?: string }).janusgraphUrl ??
      'ws://127.0.0.1:28182/gremlin',
    schema: true,
    suiteSource: () => 'gTest',
    // Dropping keeps the schema and its indexes (stack:up applied them from mappings/).
    clearScript: () => 'gTest.E().drop().iterate(); gTest.V().drop().iterate(); gTest.tx().commit(); gTest.V().count()',
    serverTimeout: false,
  },
];

function selected(): GraphTarget[] {
  const only = (process.env.CEH_TEST_GRAPHS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (only.length === 0) return ALL;
  const unknown = only.filter((n) => !ALL.some((g) => g.name === n));
  if (unknown.length)
    throw new Error(
      `CEH_TEST_GRAPHS names unknown graphs: ${unknown.join(', ')} (known: ${ALL.map((g) => g.name).join(', ')})`,
    );
  return ALL.filter((g) => only.includes(g.name));
}

export const GRAPHS: GraphTarget[] = selected();

export const JANUSGRAPH: GraphTarget = ALL[1];
