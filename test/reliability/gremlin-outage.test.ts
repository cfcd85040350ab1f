/*
 * Scenario 2, graph outage, on each graph (one body, the graph a parameter):
 *   - TinkerGraph: the flow writes through a fault-injecting TCP proxy; mid-stream the proxy cuts every connection and
 *     refuses new ones for 20 s;
 *   - JanusGraph: the flow writes to a private JanusGraph Server (the stack's jars and configuration, its own port and
 *     BerkeleyJE folders: the shared one must never be stopped); mid-stream that server is stopped (SIGTERM), and
 *     started again on the same data 20 s later.
 * During the outage no write gets through, the `kafka in` nodes pause at their in-flight bound (nothing more is read
 * from Kafka than the bound allows), Node-RED's RSS stays bounded; after the restore everything arrives: the graph
 * equals the expected graph exactly and only the deliberately bad events are dead letters (an outage must not turn
 * good events into dead letters). A marker vertex written just before the outage is read back after it: on JanusGraph
 * that is persistence across a server stop and start on the same BerkeleyJE folders (SIGTERM, as stack:down stops
 * the stack's server), the cycle the README's walkthrough goes through with stack:down / npm start.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, unique, sleep, eventually } from '../support/project';
import { generate } from '../../lib/demo/generator';
import { GremlinConnection } from '../../lib/gremlin/connection';
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
import { PrivateJanusGraph } from '../support/private-janusgraph';
import { GRAPHS, GraphName } from '../support/graphs';
import { recordScenario } from '../support/reliability';

const OUTAGE_MS = 20_000;
const MAX_IN_FLIGHT = 1000;

/** One graph's outage: where the flow writes, how the checks read, and how the graph is taken away and given back. */
interface OutageTarget {
  source: string;
  /** Straight to the server (never through the proxy). */
  conn: GremlinConnection;
  flowUrl: string;
  /** A proxy cut leaves the server readable for the checks; a stopped server is not. */
  readableDuringOutage: boolean;
  /** How often mid-stream counts may scan the graph (JanusGraph's scans compete with the writer). */
  pollMs: number;
  what: string;
  begin(): Promise<void>;
  end(): Promise<void>;
  /** Evidence that the outage was real (asserted). */
  proof(): { ok: boolean; text: string };
  close(): Promise<void>;
}

async function tinkerGraphOutage(keys: string[]): Promise<OutageTarget> {
  const conn = graphConnection();
  await clearGraph(conn, keys);
  const proxy = new TcpProxy('127.0.0.1', Number(new URL(ENDPOINTS.gremlinUrl).port));
  const port = await proxy.start();
  return {
    source: SOURCE,
    conn,
    flowUrl: `ws://127.0.0.1:${port}/gremlin`,
    readableDuringOutage: true,
    pollMs: 100,
    what: 'the Gremlin connection cut for 20 s',
    begin: async () => proxy.cut(),
    end: async () => proxy.restore(),
    proof: () => ({
      ok: proxy.stats.refused + proxy.stats.cut > 0,
      text: `${proxy.stats.cut} connections cut, ${proxy.stats.refused} refused`,
    }),
    close: async () => {
      await proxy.stop();
      await conn.close();
    },
  };
}

async function janusGraphOutage(): Promise<OutageTarget> {
  // A fresh server: empty graphs with the mappings' schema (as stack:up applies it).
  const server = new PrivateJanusGraph();
  await server.init();
  const conn = new GremlinConnection({
    url: server.url,
    traversalSource: 'gTest',
    requestTimeoutMs: 120000,
    serverTimeout: false,
  });
  let stoppedMs = 0;
  let stoppedAt = 0;
  return {
    source: 'gTest',
    conn,
    flowUrl: server.url,
    readableDuringOutage: false,
    pollMs: 1000,
    what: 'JanusGraph Server stopped for 20 s',
    begin: async () => {
      stoppedAt = Date.now();
      await server.stop('SIGTERM');
    },
    end: async () => {
      await server.start();
      stoppedMs = Date.now() - stoppedAt;
    },
    proof: () => ({
      ok: stoppedMs >= OUTAGE_MS,
      text: `server down ${Math.round(stoppedMs / 1000)} s incl. its restart`,
    }),
    close: async () => {
      await conn.close();
      await server.destroy();
    },
  };
}

const TARGETS: Record<GraphName, { events: number; setup: (keys: string[]) => Promise<OutageTarget> }> = {
  tinkergraph: { events: Number(process.env.CEH_RELIABILITY_OUTAGE_EVENTS) || 20_000, setup: tinkerGraphOutage },
  // JanusGraph writes some 100 events/s here (one batch at a time): fewer events keep the scenario to a few minutes.
  janusgraph: {
    events: Number(process.env.CEH_RELIABILITY_JANUSGRAPH_OUTAGE_EVENTS) || 5_000,
    setup: janusGraphOutage,
  },
};

