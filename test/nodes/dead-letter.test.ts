/*
 * Dead letters end to end in a real Node-RED runtime against the real broker and Gremlin Server: kafka in's
 * undecodable record, graph map's unmappable event, gremlin upsert's unwritable change set and a Catch node's error
 * all go straight into ONE `kafka out` in dead-letter mode, which publishes the original event with the reason, the
 * source topic/partition/offset and the failing node as headers. No function node.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { unique, uniqueLabel, eventually, sleep, ENDPOINTS } from '../support/project';
import { gremlinServerNode } from '../support/graphs';
import { kafkaTestRuntime, recordCode, createTopic, produce, brokerNode, committed } from '../support/kafka-test-kit';
import type { FlowNode } from '../support/node-red-runtime';
import { GremlinConnection } from '../../lib/gremlin/connection';

const suite = kafkaTestRuntime();
const { probe, topics } = suite;

/**
 * The dead-letter `kafka out` ('dlq', wire error outputs to it) writing to `topic`, and a kafka in reading `readFrom`
 * (the same topic unless the test makes `topic` unwritable) that records each dead letter under 'dead'.
 */
function deadLetterNodes(topic: string, readFrom = topic): FlowNode[] {
  return [
    {
      id: 'dlq',
      type: 'ceh-kafka-out',
      broker: 'broker',
      topic,
      mode: 'deadLetter',
      headersType: 'none',
      partitionType: 'none',
      acks: 'all',
      wires: [],
    },
    {
      id: 'dl-in',
      type: 'ceh-kafka-in',
      broker: 'broker',
      topics: readFrom,
      groupId: unique('g'),
      start: 'earliest',
      valueDecoding: 'buffer',
      keyDecoding: 'string',
      wires: [['dl-rec'], []],
    },
    { id: 'dl-rec', type: 'function', func: recordCode('dead'), outputs: 1, wires: [] },
  ];
}

