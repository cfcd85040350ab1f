#!/usr/bin/env node
'use strict';
/*
 * The project's real local stack, assembled from Maven Central jars with Maven and run with `java -cp 'lib/*' <main>`.
 * No Docker, no tarballs. One module per server (stack/<name>/<name>.js beside its pom), shared helpers in stack/lib/.
 *
 *   node stack/stack.js up|down|status [options]   (`node stack/stack.js --help` lists them)
 *
 * Profiles: the default one (Kafka, the Gremlin Servers, JanusGraph on BerkeleyJE, PostgreSQL, Kafka Connect) is what
 * `npm start` and CI use. `--profile cluster` adds, opt-in, the scale-out tier: Apache Cassandra 5.0, two JanusGraph
 * Servers on CQL sharing one keyspace and the 6-partition `cluster.*` demo topics (README "Scaling out").
 *
 * Everything it writes (jars, data, logs, pid files, TLS material) lives in stack/.run/ or $CEH_STACK_DIR (git-ignored).
 * `up` is idempotent: a running stack of ours is reused; a port held by anything else is an error.
 *
 * A server module exports { name, endpoints, processes: [{ name, port }], up(), down({ fresh }) }; adding a server is
 * one module and one line in SERVICES. `up` starts them in this order, `down` stops them in reverse.
 */
const fs = require('fs');
const { RUN, LOGS, log, StackError, checkJava, ourPid, portOpen, alive } = require('./lib/process');
const tls = require('./lib/tls');
const { readCommandLine, commandLine } = require('../lib/command-line');
const kafka = require('./kafka/kafka');
const gremlin = require('./gremlin/gremlin');
const janusgraph = require('./janusgraph/janusgraph');
const postgres = require('./postgres/postgres');
const connect = require('./connect/connect');
const cassandra = require('./cassandra/cassandra');
const janusgraphCluster = require('./janusgraph-cluster/janusgraph-cluster');
const clusterTopics = require('./kafka/cluster-topics');

const SERVICES = [
  kafka,
  gremlin,
  janusgraph,
  postgres, // the CRM database (skipped, with the install hint, where PostgreSQL is not installed)
  connect, // Kafka Connect + Debezium: needs kafka and postgres
];

/** Started after SERVICES by `up --profile cluster` only; `down` stops them too when they run. */
const PROFILES = { cluster: [cassandra, janusgraphCluster, clusterTopics] };

/** Fixed endpoints of the local stack; tests and flows import these instead of repeating them. */
const ENDPOINTS = Object.assign(
  {},
  tls.endpoints,
  ...SERVICES.map((s) => s.endpoints),
  ...PROFILES.cluster.map((s) => s.endpoints),
);

function profileServices(profile) {
  if (!profile) return SERVICES;
  if (!PROFILES[profile])
    throw new StackError(`unknown profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return [...SERVICES, ...PROFILES[profile]];
}

/**
 * One `up` or `down` at a time on a stack folder: several checkouts share one stack (CEH_STACK_DIR), and two ups that
 * restart the same server race on its pid file (one removed the pid file the other had just written, orphaning a
 * server). The lock is a file holding the holder's pid; a lock whose holder is gone is taken over.
 */
async function withStackLock(fn) {
  fs.mkdirSync(RUN, { recursive: true });
  const lock = require('path').join(RUN, 'stack.lock');
  const deadline = Date.now() + 10 * 60 * 1000;
  for (let said = false; ;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(lock, 'utf8')) || 0;
      if (!(holder > 0 && alive(holder))) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StackError(`another stack:up/down (pid ${holder}) holds ${lock} for more than 10 minutes`);
      if (!said) {
        log(`waiting for another stack:up/down (pid ${holder}) to finish`);
        said = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

async function up({ profile } = {}) {
  const services = profileServices(profile);
  return withStackLock(() => upUnlocked(services, profile));
}

async function upUnlocked(services, profile) {
  const t0 = Date.now();
  checkJava();
  fs.mkdirSync(RUN, { recursive: true });
  for (const service of services) await service.up();
  log(
    `stack${profile ? ` (profile ${profile})` : ''} up in ${((Date.now() - t0) / 1000).toFixed(1)} s; logs in ${LOGS}`,
  );
}

/** Stops every server of ours, the cluster profile's too; with a profile only that profile's servers. */
async function down({ fresh, profile } = {}) {
  const services = profile ? profileServices(profile).slice(SERVICES.length) : [...SERVICES, ...PROFILES.cluster];
  return withStackLock(async () => {
    for (const service of [...services].reverse()) await service.down({ fresh });
  });
}

/** One row per server; the cluster profile's rows when asked for (--profile cluster) or when one of them runs. */
async function status({ profile } = {}) {
  const rows = [];
  const clusterRunning = PROFILES.cluster.flatMap((s) => s.processes).some(({ name }) => ourPid(name));
  const services = profileServices(profile || (clusterRunning ? 'cluster' : undefined));
  for (const { name, port } of services.flatMap((s) => s.processes)) {
    const pid = ourPid(name);
    rows.push(
      `${name.padEnd(17)} ${pid ? `running (pid ${pid})` : 'stopped'}${(await portOpen(port)) ? `, port ${port} open` : ''}`,
    );
  }
  log(`state in ${RUN}\n${rows.join('\n')}\nlogs: ${LOGS}`);
  return rows;
}

module.exports = {
  ENDPOINTS,
  GRAPHS: gremlin.GRAPHS,
  singleNodeKafkaProperties: kafka.singleNodeKafkaProperties,
  up,
  down,
  status,
  kafkaReady: kafka.kafkaReady,
  gremlinReady: gremlin.gremlinReady,
  janusgraphReady: janusgraph.janusgraphReady,
  checkJanusGraphDataDir: janusgraph.checkDataDir,
  RUN,
  LOGS,
  SERVICES,
  PROFILES,
  janusgraphCluster,
};

const USAGE =
  'usage: node stack/stack.js up [--profile cluster] | down [--fresh] [--profile cluster] | status [--profile cluster]';
const HELP = `${USAGE}
(npm run stack:up|stack:down|stack:status -- [options])
  up       starts the servers (Kafka, the Gremlin Servers, JanusGraph, PostgreSQL, Kafka Connect); running ones are
           reused, a port held by another process is an error
  down     stops every server of ours, the cluster profile's too
  status   one row per server: running (pid), port open
  --profile cluster   up/status: also the scale-out tier (Cassandra, two JanusGraph Servers on CQL, cluster.* topics);
                      down: only that tier (the default stack keeps running)
  --fresh             down: also removes the servers' data (Kafka, JanusGraph, PostgreSQL, Cassandra)
State, data and logs: $CEH_STACK_DIR (default stack/.run).`;

const COMMANDS = {
  up: { options: { profile: 'string' }, run: up },
  down: { options: { fresh: 'boolean', profile: 'string' }, run: down },
  status: { options: { profile: 'string' }, run: status },
};

/** `<command> [options]`: the action to run, or an error naming the mistake. */
function parseCommandLine(argv) {
  const [name, ...rest] = argv;
  const command = COMMANDS[name];
  if (!command)
    throw new Error(`${name === undefined ? 'no command' : `unknown command ${JSON.stringify(name)}`} (${USAGE})`);
  const options = readCommandLine(rest, command.options, USAGE);
  if (options.profile !== undefined && !PROFILES[options.profile])
    throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
  return () => command.run(options);
}

if (require.main === module) {
  const run = commandLine('stack', HELP, parseCommandLine);
  run().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`[stack] ${e instanceof StackError ? e.message : e.stack}\n`);
      process.exit(1);
    },
  );
}
