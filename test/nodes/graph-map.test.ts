/*
 * `graph map` through Node-RED (node-red-node-test-helper): both outputs, arrays from kafka-in batch mode, done()
 * once per message, deploy-time spec validation, msg.mapping, and the editor's preview endpoint. (The helper stubs RED.auth, so the
 * adminAuth refusal is tested in a real embedded Node-RED: graph-map-auth.test.ts.)
 */
import { test, describe, before, after, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, requireFromNodeRed, eventually } from '../support/project';
import { helper, helperNodes } from '../support/helper-nodes';

const [graphMapNode] = helperNodes('graph-map');
const completeNode = requireFromNodeRed('@node-red/nodes/core/common/24-complete.js');

const orderSpec = fs.readFileSync(path.join(ROOT, 'mappings', 'order.yaml'), 'utf8');
const samples = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8'));

function flow(spec: string) {
  return [
    { id: 'gm', type: 'ceh-graph-map', name: 'orders', spec, wires: [['out'], ['err']] },
    { id: 'out', type: 'helper' },
    { id: 'err', type: 'helper' },
    { id: 'done', type: 'complete', scope: ['gm'], uncaught: false, wires: [['completed']] },
    { id: 'completed', type: 'helper' },
  ];
}

/** Collects what the helper nodes receive until `settle` resolves (one tick after the expected messages). */
function collect(ids: string[]): Record<string, any[]> {
  const got: Record<string, any[]> = {};
  for (const id of ids) {
    got[id] = [];
    helper.getNode(id).on('input', (msg: any) => got[id].push(msg));
  }
  return got;
}

