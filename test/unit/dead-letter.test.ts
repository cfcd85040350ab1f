/* The dead letter built from a failed message: the original event as value, reason and origin as headers. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { deadLetterRecord } from '../../lib/kafka/dead-letter';

const at = new Date('2026-12-01T10:00:00.000Z');

test('dead letter: a batch item from gremlin upsert publishes msg.event (not the change set) with its own record origin', () => {
  const r = deadLetterRecord(
    {
      payload: { vertices: [], edges: [], deletes: [] },
      event: { transfer: 'T-1', amount: '12,50' },
      kafka: {
        topic: 'bank.transfers',
        partition: 2,
        batch: true,
        offsets: ['178', '179'],
        keys: ['a', 'b'],
        headers: [{}, {}],
      },
      error: {
        message: 'boom',
        event: { topic: 'bank.transfers', partition: 2, offset: '179', key: 'b', index: 1 },
        field: 'edges[0].to',
        source: { id: 'n1', type: 'ceh-gremlin-upsert' },
      },
    },
    at,
  );
  assert.equal(r.value, '{"transfer":"T-1","amount":"12,50"}');
  assert.equal(r.key, 'b');
  assert.deepEqual(r.headers, {
    'ceh-error': 'boom',
    'ceh-error-field': 'edges[0].to',
    'ceh-source-topic': 'bank.transfers',
    'ceh-source-partition': '2',
    'ceh-source-offset': '179',
    'ceh-source-index': '1',
    'ceh-failed-node-id': 'n1',
    'ceh-failed-node-type': 'ceh-gremlin-upsert',
    'ceh-failed-at': '2026-12-01T10:00:00.000Z',
  });
});

test('dead letter: a Catch node message falls back to msg.kafka, keeps the record headers and Buffer bytes', () => {
  const bytes = Buffer.from([0xff, 0x00, 0x7b]);
  const r = deadLetterRecord(
    {
      payload: bytes,
      kafka: {
        topic: 'crm',
        partition: 0,
        offset: '5',
        key: 'C-1',
        headers: { origin: 'crm', 'ceh-error': 'older reason' },
      },
      error: { message: 'x'.repeat(5000), source: { id: 'f1', type: 'function', name: 'enrich', count: 1 } },
    },
    at,
  );
  assert.equal(r.value, bytes);
  assert.equal(r.key, 'C-1');
  assert.equal(r.headers.origin, 'crm');
  assert.equal(
    r.headers['ceh-error'].length,
    4000,
    'an over-long reason is cut, and the older dead letter reason replaced',
  );
  assert.equal(r.headers['ceh-source-offset'], '5');
  assert.equal(r.headers['ceh-failed-node-name'], 'enrich');
});

test('dead letter: a message without msg.error still says so', () => {
  const r = deadLetterRecord({ payload: 'text' }, at);
  assert.equal(r.value, 'text');
  assert.equal(r.key, null);
  assert.match(r.headers['ceh-error'], /no msg.error/);
  assert.equal(r.headers['ceh-source-topic'], undefined);
});
