/* Lineage properties of a change set (pure logic; the graph side is in test/nodes/graph-map-lineage.test.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';
import { loadSpec, mapEvents, eventRefs } from '../../lib/mapping';
import { addLineage, lineageProperties, eventTimeOf, isLineageKey, LINEAGE_KEYS } from '../../lib/lineage';

test('lineage properties name the Kafka position, the event time (ISO) and the mapping', () => {
  assert.deepEqual(
    lineageProperties({ topic: 't', partition: 3, offset: '9007199254740993' }, '1700000000000', 'orders'),
    {
      _ceh_topic: 't',
      _ceh_partition: 3,
      _ceh_offset: '9007199254740993',
      _ceh_eventTime: '2023-11-14T22:13:20.000Z',
      _ceh_mapping: 'orders',
    },
  );
  assert.deepEqual(
    lineageProperties(undefined, 'not a time', 'm'),
    { _ceh_mapping: 'm' },
    'unknown parts are left out',
  );
  assert.equal(eventTimeOf({ timestamps: ['1', '2'] }, 1), '2');
  assert.equal(eventTimeOf({ timestamp: '5' }, 0), '5');
  assert.equal(eventTimeOf(undefined, 0), undefined);
  assert.ok(isLineageKey(LINEAGE_KEYS.offset));
  assert.ok(!isLineageKey('offset'));
});

test('each event of a batch gets its own lineage on every vertex and edge (no shared property objects)', () => {
  const mapping = loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', 'order.yaml'), 'utf8'));
  const sample = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8')).order;
  const events = [sample, { ...sample, orderId: `${sample.orderId}-2` }];
  const kafka = { topic: 'orders', partition: 1, offsets: ['5', '6'], timestamps: ['1700000000000', '1700000001000'] };
  const refs = eventRefs(kafka, 2, true);
  const r = mapEvents(mapping, events, refs);
  assert.equal(r.mapped.length, 2);
  for (const x of r.mapped)
    addLineage(x.changeSet, lineageProperties(refs[x.index], eventTimeOf(kafka, x.index), 'map orders'));
  r.mapped.forEach((x, i) => {
    const elements = [...x.changeSet.vertices, ...x.changeSet.edges];
    assert.ok(elements.length >= 3);
    for (const el of elements) {
      assert.equal(el.properties._ceh_offset, kafka.offsets[i]);
      assert.equal(el.properties._ceh_mapping, 'map orders');
    }
  });
});
