/*
 * At-least-once through the whole flow, backpressure and batch mode of kafka in — in a real Node-RED runtime (the
 * message hooks exist only there) against the real local broker. Downstream function nodes hold done() in the probe
 * until the test releases them; "unload" is a deploy of an empty flow, "load" deploys the same flow again.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { FlowNode } from '../support/node-red-runtime';
import { unique, eventually } from '../support/project';
import {
  kafkaTestRuntime,
  holdCode,
  recordCode,
  createTopic,
  produce,
  brokerNode,
  committed,
} from '../support/kafka-test-kit';

const suite = kafkaTestRuntime();
const { probe, topics } = suite;

/** For eventually(): true once partition 0's committed offset is `expected`, else throws with what it is. */
async function committedIs(groupId: string, topic: string, expected: number): Promise<boolean> {
  const c = (await committed(groupId, topic))[0];
  if (c !== expected) throw new Error(`committed offset is ${c}, waiting for ${expected}`);
  return true;
}

async function newTopic(values: unknown[]): Promise<string> {
  const topic = unique('ceh-alo');
  topics.push(topic);
  await createTopic(topic, 1);
  await produce(
    topic,
    values.map((v) => ({ value: JSON.stringify(v) })),
  );
  return topic;
}

function kafkaIn(topic: string, groupId: string, wires: string[], extra: Record<string, unknown> = {}): FlowNode {
  return {
    id: 'kin',
    type: 'ceh-kafka-in',
    broker: 'broker',
    topics: topic,
    groupId,
    start: 'earliest',
    valueDecoding: 'json',
    maxInFlight: 100,
    wires: [wires, []],
    ...extra,
  };
}

test('unfinished messages are delivered again after an unload, finished ones are not', async () => {
  probe.clear();
  const topic = await newTopic(Array.from({ length: 10 }, (_, i) => ({ i })));
  const groupId = unique('g-alo');
  const flow: FlowNode[] = [
    brokerNode(),
    kafkaIn(topic, groupId, ['hold']),
    { id: 'hold', type: 'function', func: holdCode('h'), outputs: 1, wires: [] },
  ];
  await suite.rt.deploy(flow);
  await eventually('10 held', () => probe.held('h').length === 10);
  assert.deepEqual(await committed(groupId, topic), { 0: -1 }, 'nothing committed while all are held');
  // Finish 0..5 out of order; 6..9 stay unfinished.
  for (const i of [3, 1, 0, 5, 2]) probe.release('h', (m) => m.payload.i === i);
  await eventually('commit up to the unfinished 4', () => committedIs(groupId, topic, 4));
  probe.release('h', (m) => m.payload.i === 4);
  await eventually('commit up to 6', () => committedIs(groupId, topic, 6));

  await suite.rt.deploy([]);
  assert.deepEqual(await committed(groupId, topic), { 0: 6 });
  probe.clear();
  await suite.rt.deploy(flow);
  await produce(topic, [{ value: JSON.stringify({ i: 10 }) }]);
  await eventually('the record after the redelivered ones', () => probe.msgs('h').some((m) => m.payload.i === 10));
  assert.deepEqual(
    probe.msgs('h').map((m) => m.payload.i),
    [6, 7, 8, 9, 10],
  );
  probe.release('h');
  await eventually('all committed', () => committedIs(groupId, topic, 11));
  await suite.rt.deploy([]);
});

test('the guarantee holds through function, switch, change and a fan-out to two branches', async () => {
  probe.clear();
  const kinds = ['keep', 'drop', 'keep', 'keep', 'drop', 'keep', 'keep', 'keep', 'keep', 'keep'];
  const topic = await newTopic(kinds.map((kind, i) => ({ i, kind })));
  const groupId = unique('g-fan');
  const flow: FlowNode[] = [
    brokerNode(),
    kafkaIn(topic, groupId, ['fn']),
    { id: 'fn', type: 'function', func: 'msg.viaFunction = true; return msg;', outputs: 1, wires: [['sw']] },
    {
      id: 'sw',
      type: 'switch',
      property: 'payload.kind',
      propertyType: 'msg',
      rules: [{ t: 'eq', v: 'keep', vt: 'str' }],
      checkall: 'true',
      outputs: 1,
      wires: [['ch']],
    },
    {
      id: 'ch',
      type: 'change',
      rules: [{ t: 'set', p: 'branch', pt: 'msg', to: 'both', tot: 'str' }],
      wires: [['a', 'b']],
    },
    { id: 'a', type: 'function', func: holdCode('A'), outputs: 1, wires: [] },
    { id: 'b', type: 'function', func: holdCode('B'), outputs: 1, wires: [] },
  ];
  await suite.rt.deploy(flow);
  await eventually(
    '8 kept messages in both branches',
    () => probe.held('A').length === 8 && probe.held('B').length === 8,
  );
  assert.ok(probe.msgs('A').every((m) => m.viaFunction === true && m.branch === 'both'));
  // 0..5 finished in both branches (1 and 4 were dropped by the switch); 6 finished only in branch A.
  probe.release('A', (m) => m.payload.i <= 6);
  probe.release('B', (m) => m.payload.i <= 4);
  await eventually('commit up to 5 (B still holds 5)', () => committedIs(groupId, topic, 5));
  probe.release('B', (m) => m.payload.i === 5);
  await eventually('commit up to 6', () => committedIs(groupId, topic, 6));

  await suite.rt.deploy([]);
  assert.deepEqual(await committed(groupId, topic), { 0: 6 }, 'message 6 is unfinished in branch B: not committed');
  probe.clear();
  await suite.rt.deploy(flow);
  await produce(topic, [{ value: JSON.stringify({ i: 10, kind: 'keep' }) }]);
  await eventually('the record after the redelivered ones', () => probe.msgs('B').some((m) => m.payload.i === 10));
  assert.deepEqual(
    probe.msgs('B').map((m) => m.payload.i),
    [6, 7, 8, 9, 10],
  );
  assert.deepEqual(
    probe.msgs('A').map((m) => m.payload.i),
    [6, 7, 8, 9, 10],
  );
  probe.release('A');
  probe.release('B');
  await suite.rt.deploy([]);
});

