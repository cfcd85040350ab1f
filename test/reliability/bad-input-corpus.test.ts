/*
 * Scenario 4, bad input corpus: every case of test/fixtures/corpus/*.jsonl is produced to the Customer 360 flow
 * (Node-RED as a child process, the project's real flow, graph gCorpus) with a good event before it on the same
 * topic. Result: Node-RED stays up, every bad event is on the dead-letter topic exactly once with a reason naming the
 * field, every partition's committed offset reaches the end, and the graph holds exactly the good events' elements
 * (a sentinel vertex survives, injection text is stored verbatim as data). Runs on each graph of GRAPHS: TinkerGraph
 * (gCorpus) and the stack's JanusGraph (gTest, with the mappings' schema: typed keys, unique indexes).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Kafka, logLevel, Consumer, Producer } from 'kafkajs';
import { ROOT, ENDPOINTS, unique, eventually, customerFlow } from '../support/project';
import { recordScenario } from '../support/reliability';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { launchNodeRed, NodeRedProcess } from '../support/node-red-child';
import { vertexKeys, edgeCounts } from './corpus-kit';
import { DEAD_LETTER_HEADERS } from '../../lib/kafka/dead-letter';
import { EDGE_IDENTITY } from '../../lib/change-set';
import { GRAPHS } from '../support/graphs';

interface Case {
  name: string;
  topic: 'orders' | 'clicks' | 'customers' | 'tweets';
  key: string | null;
  value?: string | null;
  valueBase64?: string;
  expect: 'deadletter' | 'graph' | 'skipped';
  field?: string;
  reason?: string;
  vertices?: string[];
  edges?: Record<string, number>;
  props?: Array<{ vertex: string; key: string; value: string; prop?: string; equals?: string }>;
}

const CORPUS_DIR = path.join(ROOT, 'test', 'fixtures', 'corpus');
const TOPIC: Record<Case['topic'], string> = {
  orders: 'customer.orders',
  clicks: 'customer.clicks',
  customers: 'crm.customers.cdc',
  tweets: 'social.tweets',
};
const KEYS = {
  customer: 'customerId',
  order: 'orderId',
  product: 'sku',
  page: 'url',
  tweet: 'tweetId',
  twitterUser: 'userId',
  term: 'text',
  country: 'code',
  sentinel: 'name',
};
/** Topics of this scenario accept records up to 8 MB (Kafka's default is ~1 MB), so 5 MB events get into the flow. */
const TOPIC_MAX_BYTES = 8 * 1024 * 1024;
const HUGE = 5 * 1024 * 1024;
const PWNED = '/tmp/ceh-corpus-pwned';

function loadCorpus(): Case[] {
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) =>
      fs
        .readFileSync(path.join(CORPUS_DIR, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Case),
    );
}

/** Expands the placeholders: "@@DEEP:n@@" (with its quotes) → an object nested n levels; "@@HUGE:n@@" → n characters. */
function rawValue(c: Case): Buffer | null {
  if (c.valueBase64 !== undefined) return Buffer.from(c.valueBase64, 'base64');
  if (c.value === null || c.value === undefined) return null;
  return Buffer.from(
    c.value
      .replace(/"@@DEEP:(\d+)@@"/g, (_, n) => `${'{"a":'.repeat(Number(n))}1${'}'.repeat(Number(n))}`)
      .replace(/@@HUGE:(\d+)@@/g, (_, n) => 'h'.repeat(Number(n))),
    'utf8',
  );
}

/** A good event for each topic, with the vertices and edges it adds. */
function goodEvent(topic: Case['topic'], i: number): { value: unknown; vertices: string[]; edges: string[] } {
  switch (topic) {
    case 'orders':
      return {
        value: {
          customerId: `GC-o${i}`,
          orderId: `GO-${i}`,
          placedAt: 1714557600000 + i,
          total: 20 + i,
          channel: 'web',
          items: [{ sku: `GP-${i}`, lineNo: 1, quantity: 2, price: 10 }],
        },
        vertices: [`customer:GC-o${i}`, `order:GO-${i}`, `product:GP-${i}`],
        edges: ['placed', 'contains'],
      };
    case 'clicks':
      return {
        value: {
          clickId: `GK-${i}`,
          customerId: `GC-k${i}`,
          url: `/g/${i}`,
          pageType: 'home',
          ts: 1714557600000 + i,
          sessionId: 'S',
        },
        vertices: [`customer:GC-k${i}`, `page:/g/${i}`],
        edges: ['viewed'],
      };
    case 'customers':
      return {
        value: {
          op: 'c',
          before: null,
          after: {
            customer_id: `GC-c${i}`,
            email: `g${i}@example.com`,
            first_name: 'G',
            last_name: 'Ood',
            created_at: 1714557600000,
          },
          source: { ts_ms: 1714557600000 },
        },
        vertices: [`customer:GC-c${i}`],
        edges: [],
      };
    case 'tweets':
      return {
        value: {
          id_str: `GT-${i}`,
          text: 'fine',
          lang: 'en',
          timestamp_ms: '1714557600000',
          user: { id_str: `GU-${i}`, screen_name: 'g', name: 'G', followers_count: 1 },
          entities: { hashtags: [] },
        },
        vertices: [`twitterUser:GU-${i}`, `tweet:GT-${i}`],
        edges: ['publishes'],
      };
    default:
      throw new Error(topic);
  }
}

