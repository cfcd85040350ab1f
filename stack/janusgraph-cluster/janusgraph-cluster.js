'use strict';
/*
 * The cluster profile's graph tier: two JanusGraph Servers 1.1 on CQL (janusgraph-cluster/pom.xml) sharing one Cassandra
 * keyspace (stack/cassandra). JanusGraph Servers keep no graph state of their own, so adding a server adds request
 * capacity over the same graph; Node-RED instances are spread over them (scripts/cluster.js).
 *
 * Ports 28282, 28283, ...; each server has its own folder $CEH_STACK_DIR/janusgraph-cql-<n> (rendered conf, pid) and
 * they share the jars in $CEH_STACK_DIR/janusgraph-cql/lib. The default profile's BerkeleyJE server is stack/janusgraph.
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { log, serviceDir, ourPid, ensurePortsFree, startJava, waitFor, stop } = require('../lib/process');
const { assemble, hashFile } = require('../lib/assemble');
const { applyMappingSchema } = require('../lib/mapping-schema');
const { janusgraphReady } = require('../janusgraph/janusgraph');
const cassandra = require('../cassandra/cassandra');

const NAME = 'janusgraph-cql';
const POM = path.join(__dirname, 'pom.xml');
const SERVERS = Number(process.env.CEH_CLUSTER_JANUSGRAPH_SERVERS || 2);
const BASE_PORT = 28282;
// v2: the edge labels identified by their endpoints are SIMPLE + LOCK (lib/graph-schema). JanusGraph cannot change a
// label's multiplicity, so the schema needs a keyspace made after that change; the old one is left in Cassandra.
const KEYSPACE = 'ceh_cluster_v2';
const TEMPLATES = ['janusgraph-server.yaml', 'janusgraph-cql.properties', 'init.groovy', 'log4j2.xml'];

const servers = Array.from({ length: SERVERS }, (_, i) => ({ name: `${NAME}-${i + 1}`, port: BASE_PORT + i }));
const urlOf = (port) => `ws://127.0.0.1:${port}/gremlin`;
const endpoints = { janusgraphClusterUrls: servers.map((s) => urlOf(s.port)), janusgraphClusterKeyspace: KEYSPACE };

function render(server, conf) {
  const values = {
    port: String(server.port),
    cqlPort: String(cassandra.endpoints.cassandraCqlPort),
    keyspace: KEYSPACE,
    instanceId: server.name,
  };
  fs.mkdirSync(conf, { recursive: true });
  for (const name of TEMPLATES) {
    const text = fs.readFileSync(path.join(__dirname, name), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k) => values[k]);
    fs.writeFileSync(path.join(conf, name), text);
  }
}

function configStamp() {
  const h = crypto.createHash('sha256').update(hashFile(POM)).update(KEYSPACE);
  for (const name of TEMPLATES) h.update(fs.readFileSync(path.join(__dirname, name)));
  return h.digest('hex').slice(0, 16);
}

/** Starts one server (or reuses it when it runs with this configuration); resolves when it answers g.inject(1). */
async function upOne(server, lib) {
  const dir = serviceDir(server.name);
  const stampFile = path.join(dir, 'config.stamp');
  let pid = ourPid(server.name);
  if (pid && (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== configStamp())) {
    log(`${server.name}: the configuration changed since it started; restarting`);
    await stop(server.name);
    pid = null;
  }
  if (pid) {
    await waitFor(`${server.name} (running, pid ${pid})`, () => janusgraphReady(urlOf(server.port)), {
      timeoutMs: 60000,
      pid,
    });
    log(`${server.name}: already running (pid ${pid}), reused`);
    return;
  }
  const t0 = Date.now();
  await ensurePortsFree(`JanusGraph Server ${server.name}`, [server.port]);
  const conf = path.join(dir, 'conf');
  render(server, conf);
  const started = startJava(server.name, {
    cwd: dir,
    classpath: `${conf}:${lib}/*`,
    heap: ['-Xms256m', '-Xmx768m'],
    jvm: [`-Dlog4j2.configurationFile=${path.join(conf, 'log4j2.xml')}`],
    args: ['org.janusgraph.graphdb.server.JanusGraphServer', path.join(conf, 'janusgraph-server.yaml')],
  });
  log(`${server.name}: starting (pid ${started.pid}) on keyspace ${KEYSPACE}, log ${started.logFile}`);
  try {
    await waitFor(server.name, () => janusgraphReady(urlOf(server.port)), {
      pid: started.pid,
      logFile: started.logFile,
      timeoutMs: 180000,
    });
  } catch (e) {
    await stop(server.name);
    throw e;
  }
  fs.writeFileSync(stampFile, configStamp());
  log(`${server.name}: ready on ${urlOf(server.port)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function up() {
  const lib = assemble(NAME, POM);
  // The first server creates the keyspace; the others start after it so they do not race on its creation.
  await upOne(servers[0], lib);
  await Promise.all(servers.slice(1).map((s) => upOne(s, lib)));
  // The schema lives in the keyspace: applied once, through the first server, with the mappings' unique LOCK indexes.
  await applyMappingSchema(NAME, { graph: 'janusgraph', url: urlOf(servers[0].port), sources: ['g'] });
}

async function down() {
  for (const s of [...servers].reverse()) await stop(s.name);
}

/** Stops / starts one server alone (the scenarios' "a JanusGraph Server stopped for 20 s"). */
async function stopServer(index) {
  return stop(servers[index].name);
}
async function startServer(index) {
  return upOne(servers[index], assemble(NAME, POM));
}

module.exports = {
  name: NAME,
  endpoints,
  processes: servers,
  up,
  down,
  stopServer,
  startServer,
  servers,
  KEYSPACE,
};
