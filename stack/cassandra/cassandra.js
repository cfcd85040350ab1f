'use strict';
/*
 * Apache Cassandra 5.0 (cassandra-all from Maven Central, cassandra/pom.xml) as one node on 127.0.0.1: the storage the
 * cluster profile's JanusGraph Servers share (stack/janusgraph-cluster). CQL on 29042, gossip on 27000; data, commit
 * log and hints under $CEH_STACK_DIR/cassandra/data (kept across stack:down / stack:up; `--fresh` removes them).
 *
 * Start-up takes ~5 s instead of ~34 s with two ring flags (a single node has no ring to wait for): see
 * /work/shared/notes/wave2-stack.md §2 for the measurements this module was built from.
 */
const fs = require('fs');
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
  logFrom,
  stop,
  portOpen,
} = require('../lib/process');
const { assemble, hashFile } = require('../lib/assemble');

const NAME = 'cassandra';
const POM = path.join(__dirname, 'pom.xml');
const CQL_PORT = 29042;
const STORAGE_PORT = 27000;
const TEMPLATES = ['cassandra.yaml', 'logback.xml'];

const endpoints = { cassandraHost: '127.0.0.1', cassandraCqlPort: CQL_PORT };

// The JPMS part of Cassandra's own conf/jvm17-server.options.
const JPMS = [
  ...[
    'java.base/jdk.internal.misc',
    'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry',
    'java.rmi/sun.rmi.server',
    'java.sql/java.sql',
    'java.base/java.lang.ref',
    'jdk.unsupported/sun.misc',
    'jdk.compiler/com.sun.tools.javac.file',
    'jdk.attach/sun.tools.attach',
  ].map((p) => `--add-exports=${p}=ALL-UNNAMED`),
  ...[
    'java.base/java.lang.module',
    'java.base/jdk.internal.loader',
    'java.base/jdk.internal.ref',
    'java.base/jdk.internal.reflect',
    'java.base/jdk.internal.math',
    'java.base/jdk.internal.module',
    'java.base/jdk.internal.util.jar',
    'jdk.management/com.sun.management.internal',
    'java.base/sun.nio.ch',
    'java.base/java.io',
    'java.base/java.lang.reflect',
    'jdk.compiler/com.sun.tools.javac',
    'java.base/java.lang',
    'java.base/java.util',
  ].map((p) => `--add-opens=${p}=ALL-UNNAMED`),
  '-Djdk.attach.allowAttachSelf=true',
  '-Dio.netty.tryReflectionSetAccessible=true',
];

const dataDir = () => path.join(serviceDir(NAME), 'data');

function render(conf) {
  renderTemplates(__dirname, TEMPLATES, conf, {
    cqlPort: String(CQL_PORT),
    storagePort: String(STORAGE_PORT),
    dataDir: dataDir(),
  });
  fs.mkdirSync(path.join(conf, 'triggers'), { recursive: true });
}

const cassandraConfigStamp = () => configStamp(hashFile(POM), ...fileContents(__dirname, TEMPLATES));

/** Ready = the CQL port accepts connections after this start's `Startup complete` log line. */
function readyCheck() {
  const logSinceStart = logFrom(NAME);
  return async () => /Startup complete/.test(logSinceStart()) && portOpen(CQL_PORT);
}

async function up() {
  const stamp = cassandraConfigStamp();
  if (await reuseRunning(NAME, { what: 'Cassandra', ready: () => portOpen(CQL_PORT), stamp })) return;
  const t0 = Date.now();
  const dir = serviceDir(NAME);
  await ensurePortsFree('Cassandra', [CQL_PORT, STORAGE_PORT]);
  const lib = assemble(NAME, POM);
  const conf = path.join(dir, 'conf');
  render(conf);
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const jamm = fs.readdirSync(lib).find((f) => /^jamm-.*\.jar$/.test(f));
  await startJavaServer(NAME, {
    what: 'Cassandra',
    ready: readyCheck(),
    stamp,
    detail: `data in ${dataDir()}`,
    cwd: dir,
    classpath: `${conf}:${lib}/*`,
    heap: ['-Xms512m', '-Xmx1g'],
    jvm: [
      '-XX:+ParallelRefProcEnabled',
      '-XX:MaxTenuringThreshold=1',
      '-Xss256k',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.net.preferIPv4Stack=true',
      // A single node: no ring to settle (first boot 34 s → 5 s, measured).
      '-Dcassandra.ring_delay_ms=1000',
      '-Dcassandra.skip_wait_for_gossip_to_settle=0',
      `-Dcassandra.triggers_dir=${path.join(conf, 'triggers')}`,
      ...JPMS,
      ...(jamm ? [`-javaagent:${path.join(lib, jamm)}`] : []),
      `-Dcassandra.config=file://${path.join(conf, 'cassandra.yaml')}`,
      `-Dlogback.configurationFile=${path.join(conf, 'logback.xml')}`,
      '-Dcassandra-foreground=yes',
      `-Dcassandra.storagedir=${dataDir()}`,
      `-Dcassandra.logdir=${path.join(dir, 'logs')}`,
    ],
    args: ['org.apache.cassandra.service.CassandraDaemon'],
  });
  log(`cassandra: ready, CQL on 127.0.0.1:${CQL_PORT} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function down({ fresh } = {}) {
  await stop(NAME);
  if (fresh) fs.rmSync(dataDir(), { recursive: true, force: true });
}

module.exports = {
  name: NAME,
  endpoints,
  processes: [{ name: NAME, port: CQL_PORT }],
  up,
  down,
};