for (const target of GRAPHS)
  test(
    `bad input corpus on ${target.name}: 0 crashes, every bad event dead-lettered with its field, offsets at the end, only expected graph elements`,
    { timeout: 240000 },
    async (t) => {
      const cleanups: Array<() => Promise<unknown>> = [];
      t.after(async () => {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      });
      const source = target.suiteSource('gCorpus'); // gCorpus (TinkerGraph) / gTest (JanusGraph)
      const corpus = loadCorpus();
      assert.ok(corpus.length >= 100, `the corpus has ${corpus.length} cases`);
      const run = unique('corpus').replace(/-/g, '');
      const prefix = `corpus.${run}.`;
      const groupPrefix = `corpus-${run}`;
      const topics = Object.values(TOPIC).map((t) => prefix + t);
      const deadLetterTopic = `${prefix}customer.deadletter`;

      const graph = new GremlinConnection({
        url: target.url,
        traversalSource: source,
        requestTimeoutMs: 120000,
        serverTimeout: target.serverTimeout,
      });
      cleanups.push(() => graph.close());
      const submit = (q: string, b?: Record<string, unknown>) => graph.submit(q, b) as Promise<unknown[]>;
      // JanusGraph: dropped, its schema and indexes kept; TinkerGraph: V().drop() keeps the key indexes (clear() would not).
      await submit(target.schema ? target.clearScript(source) : 'g.V().drop()');
      await submit("g.addV('sentinel').property('name', 'corpus-sentinel').iterate()");
      fs.rmSync(PWNED, { force: true });

      const kafka = new Kafka({ brokers: ENDPOINTS.kafkaBrokers, clientId: `ceh-${run}`, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      cleanups.push(() => admin.disconnect());
      const limitedTopic = `${prefix}default-size-limit`;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          ...[...topics, deadLetterTopic].map((topic) => ({
            topic,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_BYTES) }],
          })),
          { topic: limitedTopic, numPartitions: 1, replicationFactor: 1 },
        ],
      });
      cleanups.push(() => admin.deleteTopics({ topics: [...topics, deadLetterTopic, limitedTopic] }));

      const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      cleanups.push(() => producer.disconnect());

      // A 5 MB record to a topic with Kafka's default limit (~1 MB) never enters Kafka: the broker rejects it and the
      // producer gets a clear, non-retriable error. This is what happens to such a record before any node sees it.
      const hugeDefault = await producer
        .send({ topic: limitedTopic, acks: -1, messages: [{ value: 'h'.repeat(HUGE) }] })
        .then(
          () => null,
          (e: Error) => e,
        );
      assert.ok(hugeDefault, 'a 5 MB record must be refused by a topic with the default max.message.bytes');
      assert.match(
        `${hugeDefault!.name} ${hugeDefault!.message} ${(hugeDefault as any).type ?? ''}`,
        /MESSAGE_TOO_LARGE|larger than the max message size/i,
      );

      const nodeRed: NodeRedProcess = await launchNodeRed({
        name: 'corpus',
        flow: customerFlow({
          topicPrefix: prefix,
          groupPrefix,
          graph: target.name,
          gremlinUrl: target.url,
          traversalSource: source,
          httpPath: `/${run}/:id/360`,
          lingerMs: 20,
        }),
      });
      cleanups.push(() => nodeRed.stop());

      // Dead letters are read back as they arrive.
      const deadLetters: Array<{ headers: Record<string, string>; value: Buffer | null; key: string | null }> = [];
      const dlConsumer: Consumer = kafka.consumer({
        groupId: `${groupPrefix}-reader`,
        maxBytesPerPartition: TOPIC_MAX_BYTES,
      });
      await dlConsumer.connect();
      cleanups.push(() => dlConsumer.disconnect());
      await dlConsumer.subscribe({ topics: [deadLetterTopic], fromBeginning: true });
      await dlConsumer.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers || {})) headers[k] = String(v);
          deadLetters.push({ headers, value: message.value, key: message.key ? message.key.toString() : null });
        },
      });

      // Produce: a good event, then the case, on the same topic; one more good event per topic at the end.
      const expectedVertices = new Set<string>(['sentinel:corpus-sentinel']);
      const expectedEdges: Record<string, number> = {};
      const addGood = (g: { vertices: string[]; edges: string[] }) => {
        for (const v of g.vertices) expectedVertices.add(v);
        for (const e of g.edges) expectedEdges[e] = (expectedEdges[e] || 0) + 1;
      };
      const caseAt = new Map<string, Case>();
      let goods = 0;
      let bytes = 0;
      const sendOne = async (topic: string, key: string | null, value: Buffer | string | null) => {
        const [r] = await producer.send({ topic, acks: -1, messages: [{ key, value }] });
        bytes += value === null ? 0 : value.length;
        return `${topic}@${r.baseOffset}`;
      };
      const sendGood = async (topic: Case['topic']) => {
        const g = goodEvent(topic, goods);
        await sendOne(prefix + TOPIC[topic], `G-${goods}`, JSON.stringify(g.value));
        goods += 1;
        addGood(g);
      };
      for (const c of corpus) {
        await sendGood(c.topic);
        caseAt.set(await sendOne(prefix + TOPIC[c.topic], c.key, rawValue(c)), c);
        if (c.expect === 'graph') {
          for (const v of c.vertices!) expectedVertices.add(v);
          for (const [e, n] of Object.entries(c.edges || {})) expectedEdges[e] = (expectedEdges[e] || 0) + n;
        }
      }
      for (const t of Object.keys(TOPIC) as Array<Case['topic']>) await sendGood(t);
      const expectedDead = corpus.filter((c) => c.expect === 'deadletter');

      // Drain: every partition's committed offset reaches its end (no stuck consumer), dead letters and graph complete.
      const ends = new Map<string, number>();
      for (const t of topics) ends.set(t, Number((await admin.fetchTopicOffsets(t))[0].high));
      const committedAll = async () => {
        for (const t of topics) {
          const key = t.slice(prefix.length).replace(/\W/g, '');
          const [res] = await admin.fetchOffsets({ groupId: `${groupPrefix}-${key}`, topics: [t] });
          if (Number(res.partitions[0].offset) !== ends.get(t)) return false;
        }
        return true;
      };
      const stuck = await eventually(
        'every committed offset to reach the end of its partition',
        committedAll,
        90000,
        500,
      ).then(
        () => '',
        (e: Error) => e.message,
      );
      await eventually(
        'the dead letters',
        () => deadLetters.length >= expectedDead.length,
        stuck ? 1000 : 30000,
        200,
      ).catch(() => undefined);
      const foundVertices = await vertexKeys(submit, KEYS);
      // The keyed-edge guard's identity vertices (JanusGraph) are the writer's bookkeeping, not the graph's data.
      const [total] = await submit('g.V().not(hasLabel(I)).count()', { I: EDGE_IDENTITY.label });
      const foundEdges = await edgeCounts(submit);

      // Each dead letter names its source record; match them to the cases.
      const deadByCase = new Map<string, typeof deadLetters>();
      const strays: string[] = [];
      for (const d of deadLetters) {
        const at = `${d.headers['ceh-source-topic']}@${d.headers['ceh-source-offset']}`;
        if (!caseAt.has(at)) {
          strays.push(`${at}: ${d.headers['ceh-error']}`);
          continue;
        }
        deadByCase.set(at, [...(deadByCase.get(at) || []), d]);
      }
      const problems: string[] = [];
      for (const [at, c] of caseAt) {
        const dls = deadByCase.get(at) || [];
        if (c.expect !== 'deadletter') {
          if (dls.length)
            problems.push(
              `${c.name}: expected ${c.expect}, got dead letter "${dls[0].headers['ceh-error'].slice(0, 200)}"`,
            );
          continue;
        }
        if (dls.length !== 1) {
          problems.push(`${c.name}: ${dls.length} dead letters (expected 1)`);
          continue;
        }
        const h = dls[0].headers;
        const field = h[DEAD_LETTER_HEADERS.field];
        if (c.field !== undefined && field !== c.field)
          problems.push(
            `${c.name}: ${DEAD_LETTER_HEADERS.field} ${JSON.stringify(field)}, expected ${JSON.stringify(c.field)} (${h['ceh-error']?.slice(0, 200)})`,
          );
        if (!h['ceh-error']?.toLowerCase().includes(c.reason!.toLowerCase()))
          problems.push(`${c.name}: reason "${h['ceh-error']?.slice(0, 200)}" lacks "${c.reason}"`);
        if (
          c.field !== undefined &&
          !h['ceh-error']?.includes(c.field === 'value' && /^record/.test(h['ceh-error']) ? 'value' : c.field)
        )
          problems.push(`${c.name}: reason does not name the field ${c.field}`);
      }
      for (const c of corpus.filter((x) => x.expect === 'graph' && x.props)) {
        for (const p of c.props!) {
          const [label] = p.vertex.split(':');
          const found = await submit('g.V().hasLabel(L).has(K, V).values(PROP)', {
            L: label,
            K: p.key,
            V: p.value,
            PROP: p.prop ?? p.key,
          });
          const want = p.equals ?? p.value;
          if (found.length !== 1 || found[0] !== want)
            problems.push(
              `${c.name}: ${p.vertex}.${p.prop ?? p.key} is ${JSON.stringify(found)}, expected ${JSON.stringify(want)} verbatim`,
            );
        }
      }
      const huge = (await submit("g.V().hasLabel('order').has('orderId', 'XO-h1').values('channel')")).map(
        (s) => String(s).length,
      );
      const missing = [...expectedVertices].filter((v) => !foundVertices.includes(v));
      const unexpected = foundVertices.filter((v) => !expectedVertices.has(v));
      const duplicates = foundVertices.length - new Set(foundVertices).size;
      const alive = nodeRed.alive();
      fs.writeFileSync(path.join(os.tmpdir(), 'ceh-corpus-node-red.log'), nodeRed.output());
      const nodeRedErrors = nodeRed
        .output()
        .split('\n')
        .filter((l) => /\[error\]/.test(l))
        .map((l) => l.slice(0, 300));
      const deadCount = [...deadByCase.values()].reduce((n, l) => n + l.length, 0);
      const lost =
        missing.length + [...caseAt].filter(([at, c]) => c.expect === 'deadletter' && !deadByCase.has(at)).length;

      recordScenario({
        scenario: `4 bad input corpus on ${target.name}`,
        eventsSent: corpus.length + goods,
        verticesExpected: expectedVertices.size,
        verticesFound: Number(total),
        edgesExpected: Object.values(expectedEdges).reduce((a, b) => a + b, 0),
        edgesFound: Object.values(foundEdges).reduce((a, b) => a + b, 0),
        errorOutputs: deadCount,
        lost,
        duplicated: duplicates + Math.max(0, deadCount - expectedDead.length),
        notes:
          `${corpus.length} cases (${expectedDead.length} dead letters expected, ${corpus.filter((c) => c.expect === 'graph').length} stored as data, ` +
          `${corpus.filter((c) => c.expect === 'skipped').length} tombstones skipped) + ${goods} good; ${(bytes / 1e6).toFixed(1)} MB produced; ` +
          `Node-RED ${alive ? 'alive' : 'DEAD'}; offsets ${stuck ? 'STUCK' : 'at end'}; 5 MB on a 1 MB topic refused by the broker`,
      });

      assert.ok(alive, `Node-RED must survive the corpus; output:\n${nodeRed.output().slice(-3000)}`);
      assert.deepEqual(problems, [], 'per-case outcomes');
      assert.equal(stuck, '', `consumers stuck; Node-RED errors:\n${nodeRedErrors.slice(0, 20).join('\n')}`);
      assert.deepEqual(strays, [], 'dead letters that belong to no case (good events must never be dead-lettered)');
      assert.deepEqual(missing, [], 'vertices missing from the graph');
      assert.deepEqual(unexpected, [], 'vertices the graph must not hold');
      assert.equal(Number(total), expectedVertices.size, 'vertex count (no labels outside the expected ones)');
      assert.equal(duplicates, 0);
      assert.deepEqual(foundEdges, expectedEdges, 'edges per label');
      assert.deepEqual(huge, [HUGE], 'the 5 MB property is stored whole');
      assert.equal(fs.existsSync(PWNED), false, 'no injected code ran on the server');
      assert.ok(foundVertices.includes('sentinel:corpus-sentinel'), 'the sentinel vertex survives');
    },
  );
