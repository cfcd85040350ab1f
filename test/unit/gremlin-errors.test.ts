/* Which Gremlin errors are retried, and which are waited out as an outage (pure classification, plain values). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TransientError, isTransient, isConnectionLoss } from '../../lib/gremlin/connection';
import { BatchWriter, Submitter } from '../../lib/gremlin/batch-writer';
import { ChangeSet } from '../../lib/change-set';

test('no server answer is an outage: retried and waited out', () => {
  const refused = new TransientError(
    'cannot connect to ws://127.0.0.1:1/gremlin: connect ECONNREFUSED',
    Object.assign(new Error('ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  );
  const silent = new TransientError('request timed out after 30000 ms');
  for (const e of [refused, silent]) {
    assert.equal(isTransient(e), true);
    assert.equal(isConnectionLoss(e), true);
  }
});

test('server conflicts and throttling are retried a bounded number of times, not waited out', () => {
  const conflict = new TransientError('ConcurrentModificationException', {
    statusCode: 500,
    message: 'ConcurrentModificationException',
  });
  assert.equal(isTransient(conflict), true);
  assert.equal(isConnectionLoss(conflict), false);
  const throttled = { statusCode: 429, message: 'RequestRateTooLarge' };
  assert.equal(isTransient(throttled), true);
  assert.equal(isConnectionLoss(throttled), false);
});

test('a request the server rejects is neither retried nor waited out', () => {
  const bad = { statusCode: 597, message: 'No such property: x for class: Script1' };
  assert.equal(isTransient(bad), false);
  assert.equal(isConnectionLoss(bad), false);
  assert.equal(isConnectionLoss(new Error('the Gremlin connection is closed')), false);
});

test('JanusGraph lock contention is a conflict to retry; a schema violation is an error of the event', () => {
  for (const message of [
    'Server error: org.janusgraph.diskstorage.locking.PermanentLockingException: Local lock contention (500)',
    'Server error: org.janusgraph.diskstorage.locking.TemporaryLockingException: Temporary locking failure (500)',
    'Server error: Could not commit transaction due to exception during persistence: com.sleepycat.je.LockConflictException (500)',
  ]) {
    assert.equal(isTransient({ statusCode: 500, message }), true, message);
    assert.equal(isConnectionLoss(new TransientError(message, { statusCode: 500, message })), false);
  }
  const violation = {
    statusCode: 597,
    message:
      'Server error: Value [12.5] is not an instance of the expected data type for property key [total] and cannot be converted. Expected: class java.lang.Long, found: class java.lang.Double (597)',
  };
  assert.equal(isTransient(violation), false);
});

test('a BerkeleyJE deadlock at commit is a conflict to retry: it is named only among the causes the server lists', () => {
  // As JanusGraph Server 1.1 answered the e2e writer when a full scan and the writer's commit deadlocked (the
  // message is JanusGraph's generic one; Gremlin Server lists the cause chain in the status attribute `exceptions`).
  const message = 'Could not commit transaction due to exception during persistence';
  const causes = [
    'org.janusgraph.core.JanusGraphException',
    'org.janusgraph.core.JanusGraphException',
    'org.janusgraph.diskstorage.PermanentBackendException',
    'com.sleepycat.je.DeadlockException',
  ];
  assert.equal(isTransient({ statusCode: 500, message, statusAttributes: new Map([['exceptions', causes]]) }), true);
  assert.equal(isTransient({ statusCode: 500, message, statusAttributes: { exceptions: causes } }), true);
  // The same message with no conflict among its causes stays an error of the request.
  const other = ['org.janusgraph.core.JanusGraphException', 'org.janusgraph.core.SchemaViolationException'];
  assert.equal(isTransient({ statusCode: 500, message, statusAttributes: new Map([['exceptions', other]]) }), false);
  assert.equal(isTransient({ statusCode: 500, message }), false);
});

test("JanusGraph's commit failure is retried by the cause in the status attribute `exceptions`", () => {
  // As JanusGraph 1.1 on Cassandra answers when a SIMPLE LOCK edge or a unique LOCK index loses its lock.
  const lost = (cause: string) => ({
    statusCode: 500,
    message: 'Server error: Could not commit transaction due to exception during persistence (500)',
    statusAttributes: new Map<string, unknown>([
      ['exceptions', ['org.janusgraph.core.JanusGraphException', 'org.janusgraph.core.JanusGraphException', cause]],
    ]),
  });
  assert.equal(isTransient(lost('org.janusgraph.diskstorage.locking.PermanentLockingException')), true);
  assert.equal(isTransient(lost('org.janusgraph.diskstorage.locking.consistentkey.ExpiredLockException')), true);
  assert.equal(isTransient(lost('java.lang.IllegalArgumentException')), false);
  const simple = {
    statusCode: 500,
    message:
      'Server error: An edge with the given label already exists between the pair of vertices and the label [placed] is simple (500)',
  };
  assert.equal(isTransient(simple), true);
});

test('an error without a server status is retried only when the socket failed or closed', () => {
  // What Node's sockets, ws and the driver reject a request with when the connection goes away.
  const socket = [
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8182'), { code: 'ECONNREFUSED' }),
    new Error('Connection has been closed.'),
    new Error('WebSocket was closed before the connection was established'),
  ];
  for (const e of socket) assert.equal(isTransient(e), true, e.message);
  // A fault on the client side fails the same way on every attempt: a TypeError inside the writer, or the driver's
  // serializer refusing a value (its message as the npm driver 3.8 throws it).
  const client = [
    new TypeError("Cannot read properties of undefined (reading 'label')"),
    new RangeError('Maximum call stack size exceeded'),
    new Error("No serializer found to support item where typeof(item)='symbol' and String(item)='Symbol(x)'."),
  ];
  for (const e of client) assert.equal(isTransient(e), false, e.message);
});

const person = (id: string, offset: number): ChangeSet => ({
  vertices: [{ label: 'person', key: 'personId', value: id, properties: { name: id } }],
  edges: [],
  deletes: [],
  source: { topic: 'people', partition: 0, offset: String(offset) },
});

test('a batch whose requests fail without a server status sends its events to the error output, not into endless retries', async () => {
  let calls = 0;
  const failing: Submitter = {
    async submit() {
      calls++;
      throw new TypeError("Cannot read properties of undefined (reading 'label')");
    },
  };
  const writer = new BatchWriter(failing, { dialect: 'tinkerpop', lingerMs: 1, retryBaseMs: 1, retryMaxMs: 1 });
  const events = [person('P-1', 10), person('P-2', 11), person('P-3', 12)];
  const failures = await writer.write(events);
  assert.deepEqual(
    failures.map((f) => f.position),
    [0, 1, 2],
    'every event of the batch is reported',
  );
  for (const f of failures) {
    assert.match(f.message, /^people\[0\]@1[0-2]: TypeError: Cannot read properties of undefined/);
  }
  assert.equal(writer.stats.retries, 0, 'nothing was retried');
  // The batch, then its halves down to single events (bisection looks for the events a server refuses): 1 + 2 + 2.
  assert.equal(calls, 5);
});

test('a request that failed because the socket closed is retried and then written', async () => {
  let calls = 0;
  const flaky: Submitter = {
    async submit() {
      calls++;
      if (calls === 1)
        throw new TransientError('connection closed during the request', new Error('Connection has been closed.'));
      return [];
    },
  };
  const writer = new BatchWriter(flaky, { dialect: 'tinkerpop', lingerMs: 1, retryBaseMs: 1, retryMaxMs: 1 });
  assert.deepEqual(await writer.write([person('P-1', 10)]), []);
  assert.equal(writer.stats.retries, 1);
});
