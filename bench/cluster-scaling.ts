/*
 * `npm run bench:cluster` (CEH_BENCH_CLUSTER_EVENTS=N events per configuration, default 2,000): throughput with 1, 2 and 3 Node-RED instances on the stack's cluster profile
 * (6-partition topics, two JanusGraph Servers on one Cassandra keyspace), one configuration after the other in one
 * run, so the ratios share the machine's load (printed with the table). For each configuration: fresh topics with the
 * same demo events, an empty graph, N instances started, then the time until every event is committed; and the CPU
 * seconds each process of the cluster used meanwhile (/proc), which says where the time went.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ENDPOINTS, unique, sleep } from '../test/support/project';
import { generate } from '../lib/demo/generator';
import { GremlinConnection } from '../lib/gremlin/connection';
import { NodeRedChild, produceRecords, committedTotal, dropJanusGraphInChunks } from '../test/support/pipeline-run';
import { deleteTopics, demoTopics } from '../test/support/kafka-test-kit';
import { cpuSeconds } from './suite/pipeline';

// An environment variable, not a flag: bench/suite's options parser reads (and checks) the command line on import.
const EVENTS = Number(process.env.CEH_BENCH_CLUSTER_EVENTS) || 2000;
const URLS: string[] = ENDPOINTS.janusgraphClusterUrls;
const STACK_DIR = process.env.CEH_STACK_DIR || path.join(__dirname, '..', '..', 'stack', '.run');

/** The stack's server processes of the cluster profile, by name, from their pid files. */
function serverPids(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['kafka', 'cassandra', 'janusgraph-cql-1', 'janusgraph-cql-2']) {
    const file = path.join(STACK_DIR, name, 'pid');
    if (fs.existsSync(file)) out[name] = Number(fs.readFileSync(file, 'utf8').trim());
  }
  return out;
}

interface Row {
  instances: number;
  seconds: number;
  eventsPerSecond: number;
  cpu: Record<string, number>;
  load: string;
}

async function runOne(instances: number): Promise<Row> {
  const run = unique('bench-cluster');
  const prefix = `${run}.`;
  const conn = new GremlinConnection({ url: URLS[0], requestTimeoutMs: 600000 });
  await dropJanusGraphInChunks(conn);
  await conn.close();
  await produceRecords(prefix, generate(EVENTS, 11).records, ENDPOINTS.kafkaBrokers, 6);
  const nodes = Array.from(
    { length: instances },
    (_, i) =>
      new NodeRedChild({
        topicPrefix: prefix,
        groupPrefix: run,
        gremlinUrl: URLS[i % URLS.length],
        traversalSource: 'g',
        concurrency: 1,
        startTimeoutMs: 180000,
      }),
  );
  try {
    // Started one after the other; the clock runs from the first start, as a deployment would see it.
    const servers = serverPids();
    const before: Record<string, number> = {};
    for (const [n, pid] of Object.entries(servers)) before[n] = cpuSeconds(pid) ?? 0;
    const t0 = Date.now();
    for (const n of nodes) await n.start();
    while ((await committedTotal(prefix, run)) < EVENTS) {
      if (Date.now() - t0 > 40 * 60_000) throw new Error(`${instances} instance(s): not drained in 40 min`);
      await sleep(500);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu: Record<string, number> = {};
    for (const [n, pid] of Object.entries(servers)) cpu[n] = (cpuSeconds(pid) ?? 0) - before[n];
    nodes.forEach((n, i) => (cpu[`node-red-${i + 1}`] = cpuSeconds(n.pid) ?? 0));
    return {
      instances,
      seconds,
      eventsPerSecond: EVENTS / seconds,
      cpu,
      load: os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
    };
  } finally {
    for (const n of nodes) await n.stop().catch(() => undefined);
    await deleteTopics(demoTopics(prefix));
  }
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const n of [1, 2, 3]) {
    rows.push(await runOne(n));
    console.log(`[bench:cluster] ${n} instance(s): ${rows.at(-1)!.seconds.toFixed(0)} s`);
  }
  console.log(`\n${EVENTS} demo events, cluster profile, ${os.cpus().length} cores`);
  console.log(
    '| instances | drain s | events/s | vs 1 | CPU s: node-red (sum) | janusgraph (sum) | cassandra | kafka | load 1/5/15 at end |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const sum = (re: RegExp) =>
      Object.entries(r.cpu)
        .filter(([k]) => re.test(k))
        .reduce((a, [, v]) => a + v, 0)
        .toFixed(0);
    console.log(
      `| ${r.instances} | ${r.seconds.toFixed(0)} | ${r.eventsPerSecond.toFixed(1)} | ${(r.eventsPerSecond / rows[0].eventsPerSecond).toFixed(2)} | ${sum(/^node-red/)} | ${sum(/^janusgraph/)} | ${sum(/^cassandra/)} | ${sum(/^kafka/)} | ${r.load} |`,
    );
  }
  const dir = path.join(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `cluster-scaling-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ events: EVENTS, rows }, null, 2)}\n`);
  console.log(`\nwritten ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
