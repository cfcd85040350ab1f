'use strict';
/*
 * The cluster profile's graph tier: two JanusGraph Servers 1.1 on CQL (janusgraph-cluster/pom.xml) sharing one Cassandra
 * keyspace (stack/cassandra). JanusGraph Servers keep no graph state of their own, so adding a server adds request
 * capacity over the same graph; Node-RED instances are spread over them (scripts/cluster.js).
 *
 * Ports 28282, 28283, ...; each server has its own folder $CEH_STACK_DIR/janusgraph-cql-<n> (rendered conf, pid) and
 * they share the jars in $CEH_STACK_DIR/janusgraph-cql/lib. The default profile's BerkeleyJE server is stack/janusgraph.
 */
const path = require('path');
const {
  log,
  serviceDir,
  ensurePortsFree,
  renderTemplates,
  fileContents,
  configStamp,
  reuseRunning,
  startJavaServer,
  stop,
} = require('../lib/process');
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
  renderTemplates(__dirname, TEMPLATES, conf, {
    port: String(server.port),
    cqlPort: String(cassandra.endpoints.cassandraCqlPort),
    keyspace: KEYSPACE,
    instanceId: server.name,
  });
}

const clusterConfigStamp = () => configStamp(hashFile(POM), KEYSPACE, ...fileContents(__dirname, TEMPLATES));

/** Starts one server (or reuses it when it runs with this configuration); resolves when it answers g.inject(1). */
async function upOne(server, lib) {
  const stamp = clusterConfigStamp();
  const ready = () => janusgraphReady(urlOf(server.port));
  if (await reuseRunning(server.name, { what: server.name, ready, stamp })) return;
  const t0 = Date.now();
  const dir = serviceDir(server.name);
  await ensurePortsFree(`JanusGraph Server ${server.name}`, [server.port]);
  const conf = path.join(dir, 'conf');
  render(server, conf);
  await startJavaServer(server.name, {
    what: server.name,
    ready,
    stamp,
    detail: `keyspace ${KEYSPACE}`,
    timeoutMs: 180000,
    cwd: dir,
    classpath: `${conf}:${lib}/*`,
    heap: ['-Xms256m', '-Xmx768m'],
    jvm: [`-Dlog4j2.configurationFile=${path.join(conf, 'log4j2.xml')}`],
    args: ['org.janusgraph.graphdb.server.JanusGraphServer', path.join(conf, 'janusgraph-server.yaml')],
  });
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
