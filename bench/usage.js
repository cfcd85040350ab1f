'use strict';
/*
 * The bench's usage, in plain JavaScript: scripts/bench.js prints it for --help before it builds or starts the stack;
 * bench/suite/options.ts reads the command line against it.
 */
const USAGE =
  'usage: npm run bench -- [--quick] [--only 1,2,...] [--profile] [--memory SMALL,LARGE] [--graph janusgraph|janusgraph-cql]';
const HELP = `${USAGE}
  --quick                sizes that keep the run near two minutes
  --only 1,3             only these parts (1 single vs batched, 2 server limit vs end to end, 3 kafka in vs raw
                         kafkajs, 4 memory, 5 latency; default all)
  --profile              CPU profile of the Node-RED child of part 2 in bench/results/profiles/
  --memory SMALL,LARGE   part 4's backlog sizes
  --graph janusgraph     parts 1 and 2 against the stack's JanusGraph (gTest) instead of TinkerGraph (gBench)
  --graph janusgraph-cql parts 1 and 2 against the cluster profile's first JanusGraph Server on Cassandra (its g,
                         cleared: stack:up -- --profile cluster first)`;

module.exports = { USAGE, HELP };
