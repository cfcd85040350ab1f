/* The one config-coercion helper every node reads its saved settings with (nodes/shared/config.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { configFlag, configNumber, configText } from '../../nodes/shared/config';
import { tlsConfigId, tlsWanted } from '../../nodes/shared/tls';
import { translatorOf } from '../support/texts';

test('configFlag: booleans and "true"/"false" text the same way in every node; anything else is the default', () => {
  for (const [v, d, want] of [
    [true, false, true],
    [false, true, false],
    ['false', true, false],
    [' TRUE ', false, true],
    ['yes', true, true],
    [undefined, false, false],
    [0, true, true],
  ] as const) {
    assert.equal(configFlag(v, d), want, JSON.stringify(v));
  }
});

test('configNumber: numbers and numeric text; empty is the default; out of range or not a number names the field', () => {
  const t = translatorOf('nodes/shared', 'shared');
  assert.equal(configNumber(t, '250', 500, 'Batch size'), 250);
  assert.equal(configNumber(t, 7, 500, 'Batch size'), 7);
  assert.equal(configNumber(t, '', 500, 'Batch size'), 500);
  assert.equal(configNumber(t, undefined, 500, 'Batch size'), 500);
  assert.throws(() => configNumber(t, 'abc', 500, 'Batch size'), /^Error: Batch size must be a number, not "abc"$/);
  assert.throws(
    () => configNumber(t, '0', 500, 'Batch size', { min: 1 }),
    /^Error: Batch size must be at least 1, not 0$/,
  );
  assert.throws(() => configNumber(t, 20000, 500, 'Batch size', { max: 10000 }), /at most 10000, not 20000/);
  assert.throws(() => configNumber(t, 1.5, 2, 'Parallel batches', { integer: true }), /whole number, not 1.5/);
  // The same problem in German, from the de catalogue.
  const de = translatorOf('nodes/shared', 'shared', 'de');
  assert.throws(
    () => configNumber(de, 20000, 500, 'Batchgröße', { max: 10000 }),
    /^Error: Batchgröße darf höchstens 10000 sein, nicht 20000$/,
  );
});

test('configText: trimmed; empty is the default', () => {
  assert.equal(configText('  g  '), 'g');
  assert.equal(configText('', 'g'), 'g');
  assert.equal(configText(undefined, 'g'), 'g');
});

test('kafka broker TLS on/off: usetls, or the true/false flag flows from before tls-config kept in `tls`', () => {
  for (const [usetls, tls, want] of [
    [true, 'tls-node-id', true],
    [false, 'tls-node-id', false],
    [false, '', false],
    [undefined, true, true],
    [undefined, 'false', false],
    // An editor filled in usetls' default (false) on importing an old flow: its `tls: true` keeps TLS on.
    [false, true, true],
    ['true', '', true],
  ] as const) {
    assert.equal(tlsWanted(usetls, tls), want, JSON.stringify({ usetls, tls }));
  }
  assert.equal(tlsConfigId('abc123'), 'abc123');
  for (const v of [true, false, 'true', 'false', '', ' ', undefined])
    assert.equal(tlsConfigId(v), undefined, String(v));
});
