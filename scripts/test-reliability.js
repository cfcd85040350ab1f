#!/usr/bin/env node
'use strict';
/*
 * `npm run test:reliability`: the reliability and security suite (test/reliability/) against the real stack, with
 * Node-RED running the project's flows, then one summary table of every scenario (rows written by the tests through
 * test/support/reliability.ts).
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const DIR = path.join(ROOT, 'test', 'artifacts', 'reliability');

function table(rows) {
  const cols = [
    ['scenario', 'scenario'],
    ['events sent', 'eventsSent'],
    ['vertices exp/found', (r) => `${r.verticesExpected}/${r.verticesFound}`],
    ['edges exp/found', (r) => `${r.edgesExpected}/${r.edgesFound}`],
    ['error outputs', 'errorOutputs'],
    ['lost', 'lost'],
    ['duplicated', 'duplicated'],
    ['notes', (r) => r.notes || ''],
  ];
  const cells = rows.map((r) => cols.map(([, get]) => String(typeof get === 'function' ? get(r) : r[get])));
  const head = cols.map(([h]) => h);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

fs.rmSync(DIR, { recursive: true, force: true });
const r = spawnSync(process.execPath, [path.join(__dirname, 'test.js'), `${path.sep}reliability${path.sep}`], {
  stdio: 'inherit',
  cwd: ROOT,
});
const rows = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8')))
  : [];
console.log('\nReliability summary\n');
console.log(rows.length ? table(rows) : '(no scenario recorded a row)');
process.exit(r.status === null ? 1 : r.status);
