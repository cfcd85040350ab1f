/*
 * The bench's command line (lib/command-line: `--only 1,3` and `--only=1,3` are the same option) and the settings every
 * part shares: sizes, the graph under test, the run's id, where the servers are.
 */
import { readCommandLine, commandLine } from '../../lib/command-line';
import { USAGE, HELP } from '../usage';
import { ENDPOINTS } from '../../test/support/project';
import { JANUSGRAPH } from '../../test/support/graphs';

const opts = commandLine('bench', HELP, (argv) => {
  const v = readCommandLine(
    argv,
    { quick: 'boolean', profile: 'boolean', only: 'string', graph: 'string', memory: 'string' },
    USAGE,
  );
  if (v.graph !== undefined && !['tinkergraph', 'janusgraph', 'janusgraph-cql'].includes(v.graph))
    throw new Error('--graph must be tinkergraph, janusgraph or janusgraph-cql');
  return v;
});

export const QUICK = !!opts.quick;
/** --profile: CPU profile of the Node-RED child of part 2 in bench/results/profiles/. */
export const PROFILE = !!opts.profile;
export const ONLY = new Set(
  (opts.only ?? '1,2,3,4,5')
    .split(',')
    .map(Number)
    .filter((n) => n >= 1 && n <= 5),
);
export const SIZES = QUICK
  ? // Quick: sized so the slowest stage (TinkerGraph merges at ~1,000 events/s here) keeps the run near two minutes.
    { single: 1000, limit: 2000, kafka: 30000, memory: [2000, 8000], latencySecs: 5 }
  : { single: 20000, limit: 100000, kafka: 200000, memory: [100000, 1000000], latencySecs: 30 };
/** --memory=SMALL,LARGE overrides part 4's backlog sizes (e.g. to check flatness beyond the quick sizes). */
export const MEMORY_SIZES: number[] = opts.memory ? opts.memory.split(',').map(Number) : SIZES.memory;
export const GRAPH = (opts.graph ?? 'tinkergraph') as 'tinkergraph' | 'janusgraph' | 'janusgraph-cql';
/** Any JanusGraph: BerkeleyJE (the default stack's) or the cluster profile's first server on Cassandra. */
export const JANUS = GRAPH !== 'tinkergraph';
/** janusgraph-cql: the cluster profile's first JanusGraph Server, whose graph `g` is the scale-out tests' (cleared). */
const CQL = GRAPH === 'janusgraph-cql';
export const GRAPH_LABEL = CQL ? 'JanusGraph on Cassandra' : JANUS ? 'JanusGraph' : 'TinkerGraph';
export const SOURCE = CQL ? 'g' : JANUS ? 'gTest' : 'gBench';
export const RUN_ID = Date.now().toString(36);
export const BROKERS: string[] = ENDPOINTS.kafkaBrokers;
/** The stack's servers; CEH_TEST_JANUSGRAPH_URL points --graph janusgraph at another one (a private server, as the tests). */
export const GREMLIN_URL = CQL ? ENDPOINTS.janusgraphClusterUrls[0] : JANUS ? JANUSGRAPH.url : ENDPOINTS.gremlinUrl;
export const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