for (const graphTarget of GRAPHS)
  test(
    `graph outage on ${graphTarget.name}: the graph taken away for 20 s mid-stream, nothing lost, nothing duplicated`,
    { timeout: 12 * 60_000 },
    async () => {
      const t0 = Date.now();
      const EVENTS = TARGETS[graphTarget.name].events;
      const { records, graph } = generate(EVENTS, 11);
      const expected = expectedGraph({ records, graph });
      const expectedElements = total(expected.vertices) + total(expected.edges);
      let target: OutageTarget | null = null;
      const run = unique('rel-outage');
      const prefix = `${run}.`;
      let nr: NodeRedChild | null = null;
      try {
        target = await TARGETS[graphTarget.name].setup([...new Set(Object.values(expected.keyOf))]);
        const { conn, source } = target;
        await produceRecords(prefix, records);
        nr = new NodeRedChild({
          topicPrefix: prefix,
          groupPrefix: run,
          gremlinUrl: target.flowUrl,
          traversalSource: source,
          maxInFlight: MAX_IN_FLIGHT,
        });
        await nr.start();
        const kafkaIns = nr.flow.filter((n) => n.type === 'ceh-kafka-in').map((n) => n.id as string);

        // Mid-stream: a quarter of the graph written.
        await graphReaches(conn, 0.25 * expectedElements, nr, 5 * 60_000, { source, pollMs: target.pollMs });
        const rssBefore = nr.rssMb();
        const atCut = await graphCounts(conn, source);
        const marker = { L: 'sentinel', K: 'name', V: run };
        await conn.submit(`${source}.addV(L).property(K, V).iterate()`, marker);
        const cutAt = Date.now();
        await target.begin();
        for (const id of kafkaIns) nr.statusHistory.set(id, []);

        // During the outage: sample the graph (when it can be read), the committed offsets, the RSS and the statuses.
        let settled: { vertices: number; edges: number } | null = null;
        let committedSettled = -1;
        let peakRss = rssBefore;
        while (Date.now() - cutAt < OUTAGE_MS) {
          // Deliberately time passing: the outage lasts OUTAGE_MS; this samples it twice a second.
          await sleep(500);
          peakRss = Math.max(peakRss, nr.rssMb());
          // Writes already on the server when the cut came may finish; after 3 s nothing may change any more.
          if (committedSettled < 0 && Date.now() - cutAt > 3000) {
            if (target.readableDuringOutage) settled = await graphCounts(conn, source);
            committedSettled = await committedTotal(prefix, run);
          }
        }
        const atEnd = target.readableDuringOutage ? await graphCounts(conn, source) : null;
        const committedAtEnd = await committedTotal(prefix, run);
        // Status changes during the outage, and where each kafka in stands at its end (a status is only sent on change).
        const statuses = kafkaIns.flatMap((id) => [
          ...(nr!.statusHistory.get(id) ?? []),
          String(nr!.status.get(id)?.text ?? ''),
        ]);
        await target.end();
        const restoredAt = Date.now();
        // What was written before the outage is still there (JanusGraph: after the server's stop and start).
        const markers = await eventually(
          'the marker vertex to be readable after the restore',
          async () => Number((await conn.submit(`${source}.V().has(L, K, V).count()`, marker))[0]),
          60_000,
          500,
        );
        assert.equal(markers, 1, 'the vertex written before the outage survives it, once');
        await conn.submit(`${source}.V().has(L, K, V).drop().iterate()`, marker);

        // The outage was real, and no write got through while it lasted.
        const proof = target.proof();
        assert.ok(proof.ok, `the outage was not real: ${proof.text}`);
        assert.ok(atCut.vertices + atCut.edges < expectedElements);
        if (target.readableDuringOutage) assert.deepEqual(atEnd, settled, 'the graph changed during the outage');
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
        const actual = await actualGraph(conn, source, expected);
        const cmp = compareGraphs(expected, actual);
        const dead = await readDeadLetters(prefix);
        recordScenario({
          scenario: `2 graph outage on ${graphTarget.name} (${target.what})`,
          eventsSent: EVENTS,
          ...graphRowFields(expected, actual, cmp, dead),
          notes:
            `cut at ${Math.round((100 * (atCut.vertices + atCut.edges)) / expectedElements)}% of the graph; ${proof.text}; ` +
            `no ${target.readableDuringOutage ? 'write and no ' : ''}commit during the outage; ` +
            `kafka in paused, max ${Math.max(...inFlight)} in flight (bound ${MAX_IN_FLIGHT}); RSS ${rssBefore.toFixed(0)} → peak ${peakRss.toFixed(0)} MB; ` +
            `drained ${recoveredS} s after restore; checksum ${cmp.equal ? 'equal' : 'DIFFERENT'}; total ${Math.round((Date.now() - t0) / 1000)} s`,
        });
        assertGraphsEqual(expected, actual, cmp);
        assert.equal(dead.distinct, expected.bad, `dead letters: ${JSON.stringify(dead.reasons)}`);
        assert.equal(dead.messages, expected.bad, 'no redelivery without a crash');
      } finally {
        await nr?.stop().catch(() => undefined);
        await deleteTopics(demoTopics(prefix));
        await target?.close();
      }
    },
  );
