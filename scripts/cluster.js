#!/usr/bin/env node
'use strict';
/*
 * `npm run cluster -- --instances N`: scale-out on one machine. Brings the stack's cluster profile up (Cassandra, the
 * JanusGraph Servers on CQL, the 6-partition `cluster.*` topics; `npm run stack:up -- --profile cluster`), then runs N
 * Node-RED processes on consecutive ports (1890, 1891, ...), each with the Customer 360 flow on the cluster topics and
 * in the same consumer groups, spread round-robin over the JanusGraph Servers. Kafka shares the partitions out; each
 * instance's `kafka in` status shows its own. Ctrl-C (or SIGTERM) stops every instance cleanly: each leaves its
 * consumer groups at once, so the others take its partitions without waiting for a session timeout.
 * Options: HELP below (`--help`).
 * Produce events for it with `npm run demo:produce -- --events 5000 --topic-prefix cluster.`.
 * User directories: .cluster/node-<n>/ (git-ignored), rewritten with the flow on each start.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, prepareUserDir, startNodeRed, waitForEditor } = require('./node-red-home');
const { customerFlow } = require('./build-flow');
const { readCommandLine, numberOption, commandLine } = require('../lib/command-line');

const CLUSTER_DIR = path.join(ROOT, '.cluster');
/** Consumer group prefix shared by every instance (one group per source topic, as in the single-process flow). */
const GROUP_PREFIX = 'customer-360-cluster';

/** The flow of instance i (0-based): the same for every instance except the JanusGraph Server it writes to. */
function instanceFlow(i, { urls, topicPrefix = 'cluster.', groupPrefix = GROUP_PREFIX, ...more } = {}) {
  const flow = customerFlow({
    topicPrefix,
    groupPrefix,
    gremlinUrl: urls[i % urls.length],
    traversalSource: 'g',
    cdc: 'synthetic',
    // Several writers share the graph anyway (one per instance); a second batch in flight per instance adds lock
    // conflicts on the unique indexes more than throughput on two cores.
    concurrency: 1,
    ...more,
  });
  const server = flow.find((n) => n.type === 'ceh-gremlin-server');
  server.name = `JanusGraph ${urls[i % urls.length].replace(/^ws:\/\/|\/gremlin$/g, '')} (cluster)`;
  return flow;
}

/** Writes instance i's user dir and starts its Node-RED; resolves with the child once the editor answers. */
async function startInstance(i, { urls, basePort = 1890, stdio = 'inherit', userDir, ...flowOpts }) {
  const dir = userDir || path.join(CLUSTER_DIR, `node-${i + 1}`);
  fs.mkdirSync(dir, { recursive: true });
  const flowFile = path.join(dir, 'flow-source.json');
  fs.writeFileSync(flowFile, `${JSON.stringify(instanceFlow(i, { urls, ...flowOpts }), null, 2)}\n`);
  const port = basePort + i;
  prepareUserDir(dir, { flowFile, port });
  const child = startNodeRed(dir, { stdio });
  await waitForEditor(port, { child, timeoutMs: 120000 });
  return { child, port, dir, gremlinUrl: urls[i % urls.length] };
}

const USAGE = 'usage: npm run cluster -- [--instances N] [--base-port P] [--skip-build] [--skip-stack]';
const HELP = `${USAGE}
  --instances N   Node-RED processes (default 3; more than 6 leaves the extra ones idle: 6 partitions per topic)
  --base-port P   port of the first instance (default 1890)
  --skip-build    reuse dist/ as it is
  --skip-stack    do not bring the stack's cluster profile up first`;

function parseArgs(argv) {
  const v = readCommandLine(
    argv,
    { instances: 'string', 'base-port': 'string', 'skip-build': 'boolean', 'skip-stack': 'boolean' },
    USAGE,
  );
  const whole = { min: 1, whole: true };
  return {
    instances: numberOption(v.instances, 'instances', whole) ?? 3,
    basePort: numberOption(v['base-port'], 'base-port', whole) ?? 1890,
    build: !v['skip-build'],
    stack: !v['skip-stack'],
  };
}

async function main() {
  const opts = commandLine('cluster', HELP, parseArgs);
  const step = (what, args) => {
    const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) {
      console.error(`[cluster] ${what} failed`);
      process.exit(r.status || 1);
    }
  };
  if (opts.build) step('build', [path.join(ROOT, 'scripts', 'build.js')]);
  if (opts.stack)
    step('stack:up --profile cluster', [path.join(ROOT, 'stack', 'stack.js'), 'up', '--profile', 'cluster']);
  const { ENDPOINTS } = require(path.join(ROOT, 'stack', 'stack.js'));
  const urls = ENDPOINTS.janusgraphClusterUrls;
  if (opts.instances > 6)
    console.log(
      `[cluster] ${opts.instances} instances for 6 partitions per topic: ${opts.instances - 6} will stay idle (partitions bound a group's parallelism)`,
    );
  const t0 = Date.now();
  const running = await Promise.all(
    Array.from({ length: opts.instances }, (_, i) => startInstance(i, { urls, basePort: opts.basePort })),
  );
  for (const r of running)
    console.log(
      `[cluster] Node-RED http://127.0.0.1:${r.port}/ → ${r.gremlinUrl} (user dir ${path.relative(ROOT, r.dir)})`,
    );
  console.log(
    `[cluster] ${running.length} instances up in ${((Date.now() - t0) / 1000).toFixed(1)} s, consumer groups ${GROUP_PREFIX}-*; ` +
      'produce with `npm run demo:produce -- --events 5000 --topic-prefix cluster.`; Ctrl-C stops them',
  );
  let stopping = false;
  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGTERM');
  };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  await Promise.all(
    running.map((r) => new Promise((res) => (r.child.exitCode !== null ? res() : r.child.once('exit', res)))),
  );
  process.exit(0);
}

module.exports = { instanceFlow, startInstance, GROUP_PREFIX, CLUSTER_DIR };

if (require.main === module)
  main().catch((e) => {
    console.error(`[cluster] ${e.message}`);
    process.exit(1);
  });
