'use strict';
/*
 * A project-local Node-RED home: a user directory that loads this pack (linked, not copied, so a rebuild is picked up)
 * and a settings file. Shared by `npm start`, the tests and the benchmarks that run Node-RED as a child process.
 */
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.join(__dirname, '..');
const PACKAGE = require(path.join(ROOT, 'package.json'));

/**
 * The Node-RED package the project runs and tests with: the devDependency (Node-RED 4.1) unless CEH_NODE_RED_DIR names
 * another node-red package folder (scripts/test-node-red-5.js sets it to .node-red-5/node_modules/node-red).
 */
function nodeRedDir() {
  if (process.env.CEH_NODE_RED_DIR) return path.resolve(process.env.CEH_NODE_RED_DIR);
  return path.dirname(require.resolve('node-red/package.json', { paths: [ROOT] }));
}

/**
 * Installs this pack in userDir the way `npm install <folder>` would, but linked, so a rebuild is picked up:
 * package.json naming the pack, node_modules/<pack> → the repository.
 */
function installPack(userDir) {
  fs.mkdirSync(path.join(userDir, 'node_modules'), { recursive: true });
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify(
      {
        name: 'customer-event-hub-node-red-home',
        private: true,
        dependencies: { [PACKAGE.name]: `file:${path.relative(userDir, ROOT) || '.'}` },
      },
      null,
      2,
    ),
  );
  const link = path.join(userDir, 'node_modules', PACKAGE.name);
  try {
    if (fs.readlinkSync(link) !== ROOT) {
      fs.unlinkSync(link);
      fs.symlinkSync(ROOT, link, 'dir');
    }
  } catch {
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(ROOT, link, 'dir');
  }
  return userDir;
}

/**
 * Lays out userDir: the pack installed (installPack), settings.js, and a flow:
 *   flowFile      copied over flows.json (tests: a throw-away user dir whose flow is the test's input)
 *   seedFlowFile  copied to flows.json only when userDir has no flows.json yet (`npm start`: a user's work is kept)
 * flows_cred.json is replaced by `credentials`, removed when flowFile replaces the flow, and otherwise left alone.
 */
function prepareUserDir(
  userDir,
  { flowFile, seedFlowFile, credentials, port = 1880, host = '127.0.0.1', settings = {} } = {},
) {
  installPack(userDir);
  const settingsObj = {
    uiHost: host,
    uiPort: port,
    flowFile: 'flows.json',
    flowFilePretty: true,
    // Local development home only: credentials are encrypted with this key in flows_cred.json.
    credentialSecret: 'customer-event-hub-local',
    httpNodeCors: { origin: '*' },
    logging: { console: { level: process.env.CEH_LOG_LEVEL || 'info', metrics: false, audit: false } },
    editorTheme: { projects: { enabled: false }, tours: false, palette: { catalogues: [] } },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    ...settings,
  };
  fs.writeFileSync(
    path.join(userDir, 'settings.js'),
    `// Written by scripts/node-red-home.js on every start; edit that file instead.\nmodule.exports = ${JSON.stringify(settingsObj, null, 2)};\n`,
  );
  const flows = path.join(userDir, 'flows.json');
  const seeded = !flowFile && !!seedFlowFile && !fs.existsSync(flows);
  if (flowFile || seeded) fs.copyFileSync(flowFile || seedFlowFile, flows);
  if (credentials) fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
  else if (flowFile || seeded) fs.rmSync(path.join(userDir, 'flows_cred.json'), { force: true });
  return userDir;
}

/**
 * Starts Node-RED (nodeRedDir()) on userDir as a child process: on `node` (default this Node.js; Node-RED 5 needs
 * Node >= 22.9), with execArgv (e.g. --cpu-prof) and the settings.js prepareUserDir wrote — or, with
 * `ownSettings: false`, Node-RED's own defaults (a user dir as `npm install` left it) and `port` on the command line.
 */
function startNodeRed(
  userDir,
  { stdio = 'inherit', env = {}, execArgv = [], node = process.execPath, ownSettings = true, port } = {},
) {
  const args = [...execArgv, path.join(nodeRedDir(), 'red.js'), '--userDir', userDir];
  if (ownSettings) args.push('--settings', path.join(userDir, 'settings.js'));
  if (port) args.push('--port', String(port));
  return spawn(node, args, {
    cwd: ROOT,
    stdio,
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1', ...env },
  });
}

/** Resolves once the editor answers on host:port (Node-RED has finished starting its flows). */
async function waitForEditor(port, { host = '127.0.0.1', timeoutMs = 60000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`Node-RED exited with code ${child.exitCode} during start-up`);
    try {
      const res = await fetch(`http://${host}:${port}/settings`, { headers: { Accept: 'application/json' } });
      // 401: adminAuth is on and the admin API answered all the same.
      if (res.ok || res.status === 401) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Node-RED did not answer on ${host}:${port} within ${timeoutMs / 1000} s`);
}

module.exports = { ROOT, nodeRedDir, installPack, prepareUserDir, startNodeRed, waitForEditor };
