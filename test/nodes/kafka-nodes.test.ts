/* kafka in / kafka out in a real Node-RED runtime against the real local broker: round trip, decoding, regex, groups. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FlowNode } from '../support/node-red-runtime';
import { unique, eventually } from '../support/project';
import { kafkaTestRuntime, recordCode, createTopic, produce, brokerNode, withAdmin } from '../support/kafka-test-kit';

const suite = kafkaTestRuntime();
const { probe, topics } = suite;

function kafkaIn(id: string, extra: Record<string, unknown>, out0: string, out1 = `${out0}-bad`): FlowNode[] {
  return [
    {
      id: `in-${id}`,
      type: 'ceh-kafka-in',
      broker: 'broker',
      groupId: unique('g'),
      start: 'earliest',
      maxInFlight: 100,
      wires: [[`in-${id}-f0`], [`in-${id}-f1`]],
      ...extra,
    },
    { id: `in-${id}-f0`, type: 'function', func: recordCode(out0), outputs: 1, wires: [] },
    { id: `in-${id}-f1`, type: 'function', func: recordCode(out1), outputs: 1, wires: [] },
  ];
}

test('round trip through kafka out and kafka in keeps keys, headers and values in each decoding', async () => {
  probe.clear();
  const topic = unique('ceh-rt');
  topics.push(topic);
  await createTopic(topic, 1);
  await suite.rt.deploy([
    brokerNode(),
    {
      id: 'k-out',
      type: 'ceh-kafka-out',
      broker: 'broker',
      topic,
      key: 'key',
      keyType: 'msg',
      headers: 'headers',
      headersType: 'msg',
      partitionType: 'none',
      acks: 'all',
      compression: 'gzip',
      wires: [['k-out-ok']],
    },
    { id: 'k-out-ok', type: 'function', func: recordCode('acked'), outputs: 1, wires: [] },
    ...kafkaIn('auto', { topics: topic, valueDecoding: 'auto', keyDecoding: 'string' }, 'auto'),
    ...kafkaIn('json', { topics: topic, valueDecoding: 'json', keyDecoding: 'string' }, 'json'),
    ...kafkaIn('string', { topics: topic, valueDecoding: 'string', keyDecoding: 'string' }, 'string'),
    ...kafkaIn('buffer', { topics: topic, valueDecoding: 'buffer', keyDecoding: 'buffer' }, 'buffer'),
  ]);
  const bytes = Buffer.from([0xff, 0x00, 0x01]);
  // One at a time, so the record order (and offsets) is the order sent.
  suite.rt.inject('k-out', { payload: { customerId: 'C-1', n: 1 }, key: 'k1', headers: { source: 'crm', version: 2 } });
  await eventually('first ack', () => probe.msgs('acked').length === 1);
  suite.rt.inject('k-out', { payload: 'plain text', key: 'k2' });
  await eventually('second ack', () => probe.msgs('acked').length === 2);
  suite.rt.inject('k-out', { payload: bytes });
  await eventually('third ack', () => probe.msgs('acked').length === 3);
  assert.deepEqual(
    probe.msgs('acked').map((m) => m.kafka.offset),
    ['0', '1', '2'],
  );

  await eventually('auto decoding', () => probe.msgs('auto').length === 3);
  const auto = probe.msgs('auto');
  assert.deepEqual(auto[0].payload, { customerId: 'C-1', n: 1 });
  assert.equal(auto[0].topic, topic);
  // Commit "when the flow finished" (the default) stamps the partition lease (lib/kafka/partition-leases): a number.
  assert.equal(typeof auto[0].kafka.lease, 'number');
  assert.deepEqual(
    { ...auto[0].kafka, timestamp: undefined, lease: undefined },
    {
      topic,
      partition: 0,
      offset: '0',
      timestamp: undefined,
      key: 'k1',
      headers: { source: 'crm', version: '2' },
      lease: undefined,
    },
  );
  assert.match(auto[0].kafka.timestamp, /^\d+$/);
  assert.equal(auto[1].payload, 'plain text');
  assert.equal(auto[1].kafka.key, 'k2');
  assert.equal(auto[2].kafka.key, null);

  await eventually('json decoding', () => probe.msgs('json').length === 1 && probe.msgs('json-bad').length === 2);
  assert.deepEqual(probe.msgs('json')[0].payload, { customerId: 'C-1', n: 1 });
  const bad = probe.msgs('json-bad');
  assert.ok(Buffer.isBuffer(bad[0].payload));
  assert.equal(bad[0].payload.toString(), 'plain text');
  assert.match(bad[0].error.message, new RegExp(`${topic}/0@1: record value is not valid JSON`));
  assert.equal(bad[0].error.field, 'value');
  assert.deepEqual(bad[1].payload, bytes);
  assert.equal(bad[1].kafka.offset, '2');

  await eventually('string decoding', () => probe.msgs('string').length === 3);
  assert.deepEqual(
    probe.msgs('string').map((m) => m.payload),
    ['{"customerId":"C-1","n":1}', 'plain text', bytes.toString('utf8')],
  );

  await eventually('buffer decoding', () => probe.msgs('buffer').length === 3);
  const buf = probe.msgs('buffer');
  assert.ok(Buffer.isBuffer(buf[0].payload));
  assert.deepEqual(JSON.parse(buf[0].payload.toString()), { customerId: 'C-1', n: 1 });
  assert.deepEqual(buf[2].payload, bytes);
  assert.deepEqual(buf[0].kafka.key, Buffer.from('k1'));
});

test('a topic regex subscribes to every matching topic', async () => {
  probe.clear();
  const prefix = unique('ceh-rx');
  const [a, b, other] = [`${prefix}-a`, `${prefix}-b`, unique('ceh-other')];
  topics.push(a, b, other);
  for (const t of [a, b, other]) await createTopic(t, 1);
  await produce(a, [{ value: '{"from":"a"}' }]);
  await produce(b, [{ value: '{"from":"b"}' }]);
  await produce(other, [{ value: '{"from":"other"}' }]);
  await suite.rt.deploy([
    brokerNode(),
    ...kafkaIn('rx', { topics: `^${prefix.replace(/[-]/g, '\\-')}-[ab]$`, topicsType: 'regex' }, 'rx'),
  ]);
  await eventually('both matching topics', () => probe.msgs('rx').length >= 2);
  // A record produced after the matching ones, on a matching topic: once it is here, nothing else is still coming.
  await produce(a, [{ value: '{"from":"a2"}' }]);
  await eventually('the later record', () => probe.msgs('rx').some((m) => m.payload.from === 'a2'));
  assert.deepEqual(
    probe
      .msgs('rx')
      .map((m) => m.payload.from)
      .sort(),
    ['a', 'a2', 'b'],
  );
  assert.deepEqual([...new Set(probe.msgs('rx').map((m) => m.topic))].sort(), [a, b]);
});

test('two kafka in nodes in one group share the partitions of a topic', async () => {
  probe.clear();
  const topic = unique('ceh-share');
  const groupId = unique('g-share');
  topics.push(topic);
  await createTopic(topic, 4);
  await suite.rt.deploy([
    brokerNode(),
    ...kafkaIn('m1', { topics: topic, groupId }, 'm1'),
    ...kafkaIn('m2', { topics: topic, groupId }, 'm2'),
  ]);
  await eventually(
    'a stable group of two',
    async () => {
      const d = await withAdmin((a) => a.describeGroups([groupId]));
      const g = d.groups[0];
      return g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0);
    },
    60000,
    500,
  );
  const messages = [];
  for (let p = 0; p < 4; p++)
    for (let i = 0; i < 3; i++) messages.push({ partition: p, value: JSON.stringify({ p, i }) });
  await produce(topic, messages);
  await eventually('all 12 records', () => probe.msgs('m1').length + probe.msgs('m2').length === 12, 60000);
  const parts1 = new Set(probe.msgs('m1').map((m) => m.kafka.partition));
  const parts2 = new Set(probe.msgs('m2').map((m) => m.kafka.partition));
  assert.ok(parts1.size > 0 && parts2.size > 0, `each member got partitions: ${[...parts1]} / ${[...parts2]}`);
  assert.deepEqual(
    [...parts1].filter((p) => parts2.has(p)),
    [],
    'no partition went to both',
  );
  assert.deepEqual([...parts1, ...parts2].sort(), [0, 1, 2, 3]);
});

test('a failed send in kafka out reaches a Catch node with the message', async () => {
  probe.clear();
  const topic = unique('ceh-fail');
  topics.push(topic);
  await createTopic(topic, 1);
  await suite.rt.deploy([
    brokerNode(),
    {
      id: 'k-out',
      type: 'ceh-kafka-out',
      broker: 'broker',
      topic: '',
      keyType: 'none',
      headersType: 'none',
      partition: 'partition',
      partitionType: 'msg',
      acks: 'all',
      wires: [['k-ok']],
    },
    { id: 'k-ok', type: 'function', func: recordCode('ok'), outputs: 1, wires: [] },
    { id: 'k-catch', type: 'catch', scope: ['k-out'], uncaught: false, wires: [['k-caught']] },
    { id: 'k-caught', type: 'function', func: recordCode('caught'), outputs: 1, wires: [] },
  ]);
  suite.rt.inject('k-out', { topic: 'not a valid topic name!', payload: { id: 'E-1' } });
  suite.rt.inject('k-out', { topic, payload: { id: 'E-2' }, partition: -3 });
  suite.rt.inject('k-out', { topic, payload: { id: 'E-3' } });
  await eventually('two caught errors', () => probe.msgs('caught').length === 2, 60000);
  const caught = probe.msgs('caught');
  const byId = Object.fromEntries(caught.map((m) => [m.payload.id, m.error.message]));
  assert.match(byId['E-1'], /kafka out: send to not a valid topic name! failed/);
  assert.match(byId['E-2'], /partition must be a whole number/);
  await eventually('the good one acked', () => probe.msgs('ok').length === 1);
  assert.equal(probe.msgs('ok')[0].payload.id, 'E-3');
});

test('kafka out never drops silently while the broker is unreachable: up to maxQueue wait, beyond it fail at once', async () => {
  probe.clear();
  // A port nothing listens on: the producer cannot connect, so every send waits and then fails.
  await suite.rt.deploy([
    {
      id: 'dead-broker',
      type: 'ceh-kafka-broker',
      brokers: '127.0.0.1:1',
      clientId: 'ceh-test-dead',
      connectionTimeout: 300,
      requestTimeout: 1000,
    },
    {
      id: 'k-out',
      type: 'ceh-kafka-out',
      broker: 'dead-broker',
      topic: unique('ceh-unreachable'),
      keyType: 'none',
      headersType: 'none',
      partitionType: 'none',
      acks: 'all',
      maxQueue: 2,
      wires: [['k-ok']],
    },
    { id: 'k-ok', type: 'function', func: recordCode('ok'), outputs: 1, wires: [] },
    { id: 'k-catch', type: 'catch', scope: ['k-out'], uncaught: false, wires: [['k-caught']] },
    { id: 'k-caught', type: 'function', func: recordCode('caught'), outputs: 1, wires: [] },
  ]);
  for (const id of ['Q-1', 'Q-2', 'Q-3', 'Q-4']) suite.rt.inject('k-out', { payload: { id } });
  // The two beyond the bound fail at once; the two waiting fail when the producer gives up. None is acked, none is lost.
  await eventually('over-the-bound messages fail at once', () => probe.msgs('caught').length >= 2, 5000);
  const first = probe.msgs('caught').slice(0, 2);
  assert.deepEqual(first.map((m) => m.payload.id).sort(), ['Q-3', 'Q-4']);
  for (const m of first) assert.match(m.error.message, /2 messages already waiting for the broker \(queue bound 2\)/);
  await eventually('the waiting messages fail too', () => probe.msgs('caught').length === 4, 120000);
  const later = probe.msgs('caught').slice(2);
  assert.deepEqual(later.map((m) => m.payload.id).sort(), ['Q-1', 'Q-2']);
  for (const m of later) assert.match(m.error.message, /kafka out: send to .* failed/);
  assert.equal(probe.msgs('ok').length, 0);
});
