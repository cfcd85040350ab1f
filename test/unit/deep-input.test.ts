/*
 * Deeply nested input (found by the bad-input corpus): kafka in refuses JSON nested deeper than MAX_JSON_DEPTH, and the
 * mapping engine turns a stack overflow caused by one event into that event's error instead of throwing.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';
import { decodeBytes, jsonTooDeep, DecodeError, MAX_JSON_DEPTH } from '../../lib/kafka/codec';
import { checkSpec, mapEvents } from '../../lib/mapping';

const nested = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

test('JSON nested deeper than MAX_JSON_DEPTH is a decode error naming the field; up to the limit it decodes', () => {
  assert.deepEqual(decodeBytes(Buffer.from(nested(MAX_JSON_DEPTH)), 'json'), JSON.parse(nested(MAX_JSON_DEPTH)));
  for (const mode of ['json', 'auto'] as const) {
    assert.throws(
      () => decodeBytes(Buffer.from(nested(MAX_JSON_DEPTH + 1)), mode, 'value'),
      (e: unknown) =>
        e instanceof DecodeError && e.field === 'value' && /nested deeper than 512 levels/.test(e.message),
    );
  }
  // Brackets inside strings are data, not nesting.
  assert.equal(jsonTooDeep(JSON.stringify({ s: '['.repeat(5000) })), false);
  assert.equal(jsonTooDeep(JSON.stringify({ s: '\\"['.repeat(2000) })), false);
  assert.equal(jsonTooDeep(`[${'['.repeat(1100)}`), true);
});

test('an event too deep to print or copy fails alone with a MappingError; the events around it still map', () => {
  const m = checkSpec(fs.readFileSync(path.join(ROOT, 'mappings', 'order.yaml'), 'utf8')).mapping!;
  const deep = JSON.parse(nested(20000));
  const good = { customerId: 'C-1', orderId: 'O-1', total: 1, items: [] };
  const r = mapEvents(
    m,
    [good, { ...good, orderId: 'O-2', total: deep }, { ...good, customerId: deep }, good],
    [undefined, undefined, undefined, undefined],
  );
  assert.deepEqual(
    r.mapped.map((x) => x.index),
    [0, 3],
  );
  assert.deepEqual(
    r.failed.map((f) => f.index),
    [1, 2],
  );
  assert.equal(r.failed[0].error.field, 'properties.total');
  assert.match(r.failed[0].error.message, /\{nested object\} is an object|not a number/);
  assert.equal(r.failed[1].error.field, 'value');
});
