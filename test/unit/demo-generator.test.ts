import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { generate, rng, TOPICS } from '../../lib/demo/generator';
import { parseArgs, toMessage } from '../../lib/demo/produce';

test('the same seed gives the same events; another seed other events', () => {
  const a = generate(2000, 7);
  const b = generate(2000, 7);
  const c = generate(2000, 8);
  assert.deepEqual(a.records, b.records);
  assert.notDeepEqual(a.records, c.records);
  assert.equal(a.records.length, 2000);
});

test('rng is uniform enough and in [0, 1)', () => {
  const r = rng(1);
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
    sum += x;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});

test('every topic gets events, keys are customer ids, bad events are marked with a reason', () => {
  const { records, summary } = generate(5000, 3);
  for (const t of [TOPICS.customers, TOPICS.orders, TOPICS.clicks, TOPICS.tweets])
    assert.ok(summary.perTopic[t] > 0, t);
  assert.ok(records.every((r) => r.key === null || /^C-\d{5}$/.test(r.key)));
  const bad = records.filter((r) => r.bad);
  assert.equal(bad.length, summary.bad);
  assert.ok(bad.length > 0 && bad.every((r) => typeof r.bad === 'string' && r.bad.length > 0));
  assert.equal(records.filter((r) => r.value === null).length, summary.tombstones);
});

test('the expected graph follows from the good events: one order vertex and one placed edge per good order', () => {
  const { records, summary } = generate(3000, 11);
  const goodOrders = records.filter((r) => r.topic === TOPICS.orders && !r.bad);
  assert.equal(summary.expected.vertices.order, goodOrders.length);
  assert.equal(summary.expected.edges.placed, goodOrders.length);
  const lines = goodOrders.reduce((n, r) => n + (r.value as { items: unknown[] }).items.length, 0);
  assert.equal(summary.expected.edges.contains, lines);
  const deleted = records.filter(
    (r) => r.topic === TOPICS.customers && r.value && ((r.value as any).payload ?? r.value).op === 'd',
  ).length;
  const created = new Set(records.filter((r) => r.topic === TOPICS.customers).map((r) => r.key)).size;
  assert.equal(summary.expected.vertices.customer, created - deleted);
});

test('demo:produce arguments are checked', () => {
  assert.deepEqual(parseArgs(['--events', '10', '--rate', '5', '--seed', '3']), {
    events: 10,
    rate: 5,
    seed: 3,
    json: false,
  });
  assert.throws(() => parseArgs(['--events']), /--events needs a value/);
  assert.throws(() => parseArgs(['--events', 'x']), /non-negative number/);
  assert.throws(() => parseArgs(['--nope']), /unknown option --nope/);
  assert.equal(parseArgs(['--topic-prefix', 'run7.']).topicPrefix, 'run7.');
  assert.throws(() => parseArgs(['--topic-prefix']), /--topic-prefix needs a value/);
});

test('records become Kafka messages: JSON values, raw strings as they are, tombstones as null', () => {
  assert.equal(toMessage({ topic: 't', key: 'C-1', value: { a: 1 } }).value, '{"a":1}');
  assert.equal(toMessage({ topic: 't', key: 'C-1', value: '{"broken' }).value, '{"broken');
  assert.equal(toMessage({ topic: 't', key: 'C-1', value: null }).value, null);
});
