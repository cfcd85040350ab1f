/* Which Gremlin errors are retried, and which are waited out as an outage (pure classification, plain values). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { TransientError, isTransient, isConnectionLoss } from '../../lib/gremlin/connection';

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
