/*
 * Fencing of events whose Kafka partition moved to another consumer (lib/kafka/partition-leases): the offset tracker
 * grants and ends the leases, the batch writer leaves an event with an ended lease to its new owner, before the first
 * request and before every retry. The writer's submitter is a plain function here (no graph); what a lost connection
 * looks like is the driver's own error, as test/unit/gremlin-errors.test.ts checks against isConnectionLoss.
 * The runner's part (a lease per stretch of ownership, stamped on msg.kafka) is in consumer-runner.test.ts; the whole
 * of it against real brokers and JanusGraph Servers is the cluster suite's graph check (test/cluster).
 */
import { test } from 'node:test';
import { inspect } from 'util';
import * as assert from 'node:assert/strict';
import { PartitionLeases } from '../../lib/kafka/partition-leases';
import { OffsetTracker } from '../../lib/kafka/offset-tracker';
import { BatchWriter, Submitter, BatchReport } from '../../lib/gremlin/batch-writer';
import { TransientError, isConnectionLoss } from '../../lib/gremlin/connection';
import type { ChangeSet } from '../../lib/change-set';
import { eventually } from '../support/project';

test('leases: each grant is a new live number; an ended lease stays ended; events without one are always owned', () => {
  const leases = new PartitionLeases();
  const a = leases.grant();
  const b = leases.grant();
  assert.notEqual(a, b);
  assert.equal(leases.size, 2);
  leases.end(a);
  assert.equal(leases.isLive(a), false);
  assert.equal(leases.isLive(b), true);
  assert.equal(leases.owns({ topic: 't', partition: 0, lease: a }), false);
  assert.equal(leases.owns({ topic: 't', partition: 0, lease: b }), true);
  assert.equal(leases.owns({ topic: 't', partition: 0 }), true, 'no lease: not from a fenced kafka in');
  assert.equal(leases.owns(undefined), true);
  assert.notEqual(leases.grant(), a, 'a number is never granted twice');
});

test('offset tracker: a lease per partition from its first delivery, kept across a join that keeps it, ended when revoked or reset', () => {
  const leases = new PartitionLeases();
  const tracker = new OffsetTracker(leases);
  const p0 = tracker.get('t', 0);
  const p1 = tracker.get('t', 1);
  assert.equal(typeof p0.lease, 'number');
  assert.notEqual(p0.lease, p1.lease);
  assert.equal(tracker.get('t', 0).lease, p0.lease, 'the same stretch of ownership, the same lease');

  tracker.retain({ t: [1] });
  assert.equal(leases.isLive(p0.lease!), false, 'partition 0 was revoked');
  assert.equal(leases.isLive(p1.lease!), true, 'partition 1 stayed here');
  const again = tracker.get('t', 0);
  assert.notEqual(again.lease, p0.lease, 'assigned again: a new stretch, a new lease');

  tracker.reset();
  assert.equal(leases.size, 0, 'a rebuilt consumer owns nothing until it joins');
  assert.equal(new OffsetTracker().get('t', 0).lease, undefined, 'no registry, no lease');
});

const person = (id: string, lease?: number): ChangeSet => ({
  vertices: [{ label: 'person', key: 'personId', value: id, properties: { name: id } }],
  edges: [],
  deletes: [],
  source: { topic: 'people', partition: lease ?? 0, offset: '1', ...(lease !== undefined ? { lease } : {}) },
});

/** The driver's error for a socket that closed under a request: retried for as long as the outage lasts. */
const connectionClosed = () =>
  new TransientError('connection closed during the request', new Error('Connection has been closed.'));

/** A graph that is unreachable until `up` is set; records the ids of the person vertices in each request sent. */
function outage() {
  const state = { up: false, sent: [] as string[][] };
  const submitter: Submitter = {
    async submit(message, bindings) {
      // The request is bytecode (a driver object) or a script with bindings: the ids are in its printed form.
      const text = inspect(message, { depth: null }) + JSON.stringify(bindings ?? {});
      state.sent.push([...new Set(text.match(/P-\d+/g))]);
      if (!state.up) throw connectionClosed();
      return [];
    },
  };
  return { state, submitter };
}

test('batch writer: an event whose partition moved while its batch waited out an outage is not sent again; the rest is written', async (t) => {
  assert.equal(isConnectionLoss(connectionClosed()), true, 'the outage is one the writer waits out');
  const leases = new PartitionLeases();
  const moving = leases.grant();
  const staying = leases.grant();
  const { state, submitter } = outage();
  t.after(() => (state.up = true)); // a failed assertion must not leave the writer retrying forever
  const writer = new BatchWriter(submitter, {
    dialect: 'tinkerpop',
    lingerMs: 1,
    retryBaseMs: 2,
    retryMaxMs: 4,
    owns: (cs) => leases.owns(cs.source),
  });
  const reports: BatchReport[] = [];
  writer.on('batch', (r: BatchReport) => reports.push(r));

  const outcome = writer.writeAll([person('P-1', moving), person('P-2', staying), person('P-3')]);
  await eventually('a few retries during the outage', () => state.sent.length >= 3, 2000, 2);
  assert.deepEqual(state.sent[0].sort(), ['P-1', 'P-2', 'P-3'], 'one batch with all three');

  leases.end(moving);
  const sentWhenRevoked = state.sent.length;
  await eventually('a retry after the revocation', () => state.sent.length >= sentWhenRevoked + 2, 2000, 2);
  state.up = true;
  const { failures, abandoned } = await outcome;

  assert.deepEqual(abandoned, [0], 'P-1 left to its new owner');
  assert.deepEqual(failures, [], 'abandoned is not failed: it goes to no error output');
  // The request on the wire when the lease ended may carry P-1 still; none started after that one does.
  const after = state.sent.slice(sentWhenRevoked + 1);
  assert.ok(after.length >= 1);
  for (const ids of after) assert.deepEqual(ids.sort(), ['P-2', 'P-3'], 'later requests leave P-1 out');
  assert.equal(writer.stats.abandoned, 1);
  assert.equal(writer.stats.events, 2, 'written: P-2 and P-3');
  assert.deepEqual(
    reports.map((r) => [r.events, r.abandoned, r.failed]),
    [[2, 1, 0]],
  );
});

test('batch writer: an event already stale when its batch starts is never sent; a batch of only stale events sends nothing', async () => {
  const leases = new PartitionLeases();
  const old = leases.grant();
  leases.end(old);
  const { state, submitter } = outage();
  state.up = true;
  const writer = new BatchWriter(submitter, {
    dialect: 'tinkerpop',
    lingerMs: 1,
    owns: (cs) => leases.owns(cs.source),
  });

  assert.deepEqual(await writer.writeAll([person('P-1', old), person('P-2', old)]), {
    failures: [],
    abandoned: [0, 1],
  });
  assert.deepEqual(state.sent, [], 'no request at all');

  const live = leases.grant();
  assert.deepEqual(await writer.writeAll([person('P-3', old), person('P-4', live)]), { failures: [], abandoned: [0] });
  assert.deepEqual(state.sent, [['P-4']]);
  assert.deepEqual(await writer.write([person('P-5', old)]), [], 'write() reports failures only');
});

test('batch writer: without an owns check every event is written, whatever lease it names', async () => {
  const leases = new PartitionLeases();
  const old = leases.grant();
  leases.end(old);
  const { state, submitter } = outage();
  state.up = true;
  const writer = new BatchWriter(submitter, { dialect: 'tinkerpop', lingerMs: 1 });
  assert.deepEqual(await writer.writeAll([person('P-1', old)]), { failures: [], abandoned: [] });
  assert.deepEqual(state.sent, [['P-1']]);
});
