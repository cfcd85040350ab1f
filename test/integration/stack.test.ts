/* The local stack itself: real Kafka and Gremlin round trips, and `stack:up` is idempotent. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';
import { Kafka, logLevel } from 'kafkajs';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver ships no types; this test only needs a few calls
const gremlin = require('gremlin');
import { ROOT, ENDPOINTS, stack, unique, uniqueLabel } from '../support/project';

/** Java processes by main class and config, as `ps` shows them. */
function javaProcesses(pattern: RegExp): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /\bjava\b/.test(l) && pattern.test(l));
}

test('stack:up twice leaves one broker and one server process each', () => {
  for (let i = 0; i < 2; i++) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'stack', 'stack.js'), 'up'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /kafka: already running/);
    assert.match(r.stdout, /gremlin: already running/);
  }
  // Count the processes of this stack (its state folder), not private brokers other suites may run.
  const run = stack.RUN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.equal(javaProcesses(new RegExp(`kafka\\.Kafka ${run}/kafka/server\\.properties`)).length, 1);
  assert.equal(javaProcesses(new RegExp(`GremlinServer ${run}/gremlin/conf/gremlin-server\\.yaml`)).length, 1);
  assert.equal(javaProcesses(new RegExp(`GremlinServer ${run}/gremlin/conf/gremlin-server-secure\\.yaml`)).length, 1);
  const status = spawnSync(process.execPath, [path.join(ROOT, 'stack', 'stack.js'), 'status'], { encoding: 'utf8' });
  assert.match(status.stdout, /kafka\s+running \(pid \d+\), port 9092 open/);
  assert.match(status.stdout, /gremlin\s+running \(pid \d+\), port 8182 open/);
});

test('Kafka produce → consume round trip keeps key and headers', async () => {
  const kafka = new Kafka({ brokers: ENDPOINTS.kafkaBrokers, clientId: 'stack-test', logLevel: logLevel.NOTHING });
  const topic = unique('stack-roundtrip');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: [{ key: 'C-1', value: JSON.stringify({ hello: 'graph' }), headers: { source: 'crm', trace: 'ä-1' } }],
  });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: unique('stack-group') });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = await new Promise<{ key: string; value: string; headers: Record<string, string> }>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        resolve({ key: String(message.key), value: String(message.value), headers });
      },
    });
  });
  await consumer.disconnect();
  assert.deepEqual(got, { key: 'C-1', value: '{"hello":"graph"}', headers: { source: 'crm', trace: 'ä-1' } });
});

test('Gremlin addV + count round trip', async () => {
  const label = uniqueLabel('stackTest');
  const connection = new gremlin.driver.DriverRemoteConnection(ENDPOINTS.gremlinUrl, { traversalSource: 'g' });
  const g = gremlin.process.AnonymousTraversalSource.traversal().withRemote(connection);
  try {
    await g.addV(label).property('name', 'alice').iterate();
    await g.addV(label).property('name', 'bob').iterate();
    const count = await g.V().hasLabel(label).count().next();
    assert.equal(Number(count.value), 2);
    const names = await g.V().hasLabel(label).values('name').order().toList();
    assert.deepEqual(names, ['alice', 'bob']);
    await g.V().hasLabel(label).drop().iterate();
    assert.equal(Number((await g.V().hasLabel(label).count().next()).value), 0);
  } finally {
    await connection.close();
  }
});
