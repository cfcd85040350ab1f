/*
 * Scenario 3, Kafka restart: the shared broker is never stopped, so this scenario starts a private single-node broker
 * (test/support/private-kafka.ts: same jars, own data dir and ports), runs the flow against it, stops the broker
 * (SIGTERM) mid-stream, starts it again on the same data dir, and checks that consumption resumes in the same
 * Node-RED process (no redeploy, no restart) and that nothing is lost: the graph equals the expected graph exactly and
 * every deliberately bad event is on the dead-letter topic (repeats counted: at-least-once redelivery after the
 * consumer lost its broker is allowed).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'net';
import { unique, sleep, eventually } from '../support/project';
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
} from '../support/pipeline-run';
import { PrivateKafka } from '../support/private-kafka';
import { recordScenario } from '../support/reliability';

const EVENTS = Number(process.env.CEH_RELIABILITY_RESTART_EVENTS) || 20_000;
const DOWN_MS = 15_000;

test(
  `kafka restart: ${EVENTS} events, the broker stopped and restarted mid-stream, consumption resumes, nothing lost`,
  { timeout: 10 * 60_000 },
  async () => {
    const t0 = Date.now();
    const { records, graph } = generate(EVENTS, 23);
    const expected = expectedGraph({ records, graph });
    const expectedElements = total(expected.vertices) + total(expected.edges);
    const conn = graphConnection();
    const broker = new PrivateKafka();
    const run = unique('rel-restart');
    const prefix = `${run}.`;
    let nr: NodeRedChild | null = null;
    try {
      await clearGraph(conn, [...new Set(Object.values(expected.keyOf))]);
      await broker.init();
      await broker.start();
      await produceRecords(prefix, records, broker.brokers);
      nr = new NodeRedChild({ topicPrefix: prefix, groupPrefix: run, brokers: broker.brokers.join(',') });
      await nr.start();
      const pid = nr.pid;
      const kafkaIns = nr.flow.filter((n) => n.type === 'ceh-kafka-in').map((n) => n.id as string);

      await graphReaches(conn, 0.3 * expectedElements, nr);
      const committedBefore = await committedTotal(prefix, run, broker.brokers);
      await broker.stop('SIGTERM');
      const stoppedAt = Date.now();
      const brokerExited = broker.child === null;
      const atStop = await graphCounts(conn);
      for (const id of kafkaIns) nr.statusHistory.set(id, []);
      // The broker is really gone: a client cannot reach it.
      const reachableWhileDown = await new Promise<boolean>((resolve) => {
        const sock = net.connect(broker.port, '127.0.0.1', () => {
          sock.destroy();
          resolve(true);
        });
        sock.on('error', () => resolve(false));
      });
      // Deliberately time passing: the broker stays down DOWN_MS (the scenario's outage), whatever the pipeline does.
      await sleep(DOWN_MS - (Date.now() - stoppedAt));
      const whileDown = await graphCounts(conn);
      const downStatuses = kafkaIns.flatMap((id) => [
        ...(nr!.statusHistory.get(id) ?? []),
        String(nr!.status.get(id)?.text ?? ''),
      ]);
      await broker.start();
      const restartedAt = Date.now();

      // The stop was real and mid-stream: the consumers noticed it, and events were still to come.
      assert.ok(committedBefore < EVENTS, 'everything was consumed before the broker stopped');
      assert.ok(atStop.vertices + atStop.edges < expectedElements);
      assert.ok(brokerExited, 'the broker process did not exit');
      assert.ok(
        downStatuses.some((s) => /no answer from the broker|connecting/.test(s)),
        `the kafka in status did not show the outage: ${[...new Set(downStatuses)].join(' | ')}`,
      );
      assert.equal(reachableWhileDown, false, 'the broker answered while stopped');

      // Just after the restart the coordinator may still be loading the groups: kafkajs says so with a retriable error.
      const committed = () =>
        committedTotal(prefix, run, broker.brokers).catch((e: { retriable?: boolean }) => {
          if (e.retriable) return -1;
          throw e;
        });
      await eventually('every event committed', async () => (await committed()) >= EVENTS, 5 * 60_000, 500).catch(
        async (e) => {
          const statuses = kafkaIns.map((id) => `${id}: ${nr!.status.get(id)?.text ?? ''}`).join('; ');
          throw new Error(`not drained: ${await committed()}/${EVENTS} (kafka in: ${statuses})\n${nr!.logTail()}`, {
            cause: e,
          });
        },
      );
      const resumedS = Math.round((Date.now() - restartedAt) / 1000);
      // Same process all along: consumption resumed without a redeploy or a restart.
      assert.equal(nr.pid, pid);
      assert.equal(nr.child!.exitCode, null);

      const actual = await actualGraph(conn, SOURCE, expected);
      const cmp = compareGraphs(expected, actual);
      const dead = await readDeadLetters(prefix, broker.brokers);
      recordScenario({
        scenario: '3 kafka restart',
        eventsSent: EVENTS,
        ...graphRowFields(expected, actual, cmp, dead),
        notes:
          `private broker stopped at ${Math.round((100 * (atStop.vertices + atStop.edges)) / expectedElements)}% of the graph for ${Math.round((restartedAt - stoppedAt) / 1000)} s ` +
          `(kafka in status then: ${[...new Set(downStatuses.map((s) => s.replace(/\d+/g, 'N')))].join(' | ')}; graph ${whileDown.vertices + whileDown.edges - atStop.vertices - atStop.edges} elements on while down); drained ${resumedS} s after restart, same Node-RED pid; ` +
          `dead letters ${dead.messages} (${dead.distinct} distinct, ${expected.bad} bad sent); checksum ${cmp.equal ? 'equal' : 'DIFFERENT'}; total ${Math.round((Date.now() - t0) / 1000)} s`,
      });
      assertGraphsEqual(expected, actual, cmp);
      assert.equal(dead.distinct, expected.bad, `dead letters: ${JSON.stringify(dead.reasons)}`);
    } finally {
      await nr?.stop().catch(() => undefined);
      await broker.destroy();
      await conn.close();
    }
  },
);
