/*
 * Shared pieces of the kafka tests: a probe that function nodes in a real Node-RED flow report to (and hold done()
 * callbacks in), and small admin/produce helpers against the real local broker.
 */
import { before, after } from 'node:test';
import { startNodeRed, NodeRedRuntime } from './node-red-runtime';
import { Kafka, logLevel, Admin } from 'kafkajs';
import { ENDPOINTS, unique } from './project';
import { TOPICS } from '../../lib/demo/generator';

export interface Arrival {
  msg: any;
  done?: (err?: Error) => void;
}

/** Function nodes call global.get('probe').record(name, msg) or .hold(name, msg, cb) — the test reads and releases. */
export class Probe {
  readonly arrivals = new Map<string, Arrival[]>();
  private holding = new Map<string, Arrival[]>();
  /** Largest number ever held at once per name. */
  readonly maxHeld = new Map<string, number>();

  record(name: string, msg: unknown): void {
    this.list(name).push({ msg });
  }

  hold(name: string, msg: unknown, done: (err?: Error) => void): void {
    const a = { msg, done };
    this.list(name).push(a);
    const h = this.holding.get(name) || [];
    h.push(a);
    this.holding.set(name, h);
    this.maxHeld.set(name, Math.max(this.maxHeld.get(name) || 0, h.length));
  }

  list(name: string): Arrival[] {
    let l = this.arrivals.get(name);
    if (!l) {
      l = [];
      this.arrivals.set(name, l);
    }
    return l;
  }

  msgs(name: string): any[] {
    return this.list(name).map((a) => a.msg);
  }

  held(name: string): Arrival[] {
    return this.holding.get(name) || [];
  }

  /** Calls done() for held messages that match (all when no filter); returns how many were released. */
  release(name: string, filter: (msg: any) => boolean = () => true, err?: Error): number {
    const h = this.held(name);
    const keep: Arrival[] = [];
    let n = 0;
    for (const a of h) {
      if (filter(a.msg)) {
        a.done!(err);
        n += 1;
      } else keep.push(a);
    }
    this.holding.set(name, keep);
    return n;
  }

  clear(): void {
    this.arrivals.clear();
    this.holding.clear();
    this.maxHeld.clear();
  }
}

/** Function node code that records each message under `name` (finishes at once). */
export function recordCode(name: string): string {
  return `global.get('probe').record(${JSON.stringify(name)}, msg); return null;`;
}

/** Function node code that holds each message under `name` until the test releases it (node.done later). */
export function holdCode(name: string): string {
  // The function node only leaves done() to the code when the code contains a literal `node.done()` call.
  return `global.get('probe').hold(${JSON.stringify(name)}, msg, (err) => err ? node.done(err) : node.done()); return null;`;
}

export function kafkaClient(brokers: string[] = ENDPOINTS.kafkaBrokers): Kafka {
  return new Kafka({ brokers, clientId: unique('ceh-test'), logLevel: logLevel.NOTHING });
}

export async function withAdmin<T>(
  fn: (admin: Admin) => Promise<T>,
  brokers: string[] = ENDPOINTS.kafkaBrokers,
): Promise<T> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createTopics(topics: string[], numPartitions = 1): Promise<void> {
  await withAdmin((a) =>
    a.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
      waitForLeaders: true,
    }),
  );
}

export function createTopic(topic: string, numPartitions = 1): Promise<void> {
  return createTopics([topic], numPartitions);
}

/** Every demo topic (lib/demo/generator's TOPICS, the dead-letter topic included) under a run's prefix. */
export function demoTopics(prefix: string): string[] {
  return Object.values(TOPICS).map((t) => prefix + t);
}

/**
 * Clean-up: deletes the named topics, best effort — a topic the run never created, or a broker already gone, is no
 * error (the call resolves all the same).
 */
export async function deleteTopics(topics: string[], brokers: string[] = ENDPOINTS.kafkaBrokers): Promise<void> {
  await withAdmin((a) => a.deleteTopics({ topics, timeout: 10000 }), brokers).catch(() => undefined);
}

export async function produce(
  topic: string,
  messages: Array<{
    key?: string | null;
    value: string | Buffer | null;
    partition?: number;
    headers?: Record<string, string>;
  }>,
): Promise<void> {
  const producer = kafkaClient().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** The record at a topic's partition and offset, read from the broker with a group of its own. */
export async function recordAt(
  topic: string,
  partition: number,
  offset: string,
  timeoutMs = 30000,
): Promise<{ key: string | null; value: string | null; timestamp: string }> {
  const groupId = unique('record-at');
  const consumer = kafkaClient().consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${topic}/${partition}@${offset}: not read in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition: p, message }) => {
            if (p !== partition || message.offset !== offset) return;
            clearTimeout(timer);
            resolve({
              key: message.key === null ? null : String(message.key),
              value: message.value === null ? null : String(message.value),
              timestamp: message.timestamp,
            });
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    await withAdmin((a) => a.deleteGroups([groupId])).catch(() => undefined);
  }
}

/** The group's committed offset per partition (-1 when nothing was committed). */
export async function committed(groupId: string, topic: string): Promise<Record<number, number>> {
  const res = await withAdmin((a) => a.fetchOffsets({ groupId, topics: [topic] }));
  const out: Record<number, number> = {};
  for (const p of res[0]?.partitions || []) out[p.partition] = Number(p.offset);
  return out;
}

/**
 * True when the group has committed every partition of the topic up to its end (nothing left to read), or the topic
 * does not exist yet (nothing to read: Debezium creates a table's topic with its first change).
 */
export async function caughtUp(groupId: string, topic: string): Promise<boolean> {
  let ends: Array<{ partition: number; high: string; low: string }>;
  try {
    ends = await withAdmin((a) => a.fetchTopicOffsets(topic));
  } catch (e) {
    // kafkajs wraps it after its retries: the text is what stays.
    if (/does not host this topic-partition/.test(String((e as Error).message))) return true;
    throw e;
  }
  const done = await committed(groupId, topic);
  return ends.every((p) => Number(p.high) === Number(p.low) || (done[p.partition] ?? -1) >= Number(p.high));
}

/** Flow nodes for a plain-text broker config. */
export function brokerNode(id = 'broker'): Record<string, unknown> & { id: string; type: string } {
  return { id, type: 'ceh-kafka-broker', brokers: ENDPOINTS.kafkaBrokers.join(','), clientId: 'ceh-test' };
}

/**
 * One embedded Node-RED runtime for a test file (optional extra settings), with a Probe in its global context; the topics the file lists in
 * `topics` are deleted when the file ends. Registers the file's before/after hooks.
 */
export function kafkaTestRuntime(settings?: Record<string, unknown>): {
  probe: Probe;
  topics: string[];
  readonly rt: NodeRedRuntime;
} {
  const probe = new Probe();
  const topics: string[] = [];
  let rt: NodeRedRuntime | undefined;
  before(async () => {
    rt = await startNodeRed({ globals: { probe }, settings });
  });
  after(async () => {
    await rt?.stop();
    await deleteTopics(topics);
  });
  return {
    probe,
    topics,
    get rt(): NodeRedRuntime {
      if (!rt) throw new Error('the Node-RED runtime is not started yet (use it inside a test)');
      return rt;
    },
  };
}
