/*
 * Scenario 1, crash: the Customer 360 flow in a Node-RED child process ingests the demo events and is killed with
 * SIGKILL three times (early, in the middle, and while a batch write is landing — the graph count rising), then
 * started again on the same userDir (same consumer groups). After the drain the graph must equal the expected graph
 * exactly — every vertex and edge with every property (counts per label + checksum): nothing lost, nothing
 * duplicated — and the dead-letter topic must hold exactly the deliberately bad events (repeats only as at-least-once
 * redelivery of records whose commit died with the process).
 *
 * Runs on each graph of GRAPHS (one body, the graph a parameter): TinkerGraph (gReliability) and the stack's JanusGraph
 * (gTest, schema from mappings/). CEH_RELIABILITY_EVENTS overrides the number of events on TinkerGraph (default
 * 50,000), CEH_RELIABILITY_JANUSGRAPH_CRASH_EVENTS on JanusGraph (default 3,000: it writes one batch at a time).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { unique, eventually } from '../support/project';
import { GremlinConnection } from '../../lib/gremlin/connection';
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
  drained,
} from '../support/pipeline-run';
import { deleteTopics, demoTopics } from '../support/kafka-test-kit';
import { recordScenario } from '../support/reliability';
import { GRAPHS, GraphName, GraphTarget } from '../support/graphs';

/**
 * How one graph's run connects, clears and is watched: pollMs / risingPollMs, how often the kill points may scan the
 * graph (the last kill waits for the graph to grow between two polls).
 */
interface CrashTarget {
  events: number;
  pollMs: number;
  risingPollMs: number;
  connect(g: GraphTarget): GremlinConnection;
  clear(conn: GremlinConnection, g: GraphTarget, keys: string[]): Promise<unknown>;
  flow(g: GraphTarget): { gremlinUrl?: string; traversalSource?: string };
}

const TARGETS: Record<GraphName, CrashTarget> = {
  tinkergraph: {
    events: Number(process.env.CEH_RELIABILITY_EVENTS) || 50_000,
    pollMs: 100,
    risingPollMs: 30,
    connect: () => graphConnection(),
    clear: (conn, _g, keys) => clearGraph(conn, keys),
    flow: () => ({}),
  },
  // The stack's JanusGraph test graph (its schema and unique indexes applied by stack:up); a full scan there holds
  // read locks the writer waits for, so the kill points poll less often.
  janusgraph: {
    events: Number(process.env.CEH_RELIABILITY_JANUSGRAPH_CRASH_EVENTS) || 3_000,
    pollMs: 250,
    risingPollMs: 250,
    connect: (g) =>
      new GremlinConnection({
        url: g.url,
        traversalSource: g.suiteSource(SOURCE),
        requestTimeoutMs: 120000,
        serverTimeout: g.serverTimeout,
      }),
    clear: (conn, g) => conn.submit(g.clearScript(SOURCE)),
    flow: (g) => ({ gremlinUrl: g.url, traversalSource: g.suiteSource(SOURCE) }),
  },
};

