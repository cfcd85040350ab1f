#!/usr/bin/env node
'use strict';
/*
 * `npm run bench [-- --quick] [-- --only 1,3] [-- --profile]`: build, bring the local stack up when it is not
 * running, then run the benchmark suite (bench/run.ts) which prints one table and writes bench/results/<time>.json.
 */
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
// --help needs neither the build nor the stack.
if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
  process.stdout.write(`${require(path.join(ROOT, 'bench', 'usage.js')).HELP}\n`);
  process.exit(0);
}
const buildStart = Date.now();
const build = spawnSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status || 1);
const up = spawnSync(process.execPath, [path.join(ROOT, 'stack', 'stack.js'), 'up'], { stdio: 'inherit' });
if (up.status !== 0) {
  console.error('the local stack did not come up; see the message above');
  process.exit(1);
}
const buildMs = Date.now() - buildStart; // build and stack check: part of the quick run's two minutes (issue 17)
const r = spawnSync(
  process.execPath,
  ['--max-old-space-size=4096', path.join(ROOT, 'dist', 'bench', 'run.js'), ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: ROOT,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', CEH_BENCH_BUILD_MS: String(buildMs) },
  },
);
process.exit(r.status === null ? 1 : r.status);
