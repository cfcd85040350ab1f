#!/usr/bin/env node
'use strict';
/*
 * The project's real local stack, assembled from Maven Central jars with Maven and run with `java -cp 'lib/*' <main>`.
 * No Docker, no tarballs. One module per server (stack/<name>/<name>.js beside its pom), shared helpers in stack/lib/.
 *
 *   node stack/stack.js up|down|status [--fresh]
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
const kafka = require('./kafka/kafka');
const gremlin = require('./gremlin/gremlin');
const janusgraph = require('./janusgraph/janusgraph');
const postgres = require('./postgres/postgres');
const connect = require('./connect/connect');

const SERVICES = [
  kafka,
  gremlin,
  janusgraph,
  postgres, // the CRM database (skipped, with the install hint, where PostgreSQL is not installed)
  connect, // Kafka Connect + Debezium: needs kafka and postgres
];

/** Fixed endpoints of the local stack; tests and flows import these instead of repeating them. */
const ENDPOINTS = Object.assign({}, tls.endpoints, ...SERVICES.map((s) => s.endpoints));

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
    try { fs.writeFileSync(lock, String(process.pid), { flag: 'wx' }); break; } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(lock, 'utf8')) || 0;
      if (!(holder > 0 && alive(holder))) { fs.rmSync(lock, { force: true }); continue; }
      if (Date.now() > deadline) throw new StackError(`another stack:up/down (pid ${holder}) holds ${lock} for more than 10 minutes`);
      if (!said) { log(`waiting for another stack:up/down (pid ${holder}) to finish`); said = true; }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try { return await fn(); } finally { fs.rmSync(lock, { force: true }); }
}

async function up() {
  return withStackLock(upUnlocked);
}

async function upUnlocked() {
  const t0 = Date.now();
  checkJava();
  fs.mkdirSync(RUN, { recursive: true });
  for (const service of SERVICES) await service.up();
  log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s; logs in ${LOGS}`);
}

async function down({ fresh } = {}) {
  return withStackLock(async () => {
    for (const service of [...SERVICES].reverse()) await service.down({ fresh });
  });
}

async function status() {
  const rows = [];
  for (const { name, port } of SERVICES.flatMap((s) => s.processes)) {
    const pid = ourPid(name);
    rows.push(`${name.padEnd(15)} ${pid ? `running (pid ${pid})` : 'stopped'}${await portOpen(port) ? `, port ${port} open` : ''}`);
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
};

if (require.main === module) {
  const cmd = process.argv[2];
  const fresh = process.argv.includes('--fresh');
  const actions = { up, down: () => down({ fresh }), status };
  if (!actions[cmd]) {
    process.stderr.write('usage: node stack/stack.js up|down [--fresh]|status\n');
    process.exit(2);
  }
  actions[cmd]().then(() => process.exit(0), (e) => {
    process.stderr.write(`[stack] ${e instanceof StackError ? e.message : e.stack}\n`);
    process.exit(1);
  });
}
