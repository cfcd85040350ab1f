/*
 * End to end, as a newcomer runs it: Node-RED as a child process (what `npm start` runs) with the Customer 360 flow,
 * isolated by a topic prefix, a group prefix and its own graph (traversal source gE2e, which only this suite clears).
 * 5,000 demo events go to Kafka; then the graph must hold exactly the vertices and edges the producer promised, the
 * 360 endpoint must answer with the orders the producer sent, and the dead-letter topic must hold exactly the
 * deliberately bad events. Throughput and start-up time are printed (measured, not asserted: speed goals live in bench/).
 * Runs on each graph of GRAPHS: the JanusGraph run (gTest) takes about 1.5 minutes here.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, unique, eventually } from '../support/project';
import { startCustomerFlow, CustomerFlowChild } from '../support/node-red-child';
import { kafkaClient, deleteTopics, demoTopics, withAdmin } from '../support/kafka-test-kit';
import { drained } from '../support/pipeline-run';
import { GRAPHS } from '../support/graphs';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { produceDemo, ensureTopics } from '../../lib/demo/produce';
import { generate, TOPICS } from '../../lib/demo/generator';
import { EDGE_IDENTITY } from '../../lib/change-set';

const EVENTS = 5000;
const SEED = 42;

async function countsByLabel(graph: GremlinConnection, elements: 'V' | 'E'): Promise<Record<string, number>> {
  // JanusGraph's identity vertices of keyed edges (EDGE_IDENTITY) are the writer's bookkeeping, not demo data.
  const [m] = await graph.submit(`g.${elements}().not(hasLabel(I)).groupCount().by(label)`, { I: EDGE_IDENTITY.label });
  const obj: Record<string, number> = {};
  const entries = m instanceof Map ? [...m.entries()] : Object.entries(m as object);
  for (const [k, v] of entries) obj[String(k)] = Number(v);
  return obj;
}

const sorted = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

// How long the graph may take, and how long its counts must stand still before the test compares them. JanusGraph
// writes one batch at a time and a batch takes seconds there (20-50 s per 500 events on the loaded 2-core dev
// machine), so its counts may rightly stand still far longer than TinkerGraph's; each poll is a full scan, which
// on BerkeleyJE holds read locks the writer waits for, so JanusGraph is polled less often.
const PACE = {
  tinkergraph: { settleMs: 120000, stableMs: 15000, pollMs: 250, testMs: 240000 },
  janusgraph: { settleMs: 600000, stableMs: 90000, pollMs: 2000, testMs: 900000 },
};

for (const target of GRAPHS)
  test(
    `Customer 360 end to end on ${target.name}: 5,000 demo events → exact graph, 360 endpoint, exact dead letters`,
    { timeout: PACE[target.name].testMs },
    async () => {
      const pace = PACE[target.name];
      const run = unique('e2e');
      const topicPrefix = `${run}.`;
      const TRAVERSAL_SOURCE = target.suiteSource('gE2e'); // gE2e (TinkerGraph) / gTest (JanusGraph): this suite's alone
      const graph = new GremlinConnection({
        url: target.url,
        traversalSource: TRAVERSAL_SOURCE,
        requestTimeoutMs: 120000,
        serverTimeout: target.serverTimeout,
      });
      const { records, summary } = generate(EVENTS, SEED);
      let nr: CustomerFlowChild | undefined;
      const consumer = kafkaClient().consumer({ groupId: `${run}-deadletter-check` });
      try {
        await graph.submit(target.name === 'janusgraph' ? target.clearScript(TRAVERSAL_SOURCE) : 'g.V().drop()');
        assert.equal((await graph.submit('g.V().count()'))[0], 0);

        await ensureTopics(ENDPOINTS.kafkaBrokers, 3, topicPrefix); // the consumers find their topics at once
        nr = await startCustomerFlow({
          topicPrefix,
          groupPrefix: run,
          traversalSource: TRAVERSAL_SOURCE,
          graph: target.name,
          gremlinUrl: target.url,
        });
        const { port, editorReadyS } = nr;

        // Produce: the producer creates the prefixed topics; kafka in starts at the earliest offset, so nothing is missed.
        const p0 = Date.now();
        const sent = await produceDemo({
          events: EVENTS,
          seed: SEED,
          topicPrefix,
          brokers: ENDPOINTS.kafkaBrokers,
          log: () => undefined,
        });
        assert.deepEqual(sent, summary, 'the producer sent what the generator promises');

        // Wait until the graph holds the expected counts (or stops changing: then the comparison below shows the difference).
        const expectedV = sorted(summary.expected.vertices);
        const expectedE = sorted(summary.expected.edges);
        let last = '';
        let stableSince = Date.now();
        let doneAt = 0;
        await eventually(
          'the graph to settle',
          async () => {
            const now = JSON.stringify([
              sorted(await countsByLabel(graph, 'V')),
              sorted(await countsByLabel(graph, 'E')),
            ]);
            if (now === JSON.stringify([expectedV, expectedE])) {
              doneAt = Date.now();
              return true;
            }
            if (now !== last) {
              last = now;
              stableSince = Date.now();
              return false;
            }
            return Date.now() - stableSince > pace.stableMs && now !== '[{},{}]';
          },
          pace.settleMs,
          pace.pollMs,
        );
        const seconds = ((doneAt || Date.now()) - p0) / 1000;
        assert.deepEqual(sorted(await countsByLabel(graph, 'V')), expectedV, 'vertices per label');
        assert.deepEqual(sorted(await countsByLabel(graph, 'E')), expectedE, 'edges per label');

        // The 360 endpoint: a sampled customer with exactly the orders the producer sent; 404 for an unknown id.
        const sample = summary.sampleCustomers[Math.floor(summary.sampleCustomers.length / 2)];
        const res = await fetch(`http://127.0.0.1:${port}/customer/${encodeURIComponent(sample.customerId)}/360`);
        assert.equal(res.status, 200);
        const view = (await res.json()) as {
          customerId: string;
          profile: Record<string, unknown>;
          orders: Array<{ order: { orderId: string }; lines: unknown[] }>;
        };
        assert.equal(view.customerId, sample.customerId);
        assert.equal(view.profile.customerId, sample.customerId);
        assert.deepEqual(view.orders.map((o) => o.order.orderId).sort(), [...sample.orders].sort());
        assert.ok(
          view.orders.every((o) => o.lines.length > 0),
          'every order lists its products',
        );
        const unknown = await fetch(`http://127.0.0.1:${port}/customer/C-99999999/360`);
        assert.equal(unknown.status, 404);
        await unknown.body?.cancel();

        // Dead letters: exactly the deliberately bad events, each with its source topic and a reason.
        const deadLetters: Array<{ key: string | null; value: string | null; headers: Record<string, string> }> = [];
        await consumer.connect();
        await consumer.subscribe({ topic: topicPrefix + TOPICS.deadletter, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
            deadLetters.push({
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers,
            });
          },
        });
        // Every source offset committed: the flow has finished every event, so the dead-letter topic is complete.
        await drained(topicPrefix, run, EVENTS, { logTail: () => nr!.log.join('').slice(-3000) }, { timeoutMs: 60000 });
        const onTopic = (await withAdmin((a) => a.fetchTopicOffsets(topicPrefix + TOPICS.deadletter))).reduce(
          (n, p) => n + Number(p.high) - Number(p.low),
          0,
        );
        await eventually('every dead letter on the topic read', () => deadLetters.length >= onTopic, 30000);
        assert.equal(deadLetters.length, summary.bad, 'one dead letter per bad event, no more');
        const bad = records.filter((r) => r.bad);
        const perTopic: Record<string, number> = {};
        for (const d of deadLetters) {
          assert.ok(d.headers['ceh-error'], 'every dead letter has a reason');
          const source = d.headers['ceh-source-topic'].slice(topicPrefix.length);
          perTopic[source] = (perTopic[source] ?? 0) + 1;
          const match = bad.find(
            (r) =>
              r.topic === source &&
              r.key === d.key &&
              (typeof r.value === 'string'
                ? r.value === d.value
                : JSON.stringify(r.value) === JSON.stringify(JSON.parse(d.value ?? 'null'))),
          );
          assert.ok(match, `dead letter ${d.value} (${d.headers['ceh-error']}) is one of the bad events`);
        }
        assert.deepEqual(sorted(perTopic), sorted(summary.badPerTopic));

        process.stdout.write(
          `[e2e ${target.name}] Node-RED start → editor ready: ${editorReadyS.toFixed(1)} s; ${EVENTS} events produced and in the graph ` +
            `after ${seconds.toFixed(1)} s = ${Math.round(EVENTS / seconds)} events/s end to end; ${summary.bad} dead letters\n`,
        );
      } catch (e) {
        if (nr) process.stdout.write(`[e2e] Node-RED log:\n${nr.log.join('').slice(-4000)}\n`);
        throw e;
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await nr?.stop();
        await graph.close();
        await deleteTopics(demoTopics(topicPrefix));
      }
    },
  );
