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
}

const ALL: GraphTarget[] = [
  { name: 'tinkergraph', url: ENDPOINTS.gremlinUrl, schema: false },
  { name: 'janusgraph', url: (ENDPOINTS as { janusgraphUrl?: string }).janusgraphUrl ?? 'ws://127.0.0.1:28182/gremlin', schema: true },
];

function selected(): GraphTarget[] {
  const only = (process.env.CEH_TEST_GRAPHS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (only.length === 0) return ALL;
  const unknown = only.filter((n) => !ALL.some((g) => g.name === n));
  if (unknown.length) throw new Error(`CEH_TEST_GRAPHS names unknown graphs: ${unknown.join(', ')} (known: ${ALL.map((g) => g.name).join(', ')})`);
  return ALL.filter((g) => only.includes(g.name));
}

export const GRAPHS: GraphTarget[] = selected();

export const JANUSGRAPH: GraphTarget = ALL[1];