test('one kafka out in dead-letter mode takes the failures of kafka in, graph map, gremlin upsert and a Catch node', async () => {
  probe.clear();
  const src = unique('ceh-dl-src');
  const dlt = unique('ceh-dl-dead');
  topics.push(src, dlt);
  await createTopic(src, 1);
  await createTopic(dlt, 1);
  const L = uniqueLabel('dl');
  const spec = JSON.stringify({
    vertices: {
      customer: {
        label: L,
        key: 'cid',
        value: '{{customerId}}',
        properties: { age: { value: '{{age}}', type: 'int' } },
      },
    },
  });
  await suite.rt.deploy([
    brokerNode(),
    gremlinServerNode(),
    {
      id: 'src-in',
      type: 'ceh-kafka-in',
      broker: 'broker',
      topics: src,
      groupId: unique('g'),
      start: 'earliest',
      valueDecoding: 'json',
      keyDecoding: 'string',
      wires: [['map'], ['dlq']],
    },
    { id: 'map', type: 'ceh-graph-map', name: 'customers', spec, wires: [['up'], ['dlq']] },
    { id: 'up', type: 'ceh-gremlin-upsert', server: 'srv', lingerMs: 10, wires: [['written'], ['dlq']] },
    { id: 'written', type: 'function', func: recordCode('written'), outputs: 1, wires: [] },
    {
      id: 'thrower',
      type: 'function',
      name: 'enrich',
      func: 'throw new Error("enrichment service down");',
      outputs: 1,
      wires: [],
    },
    { id: 'catch', type: 'catch', scope: ['thrower'], uncaught: false, wires: [['dlq']] },
    ...deadLetterNodes(dlt),
  ]);
  const undecodable = Buffer.from('{"customerId": "C-9", oops', 'utf8');
  await produce(src, [
    { key: 'C-1', value: '{"customerId":"C-1","age":"41"}', headers: { origin: 'crm' } },
    { key: 'C-9', value: undecodable },
    { key: 'C-2', value: '{"customerId":"C-2","age":"old"}' },
  ]);
  // gremlin upsert: an edge to a vertex that does not exist fails at the server, after the event was mapped.
  const ref = (v: string) => ({ label: L, key: 'cid', value: v });
  const poisonEvent = { transfer: 'T-7', to: 'NOBODY' };
  suite.rt.inject('up', {
    payload: {
      vertices: [],
      deletes: [],
      edges: [{ label: 'pays', from: ref('C-1'), to: ref('NOBODY'), properties: {} }],
      source: { topic: 'bank.transfers', partition: 3, offset: '179', key: 'T-7' },
    },
    event: poisonEvent,
  });
  suite.rt.inject('thrower', {
    payload: { customerId: 'C-5' },
    kafka: { topic: 'crm.customers', partition: 1, offset: '12', key: 'C-5', headers: {} },
  });

  await eventually('four dead letters', () => probe.msgs('dead').length >= 4, 60000);
  const dead = probe.msgs('dead');
  assert.equal(dead.length, 4);
  const byNode = new Map<string, any>(dead.map((m: any) => [m.kafka.headers['ceh-failed-node-type'], m]));
  assert.deepEqual([...byNode.keys()].sort(), ['ceh-graph-map', 'ceh-gremlin-upsert', 'ceh-kafka-in', 'function']);

  const fromIn = byNode.get('ceh-kafka-in');
  assert.deepEqual(fromIn.payload, undecodable, 'the undecodable record keeps its exact bytes');
  assert.equal(fromIn.kafka.key, 'C-9');
  assert.match(fromIn.kafka.headers['ceh-error'], /record value is not valid JSON/);
  assert.equal(fromIn.kafka.headers['ceh-error-field'], 'value');
  assert.equal(fromIn.kafka.headers['ceh-source-topic'], src);
  assert.equal(fromIn.kafka.headers['ceh-source-partition'], '0');
  assert.equal(fromIn.kafka.headers['ceh-source-offset'], '1');
  assert.equal(fromIn.kafka.headers['ceh-failed-node-id'], 'src-in');

  const fromMap = byNode.get('ceh-graph-map');
  assert.deepEqual(
    JSON.parse(fromMap.payload.toString()),
    { customerId: 'C-2', age: 'old' },
    'the event, not a change set',
  );
  assert.equal(fromMap.kafka.key, 'C-2');
  assert.match(fromMap.kafka.headers['ceh-error'], /"old" is not an integer \(type int\)/);
  assert.equal(fromMap.kafka.headers['ceh-error-definition'], 'vertices.customer');
  assert.equal(fromMap.kafka.headers['ceh-error-field'], 'properties.age');
  assert.equal(fromMap.kafka.headers['ceh-source-offset'], '2');
  assert.equal(fromMap.kafka.headers['ceh-failed-node-name'], 'customers');

  const fromUpsert = byNode.get('ceh-gremlin-upsert');
  assert.deepEqual(JSON.parse(fromUpsert.payload.toString()), poisonEvent, 'the original event, not the change set');
  assert.equal(fromUpsert.kafka.key, 'T-7');
  assert.match(fromUpsert.kafka.headers['ceh-error'], /bank\.transfers\[3\]@179: edge endpoint vertex not found/);
  assert.equal(fromUpsert.kafka.headers['ceh-source-topic'], 'bank.transfers');
  assert.equal(fromUpsert.kafka.headers['ceh-source-partition'], '3');
  assert.equal(fromUpsert.kafka.headers['ceh-source-offset'], '179');

  const fromCatch = byNode.get('function');
  assert.deepEqual(JSON.parse(fromCatch.payload.toString()), { customerId: 'C-5' });
  assert.match(fromCatch.kafka.headers['ceh-error'], /enrichment service down/);
  assert.equal(fromCatch.kafka.headers['ceh-failed-node-id'], 'thrower');
  assert.equal(fromCatch.kafka.headers['ceh-failed-node-name'], 'enrich');
  assert.equal(fromCatch.kafka.headers['ceh-source-topic'], 'crm.customers');
  assert.equal(fromCatch.kafka.headers['ceh-source-offset'], '12');
  for (const m of dead) assert.match(m.kafka.headers['ceh-failed-at'], /^\d{4}-\d{2}-\d{2}T/);

  // The good event was written, and only it reached "written".
  await eventually('the good event written', () => probe.msgs('written').length === 1);
  assert.equal(probe.msgs('written')[0].payload.vertices[0].value, 'C-1');
  const g = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
  try {
    const [n] = await g.submit('g.V().hasLabel(L).count()', { L });
    assert.equal(Number(n), 1);
    await g.submit('g.V().hasLabel(L).drop()', { L });
  } finally {
    await g.close();
  }
});

