/* Framework-free kafka logic: codec, offset tracker, completion tracker, client config (the runner: consumer-runner.test.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  decodeBytes,
  decodeRecord,
  encodeValue,
  encodeKey,
  encodeHeaders,
  headersToStrings,
  toBatch,
  DecodeError,
} from '../../lib/kafka/codec';
import { PartitionOffsets, OffsetTracker } from '../../lib/kafka/offset-tracker';
import { CompletionTracker } from '../../lib/kafka/completion-tracker';
import { DeadLetterNotWritten, holdsOffset } from '../../lib/kafka/dead-letter';
import { buildClientConfig, parseBrokers, parseTopics } from '../../lib/kafka/client-config';

test('decoding: auto gives JSON when it parses, else text; json throws DecodeError; buffer keeps bytes', () => {
  assert.deepEqual(decodeBytes(Buffer.from('{"a":1}'), 'auto'), { a: 1 });
  assert.equal(decodeBytes(Buffer.from('42'), 'auto'), 42);
  assert.equal(decodeBytes(Buffer.from('hello'), 'auto'), 'hello');
  assert.equal(decodeBytes(Buffer.from('{broken'), 'auto'), '{broken');
  assert.throws(
    () => decodeBytes(Buffer.from('hello'), 'json'),
    (e: unknown) => e instanceof DecodeError && /value is not valid JSON/.test(e.message),
  );
  assert.equal(decodeBytes(Buffer.from('{"a":1}'), 'string'), '{"a":1}');
  assert.deepEqual(decodeBytes(Buffer.from([1, 2]), 'buffer'), Buffer.from([1, 2]));
  assert.equal(decodeBytes(null, 'json'), null);
});

test('decodeRecord returns an undecodable record with its raw value and the failing field', () => {
  const rec = {
    key: Buffer.from('k'),
    value: Buffer.from('nope'),
    offset: '7',
    timestamp: '1',
    headers: { h: Buffer.from('v'), n: [Buffer.from('1'), Buffer.from('2')] },
  };
  const bad = decodeRecord('t', 2, rec, { value: 'json', key: 'string' });
  assert.equal(bad.ok, false);
  if (!bad.ok) {
    assert.equal(bad.raw!.toString(), 'nope');
    assert.equal(bad.error.field, 'value');
    assert.deepEqual(bad.meta, {
      topic: 't',
      partition: 2,
      offset: '7',
      timestamp: '1',
      key: 'k',
      headers: { h: 'v', n: '2' },
    });
  }
  const badKey = decodeRecord('t', 0, { ...rec, value: Buffer.from('{}') }, { value: 'json', key: 'json' });
  assert.equal(badKey.ok, false);
  if (!badKey.ok) assert.equal(badKey.error.field, 'key');
  const batch = toBatch('t', 0, [
    { payload: 1, meta: { topic: 't', partition: 0, offset: '1', timestamp: '5', key: null, headers: {} } },
  ]);
  assert.deepEqual(batch.meta, {
    topic: 't',
    partition: 0,
    batch: true,
    offsets: ['1'],
    timestamps: ['5'],
    keys: [null],
    headers: [{}],
  });
  assert.deepEqual(headersToStrings(undefined), {});
});

test('encoding keeps Buffers and strings, JSON-encodes objects, null is a tombstone', () => {
  assert.equal(encodeValue('x'), 'x');
  assert.deepEqual(encodeValue(Buffer.from([0])), Buffer.from([0]));
  assert.equal(encodeValue({ a: 1 }), '{"a":1}');
  assert.equal(encodeValue(5), '5');
  assert.equal(encodeValue(null), null);
  assert.equal(encodeKey(12), '12');
  assert.equal(encodeKey(''), null);
  assert.deepEqual(encodeHeaders({ a: 1, b: 'x', c: null, d: { e: 1 } }), { a: '1', b: 'x', d: '{"e":1}' });
  assert.throws(() => encodeHeaders('x'), /headers must be an object/);
});

test('offset tracker commits only below the first unfinished record', () => {
  const p = new PartitionOffsets('t', 0);
  const d = [0, 1, 2, 3].map((o) => p.begin(String(o)));
  assert.equal(p.pendingCommit(), null);
  p.finishPart(d[1]);
  p.finishPart(d[3]);
  assert.equal(p.pendingCommit(), null, 'record 0 unfinished: nothing to commit');
  p.finishPart(d[0]);
  assert.equal(p.pendingCommit(), '2');
  p.markCommitted('2');
  assert.equal(p.pendingCommit(), null);
  p.finishPart(d[2]);
  assert.equal(p.pendingCommit(), '4');
  assert.equal(p.inFlightRecords, 0);
  assert.ok(p.isDuplicate('3'));
  assert.ok(!p.isDuplicate('4'));
});

test('offset tracker: batch deliveries with several parts, stop on error, revoked partitions', () => {
  const p = new PartitionOffsets('t', 0);
  const batch = p.begin('10', '19', 10, 2);
  assert.equal(p.inFlightRecords, 10);
  p.finishPart(batch);
  assert.equal(p.pendingCommit(), null, 'one of two messages of the batch still unfinished');
  p.finishPart(batch);
  assert.equal(p.pendingCommit(), '20');
  const failed = p.begin('20');
  const later = p.begin('21');
  p.stop(failed);
  p.finishPart(failed);
  p.finishPart(later);
  assert.equal(p.pendingCommit(), '20', 'a stopped partition never commits past the failed record');

  const t = new OffsetTracker();
  const x = t.get('a', 0).begin('0');
  t.get('a', 1).begin('0');
  assert.equal(t.inFlightRecords, 2);
  t.retain({ a: [1] });
  assert.equal(t.inFlightRecords, 1);
  assert.equal(x.live, false);
  assert.equal(t.get('a', 0).finishPart(x), false, 'a late finish of a revoked partition changes nothing');
});

test('offset tracker: the finished prefix is dropped once over 1024 and over half the queue; commits stay right', () => {
  const p = new PartitionOffsets('t', 0);
  const queueLength = () => (p as unknown as { queue: unknown[] }).queue.length;
  const d = Array.from({ length: 2000 }, (_, o) => p.begin(String(o)));
  for (let o = 0; o < 1200; o++) p.finishPart(d[o]);
  assert.equal(p.pendingCommit(), '1200');
  assert.equal(queueLength(), 2000 - 1025, 'dropped as soon as 1025 of 2000 had finished');
  for (let o = 2000; o < 3000; o++) d.push(p.begin(String(o)));
  p.stop(d[2500]);
  // Out of order: everything after 1200 first, then 1200 releases the prefix up to the stopped record.
  for (let o = 1201; o < 3000; o++) p.finishPart(d[o]);
  assert.equal(p.pendingCommit(), '1200', 'record 1200 unfinished: nothing new');
  p.finishPart(d[1200]);
  assert.equal(p.pendingCommit(), '2500', 'up to the stopped record, across the compaction');
  assert.equal(queueLength(), 500, 'dropped again: 1300 of 1800 finished');
  assert.equal(p.inFlightRecords, 0);
  assert.ok(p.isDuplicate('2999') && !p.isDuplicate('3000'));
  p.release();
  assert.equal(d[2999].live, false, 'deliveries still queued after the compaction are released');
  assert.equal(p.pendingCommit(), '2500');
});

function harness() {
  const queue: Array<() => void> = [];
  const tracker = new CompletionTracker((fn) => queue.push(fn));
  const drain = () => {
    while (queue.length) queue.shift()!();
  };
  return { tracker, drain };
}

test('completion: a message is finished when every branch finished, fan-out and done-less nodes included', () => {
  const { tracker, drain } = harness();
  const finished: string[] = [];
  tracker.track('m', () => finished.push('m'));
  tracker.delivered('m', 'switch');
  tracker.sent('m');
  tracker.received('m', 'switch', false);
  tracker.delivered('m', 'a'); // the switch passed it on before the check ran
  tracker.delivered('m', 'b');
  drain();
  assert.deepEqual(finished, []);
  tracker.completed('m', 'a');
  drain();
  assert.deepEqual(finished, [], 'branch b still busy');
  tracker.completed('m', 'catch-node-never-delivered');
  tracker.completed('m', 'b');
  drain();
  assert.deepEqual(finished, ['m']);
  assert.equal(tracker.size, 0);
});

test('completion: a message sent nowhere finishes at once; errors are reported; forget drops it', () => {
  const { tracker, drain } = harness();
  const got: Array<[string, string | undefined]> = [];
  tracker.track('x', (e) => got.push(['x', e?.message]));
  tracker.sent('x');
  tracker.track('y', (e) => got.push(['y', e?.message]));
  tracker.delivered('y', 'n');
  tracker.completed('y', 'n', new Error('boom'));
  tracker.track('z', () => got.push(['z', undefined]));
  tracker.delivered('z', 'n');
  tracker.forget('z');
  tracker.completed('z', 'n');
  drain();
  assert.deepEqual(got, [
    ['x', undefined],
    ['y', 'boom'],
  ]);
});

test('completion: a dead letter that was not written beats the handled error that sent the event there', () => {
  const { tracker, drain } = harness();
  const got: Array<[string, string | undefined, boolean]> = [];
  const record = (id: string) => (e: Error | undefined) => got.push([id, e?.message, holdsOffset(e)]);
  // graph map fails the event (handled), its error output goes to kafka out in dead-letter mode, whose write fails.
  tracker.track('m', record('m'));
  tracker.delivered('m', 'map');
  tracker.completed('m', 'map', new Error('age: "x" is not an integer'));
  tracker.delivered('m', 'dlq');
  tracker.completed('m', 'dlq', new DeadLetterNotWritten('kafka out: send to dlt failed'));
  // The other order, and a later ordinary error after the holding one.
  tracker.track('n', record('n'));
  tracker.delivered('n', 'dlq');
  tracker.delivered('n', 'other');
  tracker.completed('n', 'dlq', new DeadLetterNotWritten('kafka out: queue full'));
  tracker.completed('n', 'other', new Error('later'));
  drain();
  assert.deepEqual(got, [
    ['m', 'kafka out: send to dlt failed', true],
    ['n', 'kafka out: queue full', true],
  ]);
  assert.equal(holdsOffset(new Error('plain')), false);
  assert.equal(holdsOffset(undefined), false);
  assert.equal(holdsOffset({ holdsOffset: true }), true, 'recognised by the mark, not the class (module copies)');
});

test('completion: a node that gets the message again after another node, or twice at once, is counted per node', () => {
  const { tracker, drain } = harness();
  const finished: string[] = [];
  tracker.track('m', () => finished.push('m'));
  tracker.delivered('m', 'a');
  tracker.delivered('m', 'b');
  tracker.completed('m', 'a');
  tracker.delivered('m', 'b'); // b gets a second copy while its first is still out
  tracker.delivered('m', 'c');
  tracker.completed('m', 'b');
  tracker.received('m', 'c', false); // c is done-less: its handler returned
  drain();
  assert.deepEqual(finished, [], 'b still holds one copy');
  tracker.completed('m', 'a'); // a has nothing outstanding: ignored
  tracker.completed('m', 'b');
  drain();
  assert.deepEqual(finished, ['m']);
});

test('completion: forgetOwner drops the messages of one owner only', () => {
  const { tracker, drain } = harness();
  const finished: string[] = [];
  for (const [id, owner] of [
    ['a1', 'A'],
    ['a2', 'A'],
    ['b1', 'B'],
  ])
    tracker.track(id, () => finished.push(id), owner);
  tracker.forgetOwner('A');
  assert.equal(tracker.size, 1);
  for (const id of ['a1', 'a2', 'b1']) tracker.sent(id);
  drain();
  assert.deepEqual(finished, ['b1']);
});

test('client config: brokers, TLS, SASL from credentials, clear errors', () => {
  assert.deepEqual(parseBrokers('a:1, b:2'), ['a:1', 'b:2']);
  assert.throws(() => parseBrokers('nohost'), /broker "nohost" is not host:port/);
  assert.throws(() => parseBrokers(''), /no brokers configured/);
  const c = buildClientConfig(
    { brokers: 'h:9094', tls: true, caFile: '/ca.pem', sasl: 'scram-sha-512', rejectUnauthorized: true },
    { username: 'u', password: 'p' },
    (p) => `PEM from ${p}`,
  );
  assert.deepEqual(c.ssl, { rejectUnauthorized: true, ca: ['PEM from /ca.pem'] });
  // A tls-config node's options replace the broker's own fields of before (which are not even read).
  const fromTlsConfig = buildClientConfig(
    { brokers: 'h:9094', tls: true, tlsOptions: { ca: 'CA', servername: 'kafka.local' }, caFile: '/old.pem' },
    { ca: 'old PEM', key: 'old key' },
    () => assert.fail('the old CA file is not read when a tls-config node is chosen'),
  );
  assert.deepEqual(fromTlsConfig.ssl, { ca: 'CA', servername: 'kafka.local', rejectUnauthorized: true });
  assert.throws(
    () => buildClientConfig({ brokers: 'h:1', error: 'TLS config x missing' }, {}, () => ''),
    /TLS config x missing/,
  );
  assert.deepEqual(c.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  assert.throws(() => buildClientConfig({ brokers: 'h:1', sasl: 'plain' }, {}, () => ''), /needs a username/);
  assert.throws(
    () => buildClientConfig({ brokers: 'h:1', requestTimeout: 'x' }, {}, () => ''),
    /request timeout must be a whole number/,
  );
  assert.equal(buildClientConfig({ brokers: 'h:1' }, {}, () => '').ssl, undefined);
  assert.deepEqual(parseTopics('a, b c', 'list'), ['a', 'b', 'c']);
  assert.ok((parseTopics('^x-.*', 'regex')[0] as RegExp).test('x-1'));
  assert.throws(() => parseTopics('(', 'regex'), /not a valid regular expression/);
});
