import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, unique, eventually } from '../support/project';

test('project root is found from the compiled test folder', () => {
  assert.ok(fs.existsSync(path.join(ROOT, 'package.json')));
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name,
    'node-red-contrib-customer-event-hub',
  );
});

test('unique names differ', () => {
  assert.notEqual(unique('t'), unique('t'));
});

test('eventually rejects with the last value after the deadline', async () => {
  await assert.rejects(
    eventually('never', () => false, 50, 10),
    /timed out waiting for never/,
  );
});