test('a dead letter the broker refuses is never committed past: its partition stops there, and the next deploy with a working dead-letter topic writes it', async () => {
  probe.clear();
  const src = unique('ceh-dl-held');
  const dlt = unique('ceh-dl-held-dead');
  topics.push(src, dlt);
  await createTopic(src, 1);
  await createTopic(dlt, 1);
  const groupId = unique('g');
  const spec = JSON.stringify({
    vertices: {
      customer: {
        label: uniqueLabel('dlh'),
        key: 'cid',
        value: '{{customerId}}',
        properties: { age: { value: '{{age}}', type: 'int' } },
      },
    },
  });
  // kafka in with its default error setting (a done(err) counts as handled), graph map's error output to a kafka out
  // in dead-letter mode. First the dead-letter topic is one the broker refuses (an invalid name).
  const flow = (deadLetterTopic: string) => [
    brokerNode(),
    {
      id: 'src-in',
      type: 'ceh-kafka-in',
      broker: 'broker',
      topics: src,
      groupId,
      start: 'earliest',
      valueDecoding: 'json',
      keyDecoding: 'string',
      wires: [['map'], ['dlq']],
    },
    { id: 'map', type: 'ceh-graph-map', name: 'customers', spec, wires: [['mapped'], ['dlq']] },
    { id: 'mapped', type: 'function', func: recordCode('mapped'), outputs: 1, wires: [] },
    ...deadLetterNodes(deadLetterTopic, dlt),
    { id: 'src-status', type: 'status', scope: ['src-in'], wires: [['status-rec']] },
    { id: 'status-rec', type: 'function', func: recordCode('status'), outputs: 1, wires: [] },
  ];
  await suite.rt.deploy(flow('not a valid topic name!'));
  await produce(src, [
    { key: 'C-1', value: '{"customerId":"C-1","age":"41"}' },
    { key: 'C-2', value: '{"customerId":"C-2","age":"old"}' },
    { key: 'C-3', value: '{"customerId":"C-3","age":"7"}' },
  ]);
  const committedAt = async () => (await committed(groupId, src))[0];
  // C-3 is mapped after C-2 failed, so an ordinary handled error would let the commit reach 3.
  await eventually('C-1 and C-3 mapped', () => probe.msgs('mapped').length === 2, 60000);
  await eventually('committed up to the unwritten dead letter', async () => (await committedAt()) === 1, 60000);
  await eventually(
    'kafka in shows the partition stopped',
    () => probe.msgs('status').some((m) => /^stopped \S+\/0 after/.test(String(m.status?.text))),
    20000,
  );
  await sleep(2000);
  assert.equal(await committedAt(), 1, 'still not past C-2 (offset 1): its dead letter was written nowhere');
  assert.deepEqual(probe.msgs('dead'), []);

  // The dead-letter topic fixed and deployed: C-2 comes again and reaches it; the commit passes it.
  await suite.rt.deploy(flow(dlt));
  await eventually('C-2 on the dead-letter topic', () => probe.msgs('dead').length === 1, 60000);
  const letter = probe.msgs('dead')[0];
  assert.equal(letter.kafka.key, 'C-2');
  assert.equal(letter.kafka.headers['ceh-source-offset'], '1');
  assert.match(letter.kafka.headers['ceh-error'], /"old" is not an integer/);
  await eventually('committed to the end', async () => (await committedAt()) === 3, 60000);
  await suite.rt.deploy([]);
});
