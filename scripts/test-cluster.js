#!/usr/bin/env node
'use strict';
/*
 * `npm run test:cluster`: the scale-out scenarios (test/cluster/) on the stack's cluster profile. Builds, brings
 * `stack:up --profile cluster` up (reused when running), then runs the compiled test files one at a time.
 * CEH_CLUSTER_EVENTS sets the stream size (default the 50,000), CEH_CLUSTER_RATE its events per second
 * (default 70); CEH_CLUSTER_EVENTS=4500 CEH_CLUSTER_RATE=30 is the quick form. CI runs the default after the reliability
 * suite (.ci/run); `stack:down` stops the profile.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const run = (args) =>
  spawnSync(process.execPath, args, {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });

if (run([path.join(__dirname, 'build.js')]).status !== 0) process.exit(1);
if (run([path.join(ROOT, 'stack', 'stack.js'), 'up', '--profile', 'cluster']).status !== 0) {
  console.error('the cluster profile did not come up; see the message above');
  process.exit(1);
}
const dir = path.join(ROOT, 'dist', 'test', 'cluster');
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => path.join(dir, f))
  .sort();
const r = run(['--test', '--test-concurrency=1', '--test-reporter=spec', ...files]);
process.exit(r.status === null ? 1 : r.status);
