/*
 * Lineage through the real nodes into the REAL Gremlin Server: graph map (lineage ticked) → gremlin upsert. Every
 * vertex and edge names its last event (topic, partition, offset, event time, mapping node); a later event for the
 * same element moves it; with lineage off nothing of it is written.
 */
import { test, describe, before, after, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, uniqueLabel } from '../support/project';
import { gremlinServerNode } from '../support/graphs';
import { helper, helperNodes } from '../support/helper-nodes';
import { GremlinConnection } from '../../lib/gremlin/connection';

const NODES = helperNodes('graph-map', 'gremlin-server', 'gremlin-upsert');
const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
const P = uniqueLabel('linPerson');
const C = uniqueLabel('linCity');

const spec = `vertices:
  person: { label: ${P}, key: pid, value: "{{id}}", properties: { name: "{{name}}" } }
  city: { label: ${C}, key: name, value: "{{city}}" }
edges:
  - { label: livesIn, from: person, to: city }
`;

function flow(lineage: boolean) {
  return [
    gremlinServerNode(),
    { id: 'gm', type: 'ceh-graph-map', name: 'people map', spec, lineage, wires: [['up'], []] },
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
  ];
}

/** The next message the upsert sends on; fails with the reason when it reports an error or nothing comes. */
function written(): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nothing written within 15 s')), 15000);
    helper.getNode('ok').once('input', (m: any) => {
      clearTimeout(timer);
      resolve(m);
    });
    helper.getNode('bad').once('input', (m: any) => {
      clearTimeout(timer);
      reject(new Error(`upsert failed: ${m.error?.message}`));
    });
  });
}

async function props(query: string, bindings: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [m] = (await admin.submit(query, bindings)) as Array<Map<string, unknown>>;
  return Object.fromEntries([...m].map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
}

describe('graph map lineage', () => {
  before(() => new Promise<void>((r) => helper.startServer(r)));
  afterEach(() => helper.unload());
  after(async () => {
    await new Promise<void>((r) => helper.stopServer(r));
    await admin.submit('g.V().hasLabel(personL, cityL).drop()', { personL: P, cityL: C });
    await admin.close();
  });

  test('with lineage every written vertex and edge names its last event and the mapping node', async () => {
    await helper.load(NODES, flow(true));
    let ok = written();
    helper.getNode('gm').receive({
      payload: [
        { id: 'p1', name: 'Ada', city: 'Zurich' },
        { id: 'p2', name: 'Bob', city: 'Zurich' },
      ],
      kafka: {
        topic: 'people',
        partition: 2,
        batch: true,
        offsets: ['10', '11'],
        timestamps: ['1700000000000', '1700000001000'],
        keys: [null, null],
      },
    });
    await ok;
    const ada = await props("g.V().has(personL,'pid','p1').valueMap().by(unfold())", { personL: P });
    assert.equal(ada.name, 'Ada');
    assert.equal(ada._ceh_topic, 'people');
    assert.equal(ada._ceh_partition, 2);
    assert.equal(ada._ceh_offset, '10');
    assert.equal(ada._ceh_eventTime, '2023-11-14T22:13:20.000Z');
    assert.equal(ada._ceh_mapping, 'people map');
    const edge = await props("g.V().has(personL,'pid','p2').outE('livesIn').valueMap()", { personL: P });
    assert.equal(edge._ceh_offset, '11', 'the edge names its own event');
    assert.equal(edge._ceh_eventTime, '2023-11-14T22:13:21.000Z');
    // The city was written by both events: it names the last one.
    assert.equal(
      (await props("g.V().has(cityL,'name','Zurich').valueMap().by(unfold())", { cityL: C }))._ceh_offset,
      '11',
    );

    // A later event for the same person moves its lineage (last write wins), one record (not batch mode).
    ok = written();
    helper.getNode('gm').receive({
      payload: { id: 'p1', name: 'Ada L.', city: 'Basel' },
      kafka: { topic: 'people', partition: 0, offset: '42', timestamp: '1700000100000', key: 'p1' },
    });
    await ok;
    const again = await props("g.V().has(personL,'pid','p1').valueMap().by(unfold())", { personL: P });
    assert.equal(again.name, 'Ada L.');
    assert.equal(again._ceh_offset, '42');
    assert.equal(again._ceh_partition, 0);
    assert.equal(again._ceh_eventTime, '2023-11-14T22:15:00.000Z');
  });

  test('without lineage (the default) no _ceh_ property is written', async () => {
    await helper.load(NODES, flow(false));
    const ok = written();
    helper.getNode('gm').receive({
      payload: { id: 'p3', name: 'Cy', city: 'Bern' },
      kafka: { topic: 'people', partition: 1, offset: '7', timestamp: '1700000000000' },
    });
    await ok;
    const keys = await admin.submit(
      "g.V().has(personL,'pid','p3').union(properties(), outE().properties()).key().dedup()",
      { personL: P },
    );
    assert.deepEqual(keys.sort(), ['name', 'pid']);
  });
});
