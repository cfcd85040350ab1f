/*
 * `npm run bench:cluster` (CEH_BENCH_CLUSTER_EVENTS=N events per configuration, default 3,000): throughput with 1, 2
 * and 3 Node-RED instances on the stack's cluster profile (6-partition topics, two JanusGraph Servers on one Cassandra
 * keyspace), one configuration after the other in one run, so the ratios share the machine's load (printed with the
 * table). For each configuration: an empty graph, fresh empty topics, N instances started and their consumer groups
 * stable with N members each; then the same demo events are produced and the clock runs from the first record sent
 * to the last offset committed (steady-state ingestion: Node-RED's start is not in it). The CPU seconds each process
 * of the cluster used over that window (/proc) say where the time went.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
import { ENDPOINTS, unique, sleep } from '../test/support/project';
import { generate, TOPICS } from '../lib/demo/generator';
import { GremlinConnection } from '../lib/gremlin/connection';
import { NodeRedChild, produceRecords, committedTotal, dropJanusGraphInChunks } from '../test/support/pipeline-run';
import { deleteTopics, demoTopics } from '../test/support/kafka-test-kit';
import { cpuSeconds } from './suite/pipeline';

// An environment variable, not a flag: bench/suite's options parser reads (and checks) the command line on import.
const EVENTS = Number(process.env.CEH_BENCH_CLUSTER_EVENTS) || 3000;
const SOURCE_TOPICS = [TOPICS.customers, TOPICS.orders, TOPICS.clicks, TOPICS.tweets];
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

/** Until every source topic's consumer group is Stable with `members` members (the partitions are shared out). */
async function groupsStable(run: string, members: number): Promise<number> {
  const admin = new Kafka({
    brokers: ENDPOINTS.kafkaBrokers,
    clientId: 'ceh-bench',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  const t0 = Date.now();
  try {
    for (;;) {
      const { groups } = await admin.describeGroups(SOURCE_TOPICS.map((t) => `${run}-${t.replace(/\W/g, '')}`));
      if (groups.every((g) => g.state === 'Stable' && g.members.length === members)) return (Date.now() - t0) / 1000;
      if (Date.now() - t0 > 300_000)
        throw new Error(`groups not stable: ${groups.map((g) => `${g.groupId} ${g.state} ${g.members.length}`)}`);
      await sleep(500);
    }
  } finally {
    await admin.disconnect();
  }
}

interface Row {
  instances: number;
  seconds: number;
  /** How long the groups took to be stable after the last instance's editor answered. */
  settleSeconds: number;
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
  // The topics first, empty: the instances join their groups before there is anything to consume.
  await produceRecords(prefix, [], ENDPOINTS.kafkaBrokers, 6);
  const records = generate(EVENTS, 11).records;
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
    for (const n of nodes) await n.start();
    const settleSeconds = await groupsStable(run, instances);
    const servers = serverPids();
    const before: Record<string, number> = {};
    for (const [n, pid] of Object.entries(servers)) before[n] = cpuSeconds(pid) ?? 0;
    nodes.forEach((n, i) => (before[`node-red-${i + 1}`] = cpuSeconds(n.pid) ?? 0));
    const t0 = Date.now();
    await produceRecords(prefix, records, ENDPOINTS.kafkaBrokers, 6);
    while ((await committedTotal(prefix, run)) < EVENTS) {
      if (Date.now() - t0 > 40 * 60_000) throw new Error(`${instances} instance(s): not drained in 40 min`);
      await sleep(500);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu: Record<string, number> = {};
    for (const [n, pid] of Object.entries(servers)) cpu[n] = (cpuSeconds(pid) ?? 0) - before[n];
    nodes.forEach((n, i) => (cpu[`node-red-${i + 1}`] = (cpuSeconds(n.pid) ?? 0) - before[`node-red-${i + 1}`]));
    return {
      instances,
      seconds,
      settleSeconds,
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
    const r = rows.at(-1)!;
    console.log(
      `[bench:cluster] ${n} instance(s): groups stable after ${r.settleSeconds.toFixed(0)} s, drained in ${r.seconds.toFixed(0)} s`,
    );
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
