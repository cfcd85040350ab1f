/*
 * The bench's command line (util.parseArgs: `--only 1,3` and `--only=1,3` are the same option) and the settings every
 * part shares: sizes, the graph under test, the run's id, where the servers are.
 */
import { parseArgs } from 'util';
import { ENDPOINTS } from '../../test/support/project';

const { values: opts } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: '1,2,3,4,5' },
    graph: { type: 'string', default: 'tinkergraph' },
    memory: { type: 'string' },
  },
  strict: true,
});

export const QUICK = opts.quick!;
/** --profile: CPU profile of the Node-RED child of part 2 in bench/results/profiles/. */
export const PROFILE = opts.profile!;
export const ONLY = new Set(
  opts
    .only!.split(',')
    .map(Number)
    .filter((n) => n >= 1 && n <= 5),
);
export const SIZES = QUICK
  ? // Quick: sized so the slowest stage (TinkerGraph merges at ~1,000 events/s here) keeps the run near two minutes.
    { single: 1000, limit: 2000, kafka: 50000, memory: [2000, 8000], latencySecs: 8 }
  : { single: 20000, limit: 100000, kafka: 200000, memory: [100000, 1000000], latencySecs: 30 };
/** --memory=SMALL,LARGE overrides part 4's backlog sizes (e.g. to check flatness beyond the quick sizes). */
export const MEMORY_SIZES: number[] = opts.memory ? opts.memory.split(',').map(Number) : SIZES.memory;
export const GRAPH = opts.graph as 'tinkergraph' | 'janusgraph';
if (GRAPH !== 'tinkergraph' && GRAPH !== 'janusgraph') throw new Error('--graph must be tinkergraph or janusgraph');
export const JANUS = GRAPH === 'janusgraph';
export const GRAPH_LABEL = JANUS ? 'JanusGraph' : 'TinkerGraph';
export const SOURCE = JANUS ? 'gTest' : 'gBench';
export const RUN_ID = Date.now().toString(36);
export const BROKERS: string[] = ENDPOINTS.kafkaBrokers;
export const GREMLIN_URL = JANUS ? 'ws://127.0.0.1:28182/gremlin' : 'ws://127.0.0.1:8182/gremlin';
export const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
