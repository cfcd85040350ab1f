/*
 * Real CDC under crashes: while demo:crm writes a steady stream of changes to PostgreSQL, the Kafka Connect worker is
 * killed with SIGKILL and started again (stack/connect: Debezium resumes from its last flushed offset, so some changes
 * are published twice), then Node-RED is killed with SIGKILL and started again on the same consumer group (it resumes
 * from the last committed offset, so some messages are consumed twice). The graph's customer vertices must then equal
 * the table exactly: nothing lost, nothing duplicated (one vertex per row, every property as the row has it).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client } from 'pg';
import * as path from 'path';
import { ROOT, unique, eventually } from '../support/project';
import { NodeRedChild, graphConnection } from '../support/pipeline-run';
import { recordScenario } from '../support/reliability';
import { CRM, runCrmDemo } from '../../lib/demo/crm';
import {
  postgres,
  connect,
  CRM_TOPIC,
  relabelledCustomerSpec,
  expectedCustomers,
  graphCustomers,
  compareCustomers,
  ordered,
  type Properties,
} from '../support/crm-check';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
const { ourPid } = require(path.join(ROOT, 'stack', 'lib', 'process.js'));

const CHANGES = 1500;
const RATE = 100; // changes per second: a steady stream of 15 s

test(
  'CDC: kill -9 of Kafka Connect and of Node-RED mid-stream → graph equals the table, 0 lost, 0 duplicated',
  { timeout: 600000, skip: !postgres.available() && postgres.INSTALL_HINT },
  async () => {
    const run = unique('cdccrash');
    const { spec, labels } = relabelledCustomerSpec(run.replace(/\W/g, '_'));
    const db = new Client(CRM);
    const graph = graphConnection();
    const nr = new NodeRedChild({
      topicPrefix: `${run}.`,
      groupPrefix: run,
      sources: ['CRM customers (CDC)'],
      topics: { 'CRM customers (CDC)': CRM_TOPIC },
      specs: { 'customer.yaml': spec },
    } as never);
    const notes: string[] = [];
    try {
      await db.connect();
      assert.ok(await connect.connectorStreaming(), 'the crm-pg connector streams (npm run stack:up)');
      await nr.start();
      const demo = runCrmDemo({ changes: CHANGES, seed: 99, rate: RATE, log: () => undefined }, db);

      // Mid-stream: changes have come through Connect and Node-RED into the graph, and the demo is still writing.
      const customersInGraph = async () => (await graphCustomers(graph, labels.customer)).vertices;
      const t0 = Date.now();
      await eventually('the first customers in the graph', async () => (await customersInGraph()) >= 20, 60000, 250);
      const killedAt = (Date.now() - t0) / 1000;
      const connectPid = ourPid('connect');
      assert.ok(connectPid, 'Kafka Connect runs (started by stack:up)');
      process.kill(connectPid, 'SIGKILL');
      const k0 = Date.now();
      await eventually(
        'Connect to die',
        () => {
          try {
            process.kill(connectPid, 0);
            return false;
          } catch {
            return true;
          }
        },
        10000,
        50,
      );
      await connect.up(); // starts a new worker; the connector resumes from its stored offset
      notes.push(
        `Connect killed at ${killedAt.toFixed(1)} s, streaming again ${((Date.now() - k0) / 1000).toFixed(1)} s later`,
      );

      // Node-RED is killed once changes through the new Connect worker reach the graph (it differs from now).
      const graphNow = async () => JSON.stringify(ordered((await graphCustomers(graph, labels.customer)).byKey));
      const whenConnectCameBack = await graphNow();
      await eventually(
        'changes through the new Connect worker in the graph',
        async () => (await graphNow()) !== whenConnectCameBack,
        60000,
        250,
      );
      await nr.kill('SIGKILL');
      const n0 = Date.now();
      await nr.start(); // same flow, same consumer group: resumes from the committed offsets
      notes.push(`Node-RED killed, editor back in ${((Date.now() - n0) / 1000).toFixed(1)} s`);
      const result = await demo;
      assert.equal(result.changes.length, CHANGES);

      const { expected } = await expectedCustomers(db);
      let actual = new Map<string, Properties>();
      let vertices = 0;
      await eventually(
        'the graph to equal the table',
        async () => {
          ({ byKey: actual, vertices } = await graphCustomers(graph, labels.customer));
          const d = compareCustomers(expected, actual);
          return vertices === expected.size && d.missing.length + d.extra.length + d.different.length === 0;
        },
        240000,
        1000,
      ).catch(() => undefined);
      const d = compareCustomers(expected, actual);
      recordScenario({
        scenario: 'CDC: kill -9 Connect + kill -9 Node-RED mid-stream',
        eventsSent: CHANGES,
        verticesExpected: expected.size,
        verticesFound: vertices,
        edgesExpected: 0,
        edgesFound: 0,
        errorOutputs: 0,
        lost: d.missing.length + d.different.length,
        duplicated: vertices - actual.size + d.extra.length,
        notes: `customer vertices vs table rows, every property compared; ${notes.join('; ')}`,
      });
      assert.deepStrictEqual(ordered(actual), ordered(expected));
      assert.equal(vertices, expected.size, 'one vertex per row: nothing duplicated');
    } catch (e) {
      process.stdout.write(`[cdc-crash] Node-RED log:\n${nr.logTail(60)}\n`);
      throw e;
    } finally {
      await nr.stop();
      if (!ourPid('connect')) await connect.up().catch(() => undefined);
      await graph
        .submit('g.V().hasLabel(A, B, C).drop()', { A: labels.customer, B: labels.country, C: labels.twitterUser })
        .catch(() => undefined);
      await graph.close();
      await db.end().catch(() => undefined);
    }
  },
);
