#!/usr/bin/env node
'use strict';
/*
 * `npm start`, the main job: build the pack, bring the local stack up (reused when running), and run Node-RED with a
 * project-local user directory (.node-red/, git-ignored) that loads this pack. Editor: http://127.0.0.1:1880.
 * Ctrl-C stops Node-RED; the stack stays up (`npm run stack:down`).
 *
 * A user's work is never overwritten: flows/customer-360.json is copied into .node-red/ only when .node-red/ has no
 * flows.json yet; after that, whatever was deployed in the editor is what starts. Options: HELP below (`--help`).
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, prepareUserDir, startNodeRed, waitForEditor } = require('./node-red-home');
const { customerFlow, GRAPH_URLS, DEFAULT_GRAPH, MAIN_FLOW_OPTIONS } = require('./build-flow');
const { readCommandLine, commandLine } = require('../lib/command-line');

const PORT = Number(process.env.PORT || 1880);
const DEMO_FLOW = path.join(ROOT, 'flows', 'customer-360.json');

const USAGE =
  'usage: npm start -- [--flows <file> | --reset-demo] [--graph janusgraph|tinkergraph] [--user-dir <dir>] [--skip-build]';
const HELP = `${USAGE}
  (no option)       .node-red/flows.json (seeded with the demo flow on the first start)
  --flows <file>    Node-RED runs (and deploys to) <file> instead; credentials go to <file>_cred.json beside it;
                    created empty when missing
  --reset-demo      put the demo flow back into .node-red/ (the old flows.json is kept as flows.json.<timestamp>.bak)
  --graph tinkergraph|janusgraph
                    the demo flow writes to the stack's in-memory TinkerGraph instead of the persistent JanusGraph
                    (janusgraph switches back; the demo flow's graph server node is changed, flows.json backed up first)
  --user-dir <dir>  another Node-RED user directory than .node-red/
  --skip-build      reuse dist/ as it is
PORT=1881 npm start picks another port.`;

function parseArgs(argv) {
  const v = readCommandLine(
    argv,
    { flows: 'string', 'user-dir': 'string', 'reset-demo': 'boolean', 'skip-build': 'boolean', graph: 'string' },
    USAGE,
  );
  // npm runs scripts in the package root; a relative path means relative to where the user typed the command.
  const cwd = process.env.INIT_CWD || process.cwd();
  if (v.graph !== undefined && !GRAPH_URLS[v.graph])
    throw new Error(`--graph must be one of ${Object.keys(GRAPH_URLS).join(', ')}`);
  if (v.flows && v['reset-demo']) throw new Error('--flows and --reset-demo exclude each other');
  return {
    flows: v.flows === undefined ? undefined : path.resolve(cwd, v.flows),
    userDir: v['user-dir'] === undefined ? path.join(ROOT, '.node-red') : path.resolve(cwd, v['user-dir']),
    resetDemo: !!v['reset-demo'],
    build: !v['skip-build'],
    graph: v.graph,
  };
}

/** Points the demo flow's graph server node (and only it) at another graph of the stack; the old file is backed up. */
function switchDemoGraph(flowsFile, graph) {
  const demoServer = customerFlow({ graph }).find((n) => n.type === 'ceh-gremlin-server');
  const flows = JSON.parse(fs.readFileSync(flowsFile, 'utf8'));
  const node = Array.isArray(flows) && flows.find((n) => n.id === demoServer.id);
  if (!node) {
    console.log(`[start] --graph: no demo graph server node in ${flowsFile}; your flows are left as they are`);
    return;
  }
  if (node.url === demoServer.url && node.serverTimeout === demoServer.serverTimeout) return;
  const backup = `${flowsFile}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
  fs.copyFileSync(flowsFile, backup);
  // serverTimeout travels with the graph: JanusGraph on BerkeleyJE must never have an evaluation interrupted.
  Object.assign(node, {
    url: demoServer.url,
    name: demoServer.name,
    traversalSource: 'g',
    serverTimeout: demoServer.serverTimeout,
  });
  fs.writeFileSync(flowsFile, `${JSON.stringify(flows, null, 2)}\n`);
  console.log(
    `[start] the demo flow now writes to ${demoServer.name} (${demoServer.url}); previous flows kept in ${path.basename(backup)}`,
  );
}

async function main() {
  const t0 = Date.now();
  const opts = commandLine('start', HELP, parseArgs);
  const step = (what, args) => {
    const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) {
      console.error(`[start] ${what} failed`);
      process.exit(r.status || 1);
    }
  };
  if (opts.build) step('build', [path.join(ROOT, 'scripts', 'build.js')]);
  step('stack:up', [path.join(ROOT, 'stack', 'stack.js'), 'up']);
  // Where PostgreSQL is installed the stack runs the real CRM and Debezium: the demo flow reads the connector's topic.
  // Elsewhere its CDC source reads the demo producer's imitation of it instead.
  const postgres = require(path.join(ROOT, 'stack', 'postgres', 'postgres.js'));
  const cdc = postgres.available() ? 'debezium' : 'synthetic';
  if (cdc === 'debezium') {
    console.log(
      '[start] CRM customers and addresses: real change data capture, PostgreSQL 127.0.0.1:25433 → Debezium ' +
        '(Kafka Connect) → crm.public.customers, crm.public.addresses; make changes with ' +
        '`npm run demo:crm -- --changes 500`, then curl 127.0.0.1:1880/customer/C-00001/360',
    );
  } else {
    console.log(
      '[start] CRM customers: no PostgreSQL installed, so the demo flow reads crm.customers.cdc, where ' +
        `\`npm run demo:produce\` imitates Debezium. ${postgres.INSTALL_HINT}`,
    );
  }

  const flowsInHome = path.join(opts.userDir, 'flows.json');
  if (opts.resetDemo && fs.existsSync(flowsInHome)) {
    const backup = `${flowsInHome}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`;
    fs.renameSync(flowsInHome, backup);
    console.log(`[start] your previous flows are kept in ${path.relative(process.cwd(), backup)}`);
  }
  const firstStart = !opts.flows && !fs.existsSync(flowsInHome);
  // The demo flow for another graph than the committed one (DEFAULT_GRAPH), or without PostgreSQL, is generated, not copied.
  let seed = DEMO_FLOW;
  if ((opts.graph && opts.graph !== DEFAULT_GRAPH) || cdc !== 'debezium') {
    fs.mkdirSync(opts.userDir, { recursive: true });
    seed = path.join(opts.userDir, `.demo-flow-${opts.graph || DEFAULT_GRAPH}-${cdc}.json`);
    fs.writeFileSync(
      seed,
      `${JSON.stringify(customerFlow({ ...MAIN_FLOW_OPTIONS, graph: opts.graph, cdc }), null, 2)}\n`,
    );
  }
  if (opts.graph && !opts.flows && !firstStart && !opts.resetDemo) switchDemoGraph(flowsInHome, opts.graph);
  const userDir = prepareUserDir(opts.userDir, {
    seedFlowFile: opts.flows ? undefined : seed,
    port: PORT,
    settings: opts.flows ? { flowFile: opts.flows } : {},
  });
  const shown = path.relative(process.cwd(), opts.flows || flowsInHome);
  if (opts.flows) console.log(`[start] flows: ${shown}${fs.existsSync(opts.flows) ? '' : ' (new file: starts empty)'}`);
  else if (firstStart || opts.resetDemo)
    console.log(`[start] flows: ${shown} (the demo flow, copied from flows/customer-360.json)`);
  else
    console.log(
      `[start] flows: ${shown} (yours, as last deployed; \`npm start -- --reset-demo\` brings the demo flow back)`,
    );

  const child = startNodeRed(userDir);
  const stopChild = () => {
    if (child.exitCode === null) child.kill('SIGINT');
  };
  process.on('SIGINT', stopChild);
  process.on('SIGTERM', stopChild);
  child.on('exit', (code) => process.exit(code === null ? 0 : code));
  await waitForEditor(PORT, { child });
  console.log(
    `[start] editor ready at http://127.0.0.1:${PORT}/ in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
      '(Ctrl-C stops Node-RED; the stack stays up: `npm run stack:down` stops it)',
  );
}

main().catch((e) => {
  console.error(`[start] ${e.message}`);
  process.exit(1);
});
