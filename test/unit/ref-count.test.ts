/* The one reference-counting helper behind the shared Kafka client, the Gremlin connection and the message hooks. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RefCounted } from '../../lib/ref-count';

test('ref count: opened by the first user, shared, closed by the last; close() ends it for everybody', async () => {
  const log: string[] = [];
  let n = 0;
  const shared = new RefCounted<string, string>(
    () => {
      n += 1;
      log.push(`open ${n}`);
      return `resource ${n}`;
    },
    async (v) => {
      log.push(`close ${v}`);
    },
  );
  assert.equal(shared.current, null);
  assert.equal(shared.acquire('a', 'status of a'), 'resource 1');
  assert.equal(shared.acquire('b', 'status of b'), 'resource 1');
  assert.equal(shared.acquire('a', 'status of a, again'), 'resource 1', 'acquiring twice is one reference');
  assert.deepEqual([...shared.userData()], ['status of a, again', 'status of b']);
  await shared.release('nobody');
  await shared.release('a');
  assert.deepEqual(log, ['open 1'], 'b still holds it');
  await shared.release('b');
  assert.deepEqual(log, ['open 1', 'close resource 1']);
  assert.equal(shared.current, null);
  await shared.release('b');
  assert.equal(shared.acquire('c'), 'resource 2', 'a new user opens it again');
  await shared.close();
  assert.deepEqual(log, ['open 1', 'close resource 1', 'open 2', 'close resource 2']);
  assert.deepEqual([...shared.userData()], []);
  await shared.release('c');
  assert.equal(log.length, 4, 'a user of a closed resource releases nothing');
});

test('ref count: a failing open registers nobody', () => {
  const shared = new RefCounted<string>(
    () => {
      throw new Error('bad configuration');
    },
    () => undefined,
  );
  assert.throws(() => shared.acquire('a'), /bad configuration/);
  assert.deepEqual([...shared.userData()], []);
});
