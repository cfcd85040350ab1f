/* The one config-coercion helper every node reads its saved settings with (nodes/shared/config.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { configFlag, configNumber, configText } from '../../nodes/shared/config';
import { tlsConfigId, tlsWanted } from '../../nodes/shared/tls';

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
  assert.equal(configNumber('250', 500, 'batchSize'), 250);
  assert.equal(configNumber(7, 500, 'batchSize'), 7);
  assert.equal(configNumber('', 500, 'batchSize'), 500);
  assert.equal(configNumber(undefined, 500, 'batchSize'), 500);
  assert.throws(() => configNumber('abc', 500, 'batchSize'), /batchSize must be a number, not "abc"/);
  assert.throws(() => configNumber('0', 500, 'batchSize', { min: 1 }), /batchSize must be at least 1, not 0/);
  assert.throws(() => configNumber(20000, 500, 'batchSize', { max: 10000 }), /at most 10000/);
  assert.throws(() => configNumber(1.5, 2, 'concurrency', { integer: true }), /whole number/);
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