describe('graph map node', () => {
  before(async () => {
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });
  afterEach(async () => {
    await helper.unload();
  });

  test('one event → a change set on output 1, the event kept in msg.event, _msgid kept, done() once', async () => {
    await helper.load([graphMapNode, completeNode], flow(orderSpec));
    const got = collect(['out', 'err', 'completed']);
    helper.getNode('gm').receive({
      _msgid: 'm1',
      payload: samples.order,
      kafka: { topic: 'customer.orders', partition: 3, offset: '77', key: 'O-1001', timestamp: '1', headers: {} },
    });
    await eventually('output and done', () => got.out.length === 1 && got.completed.length === 1);
    const msg = got.out[0];
    assert.equal(msg._msgid, 'm1');
    assert.deepEqual(msg.event, samples.order);
    assert.deepEqual(msg.payload.source, { topic: 'customer.orders', partition: 3, offset: '77', key: 'O-1001' });
    assert.deepEqual(
      msg.payload.vertices.map((v: any) => `${v.label}=${v.value}`),
      ['customer=C-17', 'order=O-1001', 'product=SKU-1', 'product=SKU-2'],
    );
    assert.deepEqual(
      msg.payload.edges.map((e: any) => e.label),
      ['placed', 'contains', 'contains'],
    );
    assert.equal(got.err.length, 0);
  });

  test('an array (kafka in batch) → ChangeSet[] for the good events and one error message per bad event', async () => {
    await helper.load([graphMapNode, completeNode], flow(orderSpec));
    const got = collect(['out', 'err', 'completed']);
    const bad = { orderId: 'O-2', total: 5 };
    const events = [samples.order, bad, { ...samples.order, orderId: 'O-3' }];
    helper.getNode('gm').receive({
      _msgid: 'b1',
      payload: events,
      kafka: {
        topic: 'customer.orders',
        partition: 0,
        batch: true,
        offsets: ['10', '11', '12'],
        timestamps: ['1', '2', '3'],
        keys: ['a', 'b', 'c'],
        headers: [{}, {}, {}],
      },
    });
    await eventually(
      'both outputs and done',
      () => got.out.length === 1 && got.err.length === 1 && got.completed.length === 1,
    );
    // A message behind it: once its done() has arrived, a second done() of the batch would have arrived too.
    helper.getNode('gm').receive({ _msgid: 'b2', payload: samples.order });
    await eventually('the next message done', () => got.completed.some((m) => m._msgid === 'b2'));
    assert.equal(got.completed.filter((m) => m._msgid === 'b1').length, 1, 'done() once per input message');
    const out = got.out[0];
    assert.equal(out._msgid, 'b1');
    assert.deepEqual(out.event, events);
    assert.deepEqual(
      out.payload.map((cs: any) => [cs.source.offset, cs.source.index, cs.vertices[1].value]),
      [
        ['10', 0, 'O-1001'],
        ['12', 2, 'O-3'],
      ],
    );
    const err = got.err[0];
    assert.equal(err._msgid, 'b1');
    assert.deepEqual(err.payload, bad);
    assert.deepEqual(err.error.event, { topic: 'customer.orders', partition: 0, offset: '11', key: 'b', index: 1 });
    assert.equal(err.error.definition, 'vertices.customer');
    assert.equal(err.error.field, 'value');
    assert.match(
      err.error.message,
      /^customer\.orders\[0\]@11 \(item 1\): vertices\.customer field "value": key value missing/,
    );
  });

  test('a single bad event goes only to output 2, as a clone of the input message', async () => {
    await helper.load([graphMapNode, completeNode], flow(orderSpec));
    const got = collect(['out', 'err', 'completed']);
    helper.getNode('gm').receive({
      _msgid: 'x1',
      payload: { orderId: 'O-9', customerId: 'C-1', total: 'lots' },
      topic: 'customer.orders',
    });
    await eventually('error output and done', () => got.err.length === 1 && got.completed.length === 1);
    assert.equal(got.out.length, 0);
    assert.equal(got.err[0]._msgid, 'x1');
    assert.equal(got.err[0].topic, 'customer.orders');
    assert.equal(got.err[0].error.field, 'properties.total');
    assert.match(got.err[0].error.message, /"lots" is not a number \(type double\)/);
  });

  test('an invalid spec shows on the status and in the log at deploy; events go to output 2 naming definition and field', async () => {
    const badSpec = orderSpec.replace('type: double', 'type: decimal');
    await helper.load([graphMapNode, completeNode], flow(badSpec));
    const gm = helper.getNode('gm');
    const logged = helper
      .log()
      .args.filter((a: any[]) => a[0]?.type === 'ceh-graph-map' && a[0]?.level === helper.log().ERROR);
    assert.ok(
      logged.some((a: any[]) =>
        /mapping spec: vertices\.order\.properties\.total\.type: unknown type "decimal"/.test(a[0].msg),
      ),
      JSON.stringify(logged.map((a: any[]) => a[0].msg)),
    );
    const got = collect(['out', 'err']);
    gm.receive({ payload: [samples.order, samples.order] });
    await eventually('two error messages', () => got.err.length === 2);
    assert.equal(got.out.length, 0);
    assert.equal(got.err[0].error.definition, 'vertices.order');
    assert.equal(got.err[0].error.field, 'properties.total.type');
    assert.deepEqual(got.err[1].error.event, { index: 1 });
    assert.match(got.err[1].error.message, /^event #1: invalid mapping spec: /);
  });

  test("msg.mapping overrides the node's spec for that message", async () => {
    await helper.load([graphMapNode, completeNode], flow(orderSpec));
    const got = collect(['out']);
    const mapping = { vertices: { tweet: { label: 'tweet', key: 'tweetId', value: '{{id_str}}' } } };
    helper.getNode('gm').receive({ payload: samples.twitter, mapping });
    await eventually('output', () => got.out.length === 1);
    assert.deepEqual(got.out[0].payload.vertices, [
      { label: 'tweet', key: 'tweetId', value: '1050118621198921728', properties: {} },
    ]);
  });
});

describe('graph map preview endpoint', () => {
  before(async () => {
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });
  afterEach(async () => {
    await helper.unload();
  });

  test('maps a sample event with the edited spec and returns vertices, edges and errors', async () => {
    await helper.load([graphMapNode], [{ id: 'gm', type: 'ceh-graph-map', spec: orderSpec, wires: [[], []] }]);
    const twitterSpec = fs.readFileSync(path.join(ROOT, 'mappings', 'twitter.yaml'), 'utf8');
    const res = await helper
      .request()
      .post('/ceh-graph-map/preview')
      .send({ spec: twitterSpec, event: JSON.stringify(samples.twitter) })
      .expect(200);
    assert.deepEqual(res.body.issues, []);
    assert.deepEqual(
      res.body.changeSets[0].vertices.map((v: any) => v.label),
      ['twitterUser', 'tweet', 'term', 'term'],
    );
    assert.deepEqual(
      res.body.changeSets[0].edges.map((e: any) => `${e.label}:${e.to.value}`),
      ['publishes:1050118621198921728', 'uses:Kafka', 'uses:NodeRED'],
    );
    const bad = await helper
      .request()
      .post('/ceh-graph-map/preview')
      .send({ spec: twitterSpec, event: '{"id_str": "1"}' })
      .expect(200);
    assert.equal(bad.body.changeSets.length, 0);
    assert.equal(bad.body.errors[0].definition, 'vertices.twitterUser');
  });

  test('returns spec issues with lines for the editor markers, and refuses a sample that is not JSON', async () => {
    await helper.load([graphMapNode], [{ id: 'gm', type: 'ceh-graph-map', spec: orderSpec, wires: [[], []] }]);
    const res = await helper
      .request()
      .post('/ceh-graph-map/preview')
      .send({ spec: 'vertices:\n  a: { label: "x y", key: k, value: "{{k}}" }\n' })
      .expect(200);
    assert.equal(res.body.issues[0].definition, 'vertices.a');
    assert.equal(res.body.issues[0].field, 'label');
    assert.equal(res.body.issues[0].line, 2);
    const notJson = await helper
      .request()
      .post('/ceh-graph-map/preview')
      .send({ spec: orderSpec, event: '{oops' })
      .expect(400);
    assert.match(notJson.body.error, /the sample event is not JSON/);
  });

  test('uses the last event the deployed node saw; 404 before it saw one', async () => {
    await helper.load([graphMapNode], [{ id: 'gm', type: 'ceh-graph-map', spec: orderSpec, wires: [[], []] }]);
    await helper
      .request()
      .post('/ceh-graph-map/preview')
      .send({ spec: orderSpec, useLast: true, nodeId: 'gm' })
      .expect(404);
    helper.getNode('gm').receive({ payload: [{ nope: 1 }, samples.order] });
    const res = await helper
      .request()
      .post('/ceh-graph-map/preview')
      .send({ spec: orderSpec, useLast: true, nodeId: 'gm' })
      .expect(200);
    assert.deepEqual(res.body.event, samples.order);
    assert.equal(res.body.changeSets[0].vertices[1].value, 'O-1001');
  });
});
