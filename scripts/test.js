#!/usr/bin/env node
'use strict';
/*
 * `npm test`: build, bring the real local stack up when it is not running (Kafka + Gremlin Server), then run every
 * compiled test file with Node's built-in test runner. Test files run one at a time: they share one broker and one
 * graph, and the machine has two cores.
 *   npm test                       all tests
 *   npm test -- unit               only files whose path contains "unit" (any substring filter works)
 * Without a filter the reliability suite (test/reliability/) is left to `npm run test:reliability` and the scale-out
 * scenarios (test/cluster/) to `npm run test:cluster`.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');

function listTests(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'fixtures' ? [] : listTests(p);
      return e.name.endsWith('.test.js') ? [p] : [];
    })
    .sort();
}

async function main() {
  const filters = process.argv.slice(2);
  const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status || 1);
  // The reliability suite (minutes of crash and outage scenarios) runs on its own: `npm run test:reliability`; the
  // scale-out scenarios need the cluster profile of the stack: `npm run test:cluster`.
  const runsOnItsOwn = (f) =>
    [`${path.sep}reliability${path.sep}`, `${path.sep}cluster${path.sep}`].some((d) => f.includes(d));
  const files = listTests(path.join(ROOT, 'dist', 'test')).filter((f) =>
    filters.length === 0 ? !runsOnItsOwn(f) : filters.some((s) => f.includes(s)),
  );
  if (files.length === 0) {
    console.error('no test files matched');
    process.exit(1);
  }
  const needsStack = files.some((f) => !f.includes(`${path.sep}unit${path.sep}`));
  if (needsStack) {
    const up = spawnSync(process.execPath, [path.join(ROOT, 'stack', 'stack.js'), 'up'], { stdio: 'inherit' });
    if (up.status !== 0) {
      console.error('the local stack did not come up; see the message above');
      process.exit(1);
    }
  }
  const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
  const r = spawnSync(process.execPath, args, {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  process.exit(r.status === null ? 1 : r.status);
}

main();
