/*
 * gremlin upsert and gremlin query as Node-RED nodes (node-red-node-test-helper) against the REAL Gremlin Server.
 */
import { test, describe, before, after, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, uniqueLabel } from '../support/project';
import { gremlinServerNode } from '../support/graphs';
import { helper, helperNodes } from '../support/helper-nodes';
import { GremlinConnection } from '../../lib/gremlin/connection';
import type { ChangeSet } from '../../lib/change-set';

const NODES = helperNodes('gremlin-server', 'gremlin-upsert', 'gremlin-query');

const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
const labels: string[] = [];
const label = (p: string) => {
  const L = uniqueLabel(p);
  labels.push(L);
  return L;
};

const serverNode = gremlinServerNode();

/** Resolves with the next `count` messages a helper node receives. */
function receive(node: any, count = 1): Promise<any[]> {
  return new Promise((resolve) => {
    const got: any[] = [];
    node.on('input', (msg: any) => {
      got.push(msg);
      if (got.length === count) resolve(got);
    });
  });
}

describe('gremlin nodes', () => {
  before(() => new Promise<void>((r) => helper.startServer(r)));
  afterEach(() => helper.unload());
  after(async () => {
    await new Promise<void>((r) => helper.stopServer(r));
    for (const L of labels) await admin.submit('g.V().hasLabel(L).drop()', { L });
    await admin.close();
  });

  test('gremlin upsert writes an array of change sets, sends the message on after writing, and one error msg per failed event', async () => {
    const L = label('nu');
    await helper.load(NODES, [
      serverNode,
      {
        id: 'up',
        type: 'ceh-gremlin-upsert',
        server: 'srv',
        batchSize: 500,
        lingerMs: 10,
        passThrough: true,
        wires: [['ok'], ['bad']],
      },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ]);
    const ref = (v: string) => ({ label: L, key: 'cid', value: v });
    const good = (i: number): ChangeSet => ({
      vertices: [{ ...ref(`C${i}`), properties: { i } }],
      edges: [],
      deletes: [],
      source: { topic: 't', partition: 0, offset: String(i) },
    });
    const poison: ChangeSet = {
      vertices: [],
      deletes: [],
      edges: [{ label: 'knows', from: ref('C0'), to: ref('MISSING'), properties: {} }],
      source: { topic: 't', partition: 0, offset: '99' },
    };
    const invalid = {
      vertices: [{ label: 'bad label!', key: 'cid', value: 'x', properties: {} }],
      edges: [],
      deletes: [],
    };
    const okMsgs = receive(helper.getNode('ok'));
    const badMsgs = receive(helper.getNode('bad'), 2);
    const events = ['e0', 'e1', 'e-poison', 'e2', 'e-invalid'];
    helper
      .getNode('up')
      .receive({ _msgid: 'm-1', payload: [good(0), good(1), poison, good(2), invalid], event: events });
    const [out] = await okMsgs;
    assert.equal(out._msgid, 'm-1');
    // "written" carries only what was written: the two failed change sets and their events are taken out.
    assert.deepEqual(
      out.payload.map((cs: ChangeSet) => cs.vertices[0].value),
      ['C0', 'C1', 'C2'],
    );
    assert.deepEqual(out.event, ['e0', 'e1', 'e2']);
    assert.equal(out.failed, 2);
    // Sent on only after the write: the vertices are in the graph now.
    const [count] = await admin.submit('g.V().hasLabel(L).count()', { L });
    assert.equal(Number(count), 3);
    const bad = (await badMsgs).sort((a, b) => String(a.event).localeCompare(String(b.event)));
    assert.deepEqual(
      bad.map((m) => m._msgid),
      ['m-1', 'm-1'],
    );
    assert.equal(bad[0].event, 'e-invalid');
    assert.match(bad[0].error.message, /vertices\[0\]\.label "bad label!" is not an identifier/);
    assert.equal(bad[0].error.field, 'vertices[0].label');
    assert.deepEqual(bad[0].error.event, { index: 4 });
    assert.equal(bad[1].event, 'e-poison');
    assert.deepEqual(bad[1].payload, poison);
    assert.match(bad[1].error.message, /t\[0\]@99: edge endpoint vertex not found/);
    assert.deepEqual(bad[1].error.event, poison.source);
    assert.deepEqual(bad[1].error.source, { id: 'up', type: 'ceh-gremlin-upsert' });
  });

  test('gremlin upsert sends nothing on "written" for a message whose only change set failed', async () => {
    const L = label('nw');
    await helper.load(NODES, [
      serverNode,
      {
        id: 'up',
        type: 'ceh-gremlin-upsert',
        server: 'srv',
        lingerMs: 10,
        passThrough: true,
        wires: [['ok'], ['bad']],
      },
      { id: 'ok', type: 'helper' },
      { id: 'bad', type: 'helper' },
    ]);
    const written: any[] = [];
    helper.getNode('ok').on('input', (m: any) => written.push(m));
    const badMsgs = receive(helper.getNode('bad'), 2);
    const ref = (v: string) => ({ label: L, key: 'cid', value: v });
    // One invalid (fails validation before any write), one whose edge has no endpoint (fails at the server).
    helper.getNode('up').receive({
      _msgid: 'm-invalid',
      payload: {
        vertices: [{ label: 'bad label!', key: 'cid', value: 'x', properties: {} }],
        edges: [],
        deletes: [],
      },
    });
    helper.getNode('up').receive({
      _msgid: 'm-poison',
      payload: {
        vertices: [],
        deletes: [],
        edges: [{ label: 'knows', from: ref('A'), to: ref('B'), properties: {} }],
      },
    });
    const good = receive(helper.getNode('ok'));
    helper
      .getNode('up')
      .receive({ _msgid: 'm-good', payload: { vertices: [{ ...ref('C'), properties: {} }], edges: [], deletes: [] } });
    const bad = await badMsgs;
    assert.deepEqual(bad.map((m) => m._msgid).sort(), ['m-invalid', 'm-poison']);
    await good;
    assert.deepEqual(
      written.map((m) => m._msgid),
      ['m-good'],
    );
    assert.equal(written[0].failed, undefined);
  });

  test('gremlin upsert rejects a payload that is not a change set with a clear error', async () => {
    await helper.load(NODES, [serverNode, { id: 'up', type: 'ceh-gremlin-upsert', server: 'srv', wires: [[], []] }]);
    const up = helper.getNode('up');
    const errored = new Promise<any>((r) => up.on('call:error', r));
    up.receive({ payload: 'not a change set' });
    const call = await errored;
    assert.match(String(call.args[0]), /msg\.payload must be a change set/);
  });

  test('gremlin query returns plain JSON shapes and takes bindings from msg.bindings and TypedInputs', async () => {
    const L = label('nq');
    await admin.submit(
      "g.addV(L).property('cid','A').property('n', 5000000000L).as('a').addV(L).property('cid','B').as('b').addE('knows').from('a').to('b').property('w', 2).iterate()",
      { L },
    );
    await helper.load(NODES, [
      serverNode,
      {
        id: 'q',
        type: 'ceh-gremlin-query',
        server: 'srv',
        query: 'g.V().hasLabel(L).has("cid", cid)',
        bindings: [{ name: 'L', type: 'str', value: L }],
        output: 'array',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ]);
    const out = helper.getNode('out');
    const q = helper.getNode('q');
    const run = async (msg: Record<string, unknown>) => {
      const p = receive(out);
      q.receive(msg);
      return (await p)[0];
    };

    const vertexMsg = await run({ _msgid: 'q1', bindings: { cid: 'A' } });
    assert.equal(vertexMsg._msgid, 'q1');
    assert.equal(vertexMsg.payload.length, 1);
    const v = vertexMsg.payload[0];
    assert.equal(v.label, L);
    assert.equal(typeof v.id, 'number');
    assert.deepEqual(v.properties, { cid: 'A', n: 5000000000 }, 'a Long arrives as a number');

    const edgeMsg = await run({ query: "g.V().hasLabel(L).has('cid','A').outE('knows')" });
    const e = edgeMsg.payload[0];
    assert.deepEqual(Object.keys(e).sort(), ['id', 'inV', 'label', 'outV', 'properties']);
    assert.equal(e.label, 'knows');
    assert.equal(e.outV, v.id);
    assert.deepEqual(e.properties, { w: 2 });

    const pathMsg = await run({
      query: "g.V().hasLabel(L).has('cid','A').as('x').out('knows').as('y').path().by('cid')",
    });
    assert.deepEqual(pathMsg.payload, [{ labels: [['x'], ['y']], objects: ['A', 'B'] }]);

    const mapMsg = await run({ query: "g.V().hasLabel(L).group().by('cid').by(count())" });
    assert.deepEqual(mapMsg.payload, [{ A: 1, B: 1 }]);
    // A Groovy list holding a java Set: the driver returns an ES Set, the node an array.
    const setMsg = await run({ query: "[g.V().hasLabel(L).values('cid').toSet()]" });
    assert.ok(Array.isArray(setMsg.payload[0]));
    assert.deepEqual([...setMsg.payload[0]].sort(), ['A', 'B']);
    const injected = await run({ query: 'g.inject(x)', bindings: { x: "'); g.V().drop(); ('" } });
    assert.deepEqual(injected.payload, ["'); g.V().drop(); ('"]);
  });

  test('gremlin query sends one message per result when asked, and reports server errors through done(err)', async () => {
    await helper.load(NODES, [
      serverNode,
      {
        id: 'q',
        type: 'ceh-gremlin-query',
        server: 'srv',
        query: 'g.inject(1, 2, 3)',
        bindings: [],
        output: 'each',
        wires: [['out']],
      },
      { id: 'out', type: 'helper' },
    ]);
    const msgs = receive(helper.getNode('out'), 3);
    helper.getNode('q').receive({ _msgid: 'each-1' });
    assert.deepEqual(
      (await msgs).map((m) => [m._msgid, m.payload]),
      [
        ['each-1', 1],
        ['each-1', 2],
        ['each-1', 3],
      ],
    );
    const q = helper.getNode('q');
    const errored = new Promise<any>((r) => q.on('call:error', r));
    q.receive({ query: 'g.V().nosuchstep()' });
    assert.match(String((await errored).args[0]), /nosuchstep/);
  });

  test('the editor button endpoint runs the deployed query with its test bindings; 404 when not deployed; errors are reported', async () => {
    const L = label('nb');
    await admin.submit("g.addV(L).property('cid','T1').iterate()", { L });
    await helper.load(NODES, [
      serverNode,
      {
        id: 'q',
        type: 'ceh-gremlin-query',
        server: 'srv',
        query: "g.V().hasLabel(L).values('cid')",
        bindings: [{ name: 'L', type: 'str', value: 'unused' }],
        testBindings: JSON.stringify({ L }),
        wires: [[]],
      },
      { id: 'q2', type: 'ceh-gremlin-query', server: 'srv', query: 'g.V().nosuchstep()', bindings: [], wires: [[]] },
    ]);
    const ok = await helper.request().post('/ceh-gremlin-query/q').expect(200);
    assert.deepEqual(ok.body, { result: ['T1'] });
    const missing = await helper.request().post('/ceh-gremlin-query/nope').expect(404);
    assert.equal(missing.body.error, 'not deployed');
    const failed = await helper.request().post('/ceh-gremlin-query/q2').expect(500);
    assert.match(failed.body.error, /nosuchstep/);
  });
});
