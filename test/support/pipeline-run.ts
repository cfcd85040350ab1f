/*
 * Running the project's Customer 360 flow for the reliability suite: demo events produced to isolated topics, Node-RED
 * as a child process (scripts/node-red-home.js, as `npm start` runs it) with customerFlow() pointed at those topics,
 * the graph gReliability and any broker / Gremlin URL (e.g. a fault-injecting proxy), plus what the scenarios observe:
 * node statuses (over the editor's comms socket), the child's RSS, the dead-letter topic and the graph.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChildProcess } from 'child_process';
import { Kafka, logLevel, Message } from 'kafkajs';
import { ENDPOINTS, freePort, eventually, customerFlow, sleep } from './project';
import { launchNodeRed, NodeRedProcess } from './node-red-child';
import { DemoRecord, TOPICS, SOURCE_TOPICS } from '../../lib/demo/generator';
import { toMessage } from '../../lib/demo/produce';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { EDGE_IDENTITY } from '../../lib/change-set';
import { GraphSnapshot, GraphComparison, total } from './graph-check';
import { parseMetrics, select } from './metrics-text';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- ws comes with Node-RED, without its types
const WebSocket = require('ws');

export const SOURCE = 'gReliability';

export function kafka(brokers: string[] = ENDPOINTS.kafkaBrokers): Kafka {
  return new Kafka({ brokers, clientId: 'ceh-reliability', logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

/** Creates the prefixed demo topics (3 partitions each unless told, as the demo producer does). */
async function createDemoTopics(k: Kafka, prefix: string, numPartitions: number): Promise<void> {
  const admin = k.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: Object.values(TOPICS).map((t) => ({ topic: prefix + t, numPartitions, replicationFactor: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** The records of one send, grouped by their prefixed topic. */
function topicMessages(prefix: string, records: DemoRecord[]) {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    const t = prefix + r.topic;
    if (!byTopic.has(t)) byTopic.set(t, []);
    byTopic.get(t)!.push(toMessage(r));
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Creates the prefixed demo topics (3 partitions each unless told, as the demo producer does) and writes the records, keyed. */
export async function produceRecords(
  prefix: string,
  records: DemoRecord[],
  brokers: string[] = ENDPOINTS.kafkaBrokers,
  numPartitions = 3,
): Promise<void> {
  const k = kafka(brokers);
  await createDemoTopics(k, prefix, numPartitions);
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += 5000)
      await producer.sendBatch({ topicMessages: topicMessages(prefix, records.slice(i, i + 5000)), acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

/**
 * The records produced at a steady rate, in order, instead of all at once: faults scheduled during the stream then
 * meet work arriving, and the pipeline is not hours of backlog behind (a backlog makes every "resumed" figure the
 * backlog's drain time). holdAt(n) stops the stream before record n until the returned release is called, so a step
 * that must happen while work remains cannot find the stream done, however slow the machine is.
 */
export class PacedStream {
  sent = 0;
  private readonly holds = new Map<number, Promise<void>>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly prefix: string,
    private readonly records: DemoRecord[],
    private readonly perSecond: number,
    private readonly numPartitions: number,
    private readonly brokers: string[] = ENDPOINTS.kafkaBrokers,
  ) {}

  /** Creates the topics (before the consumers start, so they join at once). */
  async createTopics(): Promise<void> {
    await createDemoTopics(kafka(this.brokers), this.prefix, this.numPartitions);
  }

  holdAt(index: number): () => void {
    let release = () => undefined as void;
    this.holds.set(
      Math.min(Math.max(0, Math.round(index)), this.records.length),
      new Promise<void>((r) => {
        release = r;
      }),
    );
    return () => release();
  }

  get done(): boolean {
    return this.sent >= this.records.length;
  }

  start(): void {
    this.running = this.run();
  }

  /** Resolves once every record is sent (rejects with the producer's error). */
  finished(): Promise<void> {
    return this.running ?? Promise.reject(new Error('the stream was not started'));
  }

  private async run(): Promise<void> {
    const producer = kafka(this.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tickMs = 200;
    const perTick = Math.max(1, Math.round((this.perSecond * tickMs) / 1000));
    const holds = [...this.holds.keys()].sort((a, b) => a - b);
    try {
      let due = Date.now();
      while (this.sent < this.records.length) {
        const hold = holds.find((h) => h >= this.sent && h < this.sent + perTick);
        const until = hold === undefined ? this.sent + perTick : hold;
        if (until > this.sent) {
          const chunk = this.records.slice(this.sent, Math.min(until, this.records.length));
          await producer.sendBatch({ topicMessages: topicMessages(this.prefix, chunk), acks: -1 });
          this.sent += chunk.length;
        }
        if (hold !== undefined && this.sent === hold) {
          await this.holds.get(hold);
          holds.splice(holds.indexOf(hold), 1);
          due = Date.now();
          continue;
        }
        due += tickMs;
        await sleep(Math.max(0, due - Date.now()));
      }
    } finally {
      await producer.disconnect();
    }
  }
}

/** Sum over the source topics of the group's committed offsets (what the pipeline has finished for good). */
export async function committedTotal(
  prefix: string,
  groupPrefix: string,
  brokers: string[] = ENDPOINTS.kafkaBrokers,
): Promise<number> {
  const admin = kafka(brokers).admin();
  await admin.connect();
  try {
    let n = 0;
    for (const t of SOURCE_TOPICS) {
      const res = await admin.fetchOffsets({ groupId: `${groupPrefix}-${t.replace(/\W/g, '')}`, topics: [prefix + t] });
      for (const p of res[0]?.partitions ?? []) n += Math.max(0, Number(p.offset));
    }
    return n;
  } finally {
    await admin.disconnect();
  }
}

export interface DeadLetters {
  /** Messages on the dead-letter topic. */
  messages: number;
  /** Distinct source records (topic/partition/offset from the headers). */
  distinct: number;
  /** Distinct source records per source topic (the demo topic, without the run's prefix). */
  perTopic: Record<string, number>;
  /** Reasons seen (ceh-error header), first 80 chars, with counts. */
  reasons: Record<string, number>;
}

/** Reads the whole dead-letter topic (up to its current end). */
export async function readDeadLetters(
  prefix: string,
  brokers: string[] = ENDPOINTS.kafkaBrokers,
): Promise<DeadLetters> {
  const topic = prefix + TOPICS.deadletter;
  const k = kafka(brokers);
  const admin = k.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const want = ends.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  const out: DeadLetters = { messages: 0, distinct: 0, perTopic: {}, reasons: {} };
  if (want === 0) return out;
  const seen = new Set<string>();
  const consumer = k.consumer({ groupId: `ceh-reliability-dl-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.messages}/${want} dead letters`)), 30000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            const h = (n: string) => (message.headers?.[n] ? String(message.headers[n]) : '');
            out.messages++;
            const source = `${h('ceh-source-topic')}/${h('ceh-source-partition')}@${h('ceh-source-offset')}`;
            if (!seen.has(source)) {
              seen.add(source);
              const topic = h('ceh-source-topic').startsWith(prefix)
                ? h('ceh-source-topic').slice(prefix.length)
                : h('ceh-source-topic');
              out.perTopic[topic] = (out.perTopic[topic] ?? 0) + 1;
            }
            const reason = h('ceh-error').replace(/\d+/g, 'N').slice(0, 80);
            out.reasons[reason] = (out.reasons[reason] ?? 0) + 1;
            if (out.messages >= want) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  out.distinct = seen.size;
  return out;
}

/** A connection to the graph of the suite, straight to the server (never through a test proxy). */
export function graphConnection(): GremlinConnection {
  return new GremlinConnection({ url: ENDPOINTS.gremlinUrl, traversalSource: SOURCE, requestTimeoutMs: 120000 });
}

/** The graph instance behind SOURCE (Gremlin Server binds each graph by its name in scripts). */
const GRAPH = 'reliability';

/**
 * Empties the suite's graph and indexes the given vertex key properties (those of the demo mappings). Without the indexes every
 * mergeV scans all vertices (TinkerGraph has no index unless asked), which makes a 50,000-event run ten times slower;
 * any production graph indexes its key properties too. createIndex is a no-op for a key already indexed.
 */
export async function clearGraph(conn: GremlinConnection, keys: string[]): Promise<void> {
  // TinkerGraph.clear() empties the graph (and its indexes) at once; V().drop() takes a minute for a 50,000-event graph.
  await conn.submit(
    `${GRAPH}.clear(); keyNames.each { ${GRAPH}.createIndex(it, Vertex.class) }; ${SOURCE}.V().count()`,
    { keyNames: keys },
  );
}

/**
 * The graph's size: its data (vertices, edges) and, apart, the keyed-edge guard's identity vertices (EDGE_IDENTITY:
 * one per keyed edge on JanusGraph, the writer's bookkeeping; 0 on TinkerGraph). Counting them as data made the
 * bench's JanusGraph end-to-end graph look 3,220 vertices larger than the same merges run inside the server.
 */
export async function graphCounts(
  conn: GremlinConnection,
  source = SOURCE,
): Promise<{ vertices: number; edges: number; identities: number }> {
  // The server iterates a returned list: three results.
  const [v, i, e] = (await conn.submit(
    `[${source}.V().count().next(), ${source}.V().hasLabel(I).count().next(), ${source}.E().count().next()]`,
    { I: EDGE_IDENTITY.label },
  )) as unknown[];
  return { vertices: Number(v) - Number(i), edges: Number(e), identities: Number(i) };
}

/**
 * Waits until the graph holds at least `elements` vertices and edges (a point mid-stream); the counts then. Each poll
 * counts the whole graph: poll a graph whose scans compete with the writer (JanusGraph) less often.
 */
export async function graphReaches(
  conn: GremlinConnection,
  elements: number,
  nr: { logTail(): string },
  timeoutMs = 5 * 60_000,
  { source = SOURCE, pollMs = 100 }: { source?: string; pollMs?: number } = {},
): Promise<{ vertices: number; edges: number; identities: number }> {
  return withLog(nr, () =>
    eventually(
      `the graph to hold ${elements} elements`,
      async () => {
        const c = await graphCounts(conn, source);
        if (c.vertices + c.edges < elements) throw new Error(`at ${c.vertices + c.edges}`);
        return c;
      },
      timeoutMs,
      pollMs,
    ),
  );
}

/** Waits until the groups have committed `events` source offsets: the flow has finished every event for good. */
export async function drained(
  prefix: string,
  groupPrefix: string,
  events: number,
  nr: { logTail(): string },
  { timeoutMs = 5 * 60_000, brokers = ENDPOINTS.kafkaBrokers }: { timeoutMs?: number; brokers?: string[] } = {},
): Promise<void> {
  await withLog(nr, () =>
    eventually(
      `${events} offsets committed`,
      async () => {
        const n = await committedTotal(prefix, groupPrefix, brokers);
        if (n < events) throw new Error(`${n}/${events} committed`);
        return true;
      },
      timeoutMs,
      500,
    ),
  );
}

/** A wait that fails with Node-RED's last log lines appended. */
async function withLog<T>(nr: { logTail(): string }, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${nr.logTail()}`, { cause: e });
  }
}

export interface RunOptions {
  topicPrefix: string;
  groupPrefix: string;
  brokers?: string;
  gremlinUrl?: string;
  maxInFlight?: number;
  /** The Kafka client id of the flow's broker node (default customer-360). */
  clientId?: string;
  /** Another traversal source than the suite's (the cluster profile's JanusGraph Servers serve g). */
  traversalSource?: string;
  concurrency?: number;
  /** How long a start may take until the editor answers (default 60 s; several instances on a loaded machine need more). */
  startTimeoutMs?: number;
}

/**
 * Node-RED as a child process on its own userDir and port, running customerFlow(). The same instance can be killed
 * and started again on the same userDir (same flow, same consumer groups), as a supervisor would.
 */
export class NodeRedChild {
  readonly userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-reliability-'));
  port = 0;
  private proc: NodeRedProcess | null = null;
  /** Output of the runs before the current one (a restart keeps the story whole). */
  private earlierLog = '';
  /** Latest status per node id (text), from the editor's comms socket. */
  readonly status = new Map<string, { text?: string; fill?: string }>();
  /** Every status text seen per node id (to prove a state was reached, e.g. "paused"). */
  readonly statusHistory = new Map<string, string[]>();
  private ws: any = null;
  readonly flow: any[];
  private readonly startTimeoutMs: number;

  constructor({ startTimeoutMs = 60000, ...opts }: RunOptions) {
    this.startTimeoutMs = startTimeoutMs;
    this.flow = customerFlow({ traversalSource: SOURCE, httpPath: '/customer/:id/360', ...opts });
    fs.writeFileSync(path.join(this.userDir, 'flow-source.json'), JSON.stringify(this.flow));
  }

  nodeId(type: string, nameIncludes = ''): string {
    const n = this.flow.find((x) => x.type === type && String(x.name ?? '').includes(nameIncludes));
    if (!n) throw new Error(`no ${type} node named like "${nameIncludes}" in the flow`);
    return n.id;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('Node-RED is not running');
    return this.child.pid;
  }

  get child(): ChildProcess | null {
    return this.proc?.child ?? null;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.proc = await launchNodeRed({
      userDir: this.userDir,
      flowFile: path.join(this.userDir, 'flow-source.json'),
      port: this.port,
      keepChunks: 400,
      timeoutMs: this.startTimeoutMs,
    });
    await this.watchStatus();
  }

  private async watchStatus(): Promise<void> {
    const ws = new WebSocket(`ws://127.0.0.1:${this.port}/comms`);
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ subscribe: 'status/#' }));
    ws.on('message', (data: Buffer) => {
      let events: any;
      try {
        events = JSON.parse(data.toString());
      } catch {
        return;
      }
      for (const e of Array.isArray(events) ? events : [events]) {
        if (typeof e?.topic !== 'string' || !e.topic.startsWith('status/')) continue;
        const id = e.topic.slice('status/'.length);
        this.status.set(id, e.data ?? {});
        const h = this.statusHistory.get(id) ?? [];
        if (e.data?.text) h.push(String(e.data.text));
        if (h.length > 2000) h.splice(0, 1000);
        this.statusHistory.set(id, h);
      }
    });
    ws.on('error', () => undefined);
  }

  /** VmRSS of the child in MB (from /proc). */
  rssMb(): number {
    const s = fs.readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(s);
    return m ? Number(m[1]) / 1024 : NaN;
  }

  /** Kills the child with a signal and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.ws?.terminate();
    this.ws = null;
    await proc.kill(signal);
    this.earlierLog = `${this.earlierLog}${proc.output()}`.slice(-100000);
    this.proc = null;
  }

  /** Records this instance's kafka in nodes took per "topic/partition" (its GET /metrics; the topic without prefix). */
  async consumedByPartition(prefix = ''): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const s of await this.series('ceh_kafka_in_records_consumed_total')) {
      const key = `${s.labels.topic.startsWith(prefix) ? s.labels.topic.slice(prefix.length) : s.labels.topic}/${s.labels.partition}`;
      out.set(key, (out.get(key) ?? 0) + s.value);
    }
    return out;
  }

  /** The sum of every series of one metric in this instance's GET /metrics (0 when it has none). */
  async metricTotal(name: string): Promise<number> {
    return (await this.series(name)).reduce((n, s) => n + s.value, 0);
  }

  /** One metric's series in this instance's GET /metrics. */
  private async series(name: string) {
    const res = await fetch(`http://127.0.0.1:${this.port}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics of :${this.port}: ${res.status}`);
    return select(parseMetrics(await res.text()), name);
  }

  logTail(lines = 40): string {
    return `${this.earlierLog}${this.proc?.output() ?? ''}`.split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/** The summary-row fields every pipeline scenario shares: the graph expected vs found, dead letters, lost, duplicated. */
export function graphRowFields(
  expected: GraphSnapshot,
  actual: GraphSnapshot,
  cmp: GraphComparison,
  dead: DeadLetters,
) {
  return {
    verticesExpected: total(expected.vertices),
    verticesFound: total(actual.vertices),
    edgesExpected: total(expected.edges),
    edgesFound: total(actual.edges),
    errorOutputs: dead.messages,
    lost: cmp.lost,
    duplicated: cmp.duplicated,
  };
}

/**
 * Empties a JanusGraph graph in small transactions: dropping an edge of a SIMPLE LOCK label (lib/graph-schema) takes
 * its lock too, and one transaction over the whole graph outlives storage.lock.expiry-time (ExpiredLockException).
 */
export async function dropJanusGraphInChunks(conn: GremlinConnection, chunk = 200): Promise<void> {
  for (;;) {
    const [left] = await conn.submit(`g.V().limit(${chunk}).drop().iterate(); g.V().limit(1).count()`);
    if (Number(left) === 0) return;
  }
}
