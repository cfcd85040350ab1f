'use strict';
/*
 * The schema and indexes the shipped mappings (mappings/*.yaml) need, applied to a stack server through
 * lib/graph-schema — the same code as `npm run graph:schema -- --apply` and gremlin upsert's "ensure schema" option,
 * so there is no second, hand-written index list here. lib/ is TypeScript: it is built into dist/ when missing.
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { log } = require('./process');

const ROOT = path.join(__dirname, '..', '..');

async function applyMappingSchema(name, { graph, url, sources }) {
  const modFile = path.join(ROOT, 'dist', 'lib', 'graph-schema', 'index.js');
  if (!fs.existsSync(modFile))
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js')], { stdio: 'inherit' });
  const { applySchemaForMappingDir } = require(modFile);
  const report = await applySchemaForMappingDir(path.join(ROOT, 'mappings'), { graph, url, sources });
  log(`${name}: schema from mappings/ — ${report.summary}`);
  if (report.conflicts.length) log(`${name}: schema conflicts (left as they are):\n  ${report.conflicts.join('\n  ')}`);
  if (report.warnings.length) log(`${name}: schema warnings:\n  ${report.warnings.join('\n  ')}`);
  return report;
}

module.exports = { applyMappingSchema };