for (const graphTarget of GRAPHS) {
  const target = TARGETS[graphTarget.name];
  const EVENTS = target.events;
  const source = graphTarget.suiteSource(SOURCE); // gReliability (TinkerGraph) / gTest (JanusGraph)
  test(
    `crash on ${graphTarget.name}: ${EVENTS} events, Node-RED SIGKILLed three times, the graph equals the expected graph exactly`,
    { timeout: 15 * 60_000 },
    async () => {
      const t0 = Date.now();
      const { records, summary, graph } = generate(EVENTS, 7);
      const expected = expectedGraph({ records, graph });
      const expectedElements = total(expected.vertices) + total(expected.edges);

      const conn = target.connect(graphTarget);
      const run = unique('rel-crash');
      const prefix = `${run}.`;
      const nr = new NodeRedChild({ topicPrefix: prefix, groupPrefix: run, ...target.flow(graphTarget) });
      try {
        await target.clear(conn, graphTarget, [...new Set(Object.values(expected.keyOf))]);
        await produceRecords(prefix, records);

        await nr.start();
        const kills: Array<{ point: string; elements: number; rising: boolean; committed: number }> = [];
        /** Waits until the graph holds `fraction` of the expected elements (and, if asked, is growing right now), kills. */
        const killAt = async (point: string, fraction: number, whileRising: boolean) => {
          let last = -1;
          const at = await eventually(
            `the graph at ${fraction} of the expected size${whileRising ? ' and growing' : ''}`,
            async () => {
              const c = await graphCounts(conn, source);
              const now = c.vertices + c.edges;
              const rising = last >= 0 && now > last;
              last = now;
              return now >= fraction * expectedElements && (!whileRising || rising) && { now, rising };
            },
            5 * 60_000,
            whileRising ? target.risingPollMs : target.pollMs,
          ).catch((e) => {
            throw new Error(`${(e as Error).message}\n${nr.logTail()}`, { cause: e });
          });
          await nr.kill('SIGKILL');
          // What the dead process had committed: must be short of the end, or nothing was left to redeliver.
          const committed = await committedTotal(prefix, run);
          kills.push({ point, elements: at.now, rising: at.rising, committed });
        };

        await killAt('early', 0.05, false);
        await nr.start();
        await killAt('middle', 0.45, false);
        await nr.start();
        await killAt('during a batch write', 0.75, true);
        await nr.start();

        // Each kill happened mid-stream: part of the graph written, part of the offsets not committed.
        for (const k of kills) {
          assert.ok(
            k.elements > 0 && k.elements < expectedElements,
            `${k.point}: killed at ${k.elements} of ${expectedElements} elements`,
          );
          assert.ok(k.committed < EVENTS, `${k.point}: everything was committed before the kill (${k.committed})`);
        }
        assert.ok(kills[2].rising, 'the third kill came while the graph was growing');

        // Drain: every source offset committed (the flow finished every event), then the graph stops changing.
        await drained(prefix, run, EVENTS, nr, { timeoutMs: 8 * 60_000 });
        const drainedAt = Date.now();

        const actual = await actualGraph(conn, source, expected);
        const cmp = compareGraphs(expected, actual);
        const dead = await readDeadLetters(prefix);
        const seconds = Math.round((Date.now() - t0) / 1000);
        recordScenario({
          scenario: `1 crash (3 x SIGKILL) on ${graphTarget.name}`,
          eventsSent: EVENTS,
          ...graphRowFields(expected, actual, cmp, dead),
          notes:
            `kills at ${kills.map((k) => `${Math.round((100 * k.elements) / expectedElements)}%`).join('/')} of the graph; ` +
            `checksum ${cmp.equal ? 'equal' : 'DIFFERENT'}; dead letters ${dead.messages} (${dead.distinct} distinct, ${expected.bad} bad sent); ` +
            `drained ${Math.round((drainedAt - t0) / 1000)} s, total ${seconds} s`,
        });
        assertGraphsEqual(expected, actual, cmp);
        // Every deliberately bad event reached the dead-letter topic, and nothing else did.
        assert.equal(dead.distinct, expected.bad, `dead letters: ${JSON.stringify(dead.reasons)}`);
        assert.deepEqual(
          dead.perTopic,
          summary.badPerTopic,
          'each dead letter names the topic its bad event was sent to',
        );
        // A dead letter repeats only when a kill came before its source offset was committed: at most once per kill.
        assert.ok(
          dead.messages <= dead.distinct * (kills.length + 1),
          `${dead.messages} dead letters for ${dead.distinct} bad events and ${kills.length} kills`,
        );
      } finally {
        await nr.stop().catch(() => undefined);
        await deleteTopics(demoTopics(prefix));
        await conn.close();
      }
    },
  );
}