test('backpressure: in flight never exceeds maxInFlight; the consumer pauses and resumes', async () => {
  probe.clear();
  const topic = await newTopic(Array.from({ length: 20 }, (_, i) => ({ i })));
  const groupId = unique('g-bp');
  await suite.rt.deploy([
    brokerNode(),
    kafkaIn(topic, groupId, ['hold'], { maxInFlight: 4 }),
    { id: 'hold', type: 'function', func: holdCode('h'), outputs: 1, wires: [] },
    { id: 'st', type: 'status', scope: ['kin'], wires: [['st-rec']] },
    { id: 'st-rec', type: 'function', func: recordCode('status'), outputs: 1, wires: [] },
  ]);
  const statuses = () => probe.msgs('status').map((m) => String(m.status.text || ''));
  await eventually(
    'paused at the bound',
    () => probe.held('h').length === 4 && statuses().some((s) => s.startsWith('paused')),
  );
  let releasedRounds = 0;
  while (probe.msgs('h').length < 20) {
    const before = probe.msgs('h').length;
    probe.release('h');
    releasedRounds += 1;
    await eventually(
      'more records after resuming',
      () => probe.msgs('h').length > before || probe.msgs('h').length === 20,
    );
  }
  probe.release('h');
  assert.ok(releasedRounds >= 4, `needed several rounds (${releasedRounds}) because the consumer paused`);
  assert.equal(probe.maxHeld.get('h'), 4, 'never more than maxInFlight held at once');
  assert.deepEqual(
    probe.msgs('h').map((m) => m.payload.i),
    Array.from({ length: 20 }, (_, i) => i),
  );
  const inFlight = statuses().map((s) => Number((/(\d+) in flight/.exec(s) || [])[1] || 0));
  assert.ok(Math.max(...inFlight) <= 4, `status never showed more than 4 in flight: ${statuses().join(' | ')}`);
  const firstPause = statuses().findIndex((s) => s.startsWith('paused'));
  assert.ok(
    statuses()
      .slice(firstPause)
      .some((s) => s.startsWith('consuming')),
    'resumed after pausing',
  );
  await eventually('all committed', () => committedIs(groupId, topic, 20));
  await suite.rt.deploy([]);
});

test('batch mode: one message per fetched batch, unfinished batches delivered again', async () => {
  probe.clear();
  const topic = await newTopic(Array.from({ length: 10 }, (_, i) => ({ i })));
  const groupId = unique('g-batch');
  const flow: FlowNode[] = [
    brokerNode(),
    kafkaIn(topic, groupId, ['hold'], { mode: 'batch' }),
    { id: 'hold', type: 'function', func: holdCode('h'), outputs: 1, wires: [] },
  ];
  const values = () => probe.msgs('h').flatMap((m) => m.payload.map((v: { i: number }) => v.i));
  await suite.rt.deploy(flow);
  await eventually('first 10 records', () => values().length === 10);
  const first = probe.msgs('h')[0];
  assert.equal(first.kafka.batch, true);
  assert.equal(first.kafka.offsets.length, first.payload.length);
  assert.equal(first.kafka.offsets[0], '0');
  assert.equal(first.kafka.keys.length, first.payload.length);
  probe.release('h');
  await eventually('batch committed', () => committedIs(groupId, topic, 10));
  await produce(
    topic,
    Array.from({ length: 10 }, (_, k) => ({ value: JSON.stringify({ i: 10 + k }) })),
  );
  await eventually('next 10 records', () => values().length === 20);
  await suite.rt.deploy([]);
  assert.deepEqual(await committed(groupId, topic), { 0: 10 });
  probe.clear();
  await suite.rt.deploy(flow);
  await produce(topic, [{ value: JSON.stringify({ i: 20 }) }]);
  await eventually('the record after the redelivered ones', () => values().includes(20));
  assert.deepEqual(
    values(),
    Array.from({ length: 11 }, (_, k) => 10 + k),
  );
  probe.release('h');
  await eventually('all committed', () => committedIs(groupId, topic, 21));
  await suite.rt.deploy([]);
});
