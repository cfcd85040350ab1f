#!/usr/bin/env node
'use strict';
/*
 * `npm start`, the main job: build the pack, bring the local stack up (reused when running), and run Node-RED 4 with a
 * project-local user directory (.node-red/, git-ignored), this pack loaded and flows/customer-360.json deployed.
 * Editor and HTTP endpoints: http://127.0.0.1:1880. Ctrl-C stops Node-RED; the stack stays up (`npm run stack:down`).
 */
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, prepareUserDir, startNodeRed, waitForEditor } = require('./node-red-home');

const PORT = Number(process.env.PORT || 1880);

async function main() {
  const t0 = Date.now();
  const step = (what, args) => {
    const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) { console.error(`[start] ${what} failed`); process.exit(r.status || 1); }
  };
  step('build', [path.join(ROOT, 'scripts', 'build.js')]);
  step('stack:up', [path.join(ROOT, 'stack', 'stack.js'), 'up']);
  const userDir = prepareUserDir(path.join(ROOT, '.node-red'), {
    flowFile: path.join(ROOT, 'flows', 'customer-360.json'), port: PORT,
  });
  const child = startNodeRed(userDir);
  const stopChild = () => { if (child.exitCode === null) child.kill('SIGINT'); };
  process.on('SIGINT', stopChild);
  process.on('SIGTERM', stopChild);
  child.on('exit', (code) => process.exit(code === null ? 0 : code));
  await waitForEditor(PORT, { child });
  console.log(`[start] editor ready at http://127.0.0.1:${PORT}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
    '(Ctrl-C stops Node-RED; the stack stays up: `npm run stack:down` stops it)');
}

main().catch((e) => { console.error(`[start] ${e.message}`); process.exit(1); });
