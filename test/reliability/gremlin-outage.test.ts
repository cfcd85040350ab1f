/*
 * Scenario 2, Gremlin outage: the flow writes through a fault-injecting TCP proxy; mid-stream the proxy cuts every
 * connection and refuses new ones for 20 s. During the outage no write gets through, the `kafka in` nodes pause at
 * their in-flight bound (nothing more is read from Kafka than the bound allows), Node-RED's RSS stays bounded; after
 * the restore everything arrives: the graph equals the expected graph exactly and only the deliberately bad events
 * are dead letters (an outage must not turn good events into dead letters).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { unique, sleep } from '../support/project';
import { generate } from '../../lib/demo/generator';
import { expectedGraph, actualGraph, compareGraphs, assertGraphsEqual, total } from '../support/graph-check';
import {
  NodeRedChild,
  produceRecords,
  committedTotal,
  readDeadLetters,
  graphConnection,
  clearGraph,
  graphCounts,
  SOURCE,
  graphRowFields,
  graphReaches,
  drained,
} from '../support/pipeline-run';
import { deleteTopics, demoTopics } from '../support/kafka-test-kit';
import { TcpProxy } from '../support/tcp-proxy';
import { recordScenario } from '../support/reliability';

const EVENTS = Number(process.env.CEH_RELIABILITY_OUTAGE_EVENTS) || 20_000;
const OUTAGE_MS = 20_000;
const MAX_IN_FLIGHT = 1000;

test(
  `gremlin outage: ${EVENTS} events, the Gremlin connection cut for 20 s mid-stream, nothing lost`,
  { timeout: 10 * 60_000 },
  async () => {
    const t0 = Date.now();
    const { records, graph } = generate(EVENTS, 11);
    const expected = expectedGraph({ records, graph });
    const expectedElements = total(expected.vertices) + total(expected.edges);
    const conn = graphConnection();
    const proxy = new TcpProxy('127.0.0.1', 8182);
    const run = unique('rel-outage');
    const prefix = `${run}.`;
    let nr: NodeRedChild | null = null;
    try {
      await clearGraph(conn, [...new Set(Object.values(expected.keyOf))]);
      await produceRecords(prefix, records);
      const port = await proxy.start();
      nr = new NodeRedChild({
        topicPrefix: prefix,
        groupPrefix: run,
        gremlinUrl: `ws://127.0.0.1:${port}/gremlin`,
        maxInFlight: MAX_IN_FLIGHT,
      });
      await nr.start();
      const kafkaIns = nr.flow.filter((n) => n.type === 'ceh-kafka-in').map((n) => n.id as string);

      // Mid-stream: a quarter of the graph written.
      await graphReaches(conn, 0.25 * expectedElements, nr);
      const rssBefore = nr.rssMb();
      const atCut = await graphCounts(conn);
      proxy.cut();
      const cutAt = Date.now();
      for (const id of kafkaIns) nr.statusHistory.set(id, []);

      // During the outage: sample the graph, the committed offsets, the RSS and the kafka in statuses.
      let settled: { vertices: number; edges: number } | null = null;
      let committedSettled = -1;
      let peakRss = rssBefore;
      let maxCommitted = 0;
      while (Date.now() - cutAt < OUTAGE_MS) {
        await sleep(500);
        peakRss = Math.max(peakRss, nr.rssMb());
        // Writes already on the server when the cut came may finish; after 3 s nothing may change any more.
        if (!settled && Date.now() - cutAt > 3000) {
          settled = await graphCounts(conn);
          committedSettled = await committedTotal(prefix, run);
        }
        maxCommitted = Math.max(maxCommitted, await committedTotal(prefix, run));
      }
      const atEnd = await graphCounts(conn);
      const committedAtEnd = await committedTotal(prefix, run);
      // Status changes during the outage, and where each kafka in stands at its end (a status is only sent on change).
      const statuses = kafkaIns.flatMap((id) => [
        ...(nr!.statusHistory.get(id) ?? []),
        String(nr!.status.get(id)?.text ?? ''),
      ]);
      proxy.restore();
      const restoredAt = Date.now();

      // The outage was real: connections were cut or refused, and no write got through while it lasted.
      assert.ok(proxy.stats.refused + proxy.stats.cut > 0, 'the proxy never cut or refused a connection');
      assert.ok(atCut.vertices + atCut.edges < expectedElements);
      assert.deepEqual(atEnd, settled, 'the graph changed during the outage');
      assert.equal(committedAtEnd, committedSettled, 'offsets were committed during the outage');
      assert.ok(committedAtEnd < EVENTS);
      // The consumers paused at their bound instead of reading on.
      assert.ok(
        statuses.some((s) => /^paused/.test(s)),
        `no kafka in paused; statuses: ${[...new Set(statuses)].join(' | ')}`,
      );
      const inFlight = statuses
        .map((s) => /(\d+) in flight/.exec(s))
        .filter(Boolean)
        .map((m) => Number(m![1]));
      assert.ok(
        inFlight.length > 0 && Math.max(...inFlight) <= MAX_IN_FLIGHT,
        `in flight over the bound: ${Math.max(...inFlight)}`,
      );
      // Memory stays bounded: no growth beyond a fixed allowance while events keep waiting in Kafka.
      assert.ok(
        peakRss - rssBefore < 150,
        `RSS grew from ${rssBefore.toFixed(0)} MB to ${peakRss.toFixed(0)} MB during the outage`,
      );

      // After the restore everything arrives.
      await drained(prefix, run, EVENTS, nr);
      const recoveredS = Math.round((Date.now() - restoredAt) / 1000);
      const actual = await actualGraph(conn, SOURCE, expected);
      const cmp = compareGraphs(expected, actual);
      const dead = await readDeadLetters(prefix);
      recordScenario({
        scenario: '2 gremlin outage (20 s)',
        eventsSent: EVENTS,
        ...graphRowFields(expected, actual, cmp, dead),
        notes:
          `cut at ${Math.round((100 * (atCut.vertices + atCut.edges)) / expectedElements)}% of the graph; no write and no commit during the cut; ` +
          `kafka in paused, max ${Math.max(...inFlight)} in flight (bound ${MAX_IN_FLIGHT}); RSS ${rssBefore.toFixed(0)} → peak ${peakRss.toFixed(0)} MB; ` +
          `drained ${recoveredS} s after restore; checksum ${cmp.equal ? 'equal' : 'DIFFERENT'}; total ${Math.round((Date.now() - t0) / 1000)} s`,
      });
      assertGraphsEqual(expected, actual, cmp);
      assert.equal(dead.distinct, expected.bad, `dead letters: ${JSON.stringify(dead.reasons)}`);
      assert.equal(dead.messages, expected.bad, 'no redelivery without a crash');
    } finally {
      await nr?.stop().catch(() => undefined);
      await proxy.stop();
      await deleteTopics(demoTopics(prefix));
      await conn.close();
    }
  },
);
