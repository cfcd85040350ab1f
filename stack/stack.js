#!/usr/bin/env node
'use strict';
/*
 * The project's real local stack: Apache Kafka (KRaft, single node) and Apache TinkerPop Gremlin Server (TinkerGraph),
 * both assembled from Maven Central jars with Maven and run with `java -cp 'lib/*' <main>`. No Docker, no tarballs.
 *
 *   node stack/stack.js up|down|status [--fresh]
 *
 * Everything it writes (jars, data, logs, pid files, TLS material) lives in stack/.run/ (git-ignored).
 * `up` is idempotent: a running stack of ours is reused; a port held by anything else is an error.
 */
const fs = require('fs');
const path = require('path');
const net = require('net');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');

const ROOT = __dirname;
const RUN = process.env.CEH_STACK_DIR || path.join(ROOT, '.run');
const LOGS = path.join(RUN, 'logs');

/** Fixed endpoints of the local stack; tests and flows import these instead of repeating them. */
const ENDPOINTS = {
  kafkaBrokers: ['127.0.0.1:9092'],
  kafkaSaslSslBrokers: ['127.0.0.1:9094'],
  gremlinUrl: 'ws://127.0.0.1:8182/gremlin',
  gremlinSecureUrl: 'wss://127.0.0.1:8183/gremlin',
  scramUser: 'ceh-client',
  scramPassword: 'ceh-client-secret',
  gremlinUser: 'ceh-graph',
  gremlinPassword: 'ceh-graph-secret',
  tlsPassword: 'ceh-stack-store',
  caFile: path.join(RUN, 'tls', 'ca.pem'),
};

const SERVICES = {
  kafka: {
    pom: path.join(ROOT, 'kafka', 'pom.xml'),
    ports: [9092, 9093, 9094],
    heap: ['-Xms256m', '-Xmx768m'],
  },
  gremlin: {
    pom: path.join(ROOT, 'gremlin', 'pom.xml'),
    ports: [8182, 8183],
    heap: ['-Xms256m', '-Xmx3g'],
  },
};

// As the official start scripts do on Java 17+: Gryo/Kryo and Groovy reflect into these packages.
const JAVA_OPENS = ['java.lang', 'java.lang.invoke', 'java.lang.reflect', 'java.io', 'java.net', 'java.nio', 'java.util',
  'java.util.concurrent', 'java.util.concurrent.atomic', 'java.util.regex', 'sun.nio.ch', 'sun.nio.cs']
  .map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`);

function log(msg) { process.stdout.write(`[stack] ${msg}\n`); }
class StackError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Prerequisites and assembly
// ---------------------------------------------------------------------------------------------------------------

function checkJava() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) throw new StackError('Java 17+ is required but `java` was not found on PATH. Install a JDK 17 or newer.');
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr || '');
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) throw new StackError(`Java 17+ is required; found: ${(r.stderr || '').split('\n')[0]}`);
  for (const tool of ['keytool']) {
    if (spawnSync(tool, ['-help'], { encoding: 'utf8' }).error) throw new StackError(`\`${tool}\` (part of the JDK) was not found on PATH.`);
  }
}

function checkMaven() {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (r.error) throw new StackError('Maven 3.8+ is required to assemble the stack from Maven Central but `mvn` was not found on PATH.');
}

function hashFile(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
}

/** Copies a service's runtime jars into .run/<name>/lib once per pom version (re-assembled when the pom changes). */
function assemble(name) {
  const svc = SERVICES[name];
  const dir = path.join(RUN, name);
  const lib = path.join(dir, 'lib');
  const stamp = path.join(dir, 'lib.stamp');
  const want = hashFile(svc.pom);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return lib;
  checkMaven();
  log(`assembling ${name} from Maven Central (first run downloads the jars; later runs reuse ~/.m2) ...`);
  fs.rmSync(lib, { recursive: true, force: true });
  fs.mkdirSync(lib, { recursive: true });
  const t0 = Date.now();
  const r = spawnSync('mvn', ['-B', '-q', '-f', svc.pom, 'dependency:copy-dependencies', '-DincludeScope=runtime',
    `-DoutputDirectory=${lib}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    const out = `${r.stdout || ''}${r.stderr || ''}`.split('\n').filter((l) => /ERROR/.test(l)).slice(0, 6).join('\n');
    throw new StackError(`Maven could not assemble ${name} (is Maven Central reachable?):\n${out || r.error}`);
  }
  fs.writeFileSync(stamp, want);
  log(`${name}: ${fs.readdirSync(lib).length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return lib;
}

// ---------------------------------------------------------------------------------------------------------------
// TLS material (self-signed, made once with the JDK's keytool) for the SASL_SSL listener and the secure Gremlin Server
// ---------------------------------------------------------------------------------------------------------------

function ensureTls() {
  const dir = path.join(RUN, 'tls');
  const ks = path.join(dir, 'server.p12');
  if (fs.existsSync(ks) && fs.existsSync(ENDPOINTS.caFile)) return ks;
  fs.mkdirSync(dir, { recursive: true });
  const pw = ENDPOINTS.tlsPassword;
  const run = (args) => {
    const r = spawnSync('keytool', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new StackError(`keytool ${args[0]} failed: ${r.stderr || r.stdout}`);
  };
  fs.rmSync(ks, { force: true });
  run(['-genkeypair', '-alias', 'server', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650',
    '-dname', 'CN=localhost,O=customer-event-hub stack', '-ext', 'SAN=dns:localhost,ip:127.0.0.1',
    '-keystore', ks, '-storetype', 'PKCS12', '-storepass', pw, '-keypass', pw]);
  run(['-exportcert', '-rfc', '-alias', 'server', '-keystore', ks, '-storetype', 'PKCS12', '-storepass', pw,
    '-file', ENDPOINTS.caFile]);
  return ks;
}

// ---------------------------------------------------------------------------------------------------------------
// Process bookkeeping
// ---------------------------------------------------------------------------------------------------------------

const pidFile = (name) => path.join(RUN, name, 'pid');

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function ourPid(name) {
  try {
    const pid = Number(fs.readFileSync(pidFile(name), 'utf8'));
    return pid && alive(pid) ? pid : null;
  } catch { return null; }
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

function startJava(name, cwd, classpath, args, extraJvm = []) {
  fs.mkdirSync(LOGS, { recursive: true });
  const logFile = path.join(LOGS, `${name}.log`);
  const out = fs.openSync(logFile, 'a');
  const svc = SERVICES[name];
  const child = spawn('java', [...svc.heap, '-XX:+UseG1GC', '-Djava.awt.headless=true', ...JAVA_OPENS, ...extraJvm,
    '-cp', classpath, ...args], { cwd, detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.writeFileSync(pidFile(name), String(child.pid));
  return { pid: child.pid, logFile };
}

async function waitFor(what, check, { timeoutMs = 120000, pid, logFile } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (pid && !alive(pid)) {
      const tail = logFile && fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n') : '';
      throw new StackError(`${what} exited during start-up. Last log lines (${logFile}):\n${tail}`);
    }
    try { if (await check()) return; } catch (e) { lastErr = e; }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new StackError(`${what} was not ready within ${timeoutMs / 1000} s${lastErr ? `: ${lastErr.message}` : ''}. See ${logFile}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Readiness probes: a real Kafka metadata request and a real Gremlin round trip
// ---------------------------------------------------------------------------------------------------------------

async function kafkaReady() {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({ brokers: ENDPOINTS.kafkaBrokers, clientId: 'ceh-stack-probe', logLevel: logLevel.NOTHING,
    retry: { retries: 0 }, connectionTimeout: 2000 }).admin();
  try {
    await admin.connect();
    const meta = await admin.describeCluster();
    return meta.brokers.length > 0;
  } finally { await admin.disconnect().catch(() => {}); }
}

async function gremlinReady(url = ENDPOINTS.gremlinUrl, opts = {}) {
  const gremlin = require('gremlin');
  const client = new gremlin.driver.Client(url, { traversalSource: 'g', connectOnStartup: false, ...opts });
  try {
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000));
    const rs = await Promise.race([client.submit('g.inject(1)'), timeout]);
    return rs.first() === 1;
  } finally { await client.close().catch(() => {}); }
}

async function gremlinSecureReady() {
  const gremlin = require('gremlin');
  const authenticator = new gremlin.driver.auth.PlainTextSaslAuthenticator(ENDPOINTS.gremlinUser, ENDPOINTS.gremlinPassword);
  return gremlinReady(ENDPOINTS.gremlinSecureUrl, { authenticator, ca: [fs.readFileSync(ENDPOINTS.caFile)], rejectUnauthorized: true });
}

// ---------------------------------------------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------------------------------------------

function kafkaProperties(dataDir, keystore) {
  const pw = ENDPOINTS.tlsPassword;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    'controller.quorum.voters=1@127.0.0.1:9093',
    'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093,SASL_SSL://127.0.0.1:9094',
    'advertised.listeners=PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9094',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'log.retention.hours=24',
    'log.segment.bytes=268435456',
    // SASL_SSL listener: SCRAM users are created at storage format time.
    'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${ENDPOINTS.scramUser}="${ENDPOINTS.scramPassword}";`,
    `ssl.keystore.location=${keystore}`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.password=${pw}`,
    `ssl.key.password=${pw}`,
    '',
  ].join('\n');
}

const KAFKA_LOG4J = `Configuration:
  name: ceh-kafka
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: WARN
      - name: kafka.log.LogCleaner
        level: WARN
      - name: state.change.logger
        level: WARN
`;

async function kafkaUp() {
  const dir = path.join(RUN, 'kafka');
  const pid = ourPid('kafka');
  if (pid) {
    await waitFor('Kafka (running, pid ' + pid + ')', kafkaReady, { timeoutMs: 60000, pid });
    log(`kafka: already running (pid ${pid}), reused`);
    return;
  }
  for (const port of SERVICES.kafka.ports) {
    if (await portOpen(port)) throw new StackError(`Port ${port} is taken by another process (not this project's Kafka). Stop it or free the port.`);
  }
  const lib = assemble('kafka');
  const keystore = ensureTls();
  const dataDir = path.join(dir, 'data');
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(props, kafkaProperties(dataDir, keystore));
  const log4j = path.join(dir, 'log4j2.yaml');
  fs.writeFileSync(log4j, KAFKA_LOG4J);
  const cp = `${lib}/*`;
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const java = (args) => spawnSync('java', ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, ...args], { encoding: 'utf8' });
    const uuid = java(['kafka.tools.StorageTool', 'random-uuid']);
    if (uuid.status !== 0) throw new StackError(`Kafka StorageTool random-uuid failed: ${uuid.stderr}`);
    const clusterId = uuid.stdout.trim().split('\n').pop();
    const u = ENDPOINTS.scramUser; const p = ENDPOINTS.scramPassword;
    const fmt = java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '-g',
      '-S', `SCRAM-SHA-256=[name=${u},password=${p}]`, '-S', `SCRAM-SHA-512=[name=${u},password=${p}]`]);
    if (fmt.status !== 0) throw new StackError(`Kafka StorageTool format failed: ${fmt.stderr || fmt.stdout}`);
  }
  const started = startJava('kafka', dir, cp, ['kafka.Kafka', props], [`-Dlog4j2.configurationFile=${log4j}`]);
  log(`kafka: starting (pid ${started.pid}), log ${started.logFile}`);
  await waitFor('Kafka', kafkaReady, { pid: started.pid, logFile: started.logFile });
  log('kafka: ready on 127.0.0.1:9092 (PLAINTEXT) and 127.0.0.1:9094 (SASL_SSL, SCRAM)');
}

// ---------------------------------------------------------------------------------------------------------------
// Gremlin Server
// ---------------------------------------------------------------------------------------------------------------

function gremlinYaml({ port, graphProps, initScript, ssl, auth }) {
  const lines = [
    'host: 127.0.0.1',
    `port: ${port}`,
    'evaluationTimeout: 60000',
    'channelizer: org.apache.tinkerpop.gremlin.server.channel.WebSocketChannelizer',
    `graphs: { ${Object.keys(GRAPHS).map((name) => `${name}: '${graphProps}'`).join(', ')} }`,
    'scriptEngines: {',
    '  gremlin-groovy: {',
    '    plugins: { org.apache.tinkerpop.gremlin.server.jsr223.GremlinServerGremlinPlugin: {},',
    '               org.apache.tinkerpop.gremlin.tinkergraph.jsr223.TinkerGraphGremlinPlugin: {},',
    '               org.apache.tinkerpop.gremlin.jsr223.ImportGremlinPlugin: {classImports: [java.lang.Math], methodImports: [java.lang.Math#*]},',
    `               org.apache.tinkerpop.gremlin.jsr223.ScriptFileGremlinPlugin: {files: ['${initScript}']}}}}`,
    'serializers:',
    '  - { className: org.apache.tinkerpop.gremlin.util.ser.GraphBinaryMessageSerializerV1 }',
    '  - { className: org.apache.tinkerpop.gremlin.util.ser.GraphBinaryMessageSerializerV1, config: { serializeResultToString: true }}',
    '  - { className: org.apache.tinkerpop.gremlin.util.ser.GraphSONMessageSerializerV3, config: { ioRegistries: [org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerIoRegistryV3] }}',
    '  - { className: org.apache.tinkerpop.gremlin.util.ser.GraphSONMessageSerializerV2, config: { ioRegistries: [org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerIoRegistryV2] }}',
    'processors:',
    '  - { className: org.apache.tinkerpop.gremlin.server.op.session.SessionOpProcessor, config: { sessionTimeout: 28800000 }}',
    '  - { className: org.apache.tinkerpop.gremlin.server.op.traversal.TraversalOpProcessor }',
    'metrics: { slf4jReporter: {enabled: false} }',
    'strictTransactionManagement: false',
    'maxInitialLineLength: 4096',
    'maxHeaderSize: 8192',
    'maxChunkSize: 8192',
    'maxContentLength: 134217728',
    'maxAccumulationBufferComponents: 1024',
    'resultIterationBatchSize: 64',
    'writeBufferLowWaterMark: 32768',
    'writeBufferHighWaterMark: 65536',
  ];
  if (auth) {
    lines.push('authentication: {', '  authenticator: org.apache.tinkerpop.gremlin.server.auth.SimpleAuthenticator,',
      `  config: { credentialsDb: '${auth}' }}`);
  }
  if (ssl) {
    lines.push('ssl: {', '  enabled: true,', `  keyStore: '${ssl}',`, `  keyStorePassword: '${ENDPOINTS.tlsPassword}',`,
      '  keyStoreType: PKCS12 }');
  }
  return lines.join('\n') + '\n';
}

/**
 * Separate in-memory TinkerGraphs on one server, each with its own traversal source: `g` for the main job and the
 * tests, and one per suite that must count a graph it owns (end-to-end test, benchmarks, reliability suite), so they
 * can be cleared and counted without touching anybody else's data.
 */
const GRAPHS = { graph: 'g', e2e: 'gE2e', bench: 'gBench', reliability: 'gReliability', corpus: 'gCorpus' };

const GREMLIN_INIT = `// Binds one traversal source per graph for scripts and bytecode requests.
def globals = [:]
${Object.entries(GRAPHS).map(([graph, source]) => `globals << [${source} : traversal().withEmbedded(${graph})]`).join('\n')}
`;

const LOGBACK = `<configuration>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>[%d{ISO8601}] %-5level %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.tinkerpop.gremlin.server.op" level="WARN"/>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
</configuration>
`;

/** The secure server's credentials graph: a TinkerGraph file made once by running the credentials DSL on the open server. */
async function ensureCredentialsGraph(dir) {
  const file = path.join(dir, 'credentials.json');
  if (fs.existsSync(file)) return;
  const gremlin = require('gremlin');
  const client = new gremlin.driver.Client(ENDPOINTS.gremlinUrl, { traversalSource: 'g' });
  try {
    // Values travel as bindings, never spliced into the script.
    await client.submit(
      'import org.apache.tinkerpop.gremlin.groovy.jsr223.dsl.credential.CredentialTraversalSource\n' +
      'def cg = org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph.open()\n' +
      'def creds = cg.traversal(CredentialTraversalSource.class)\n' +
      'creds.user(user, password).iterate()\n' +
      'cg.io(org.apache.tinkerpop.gremlin.structure.io.IoCore.graphson()).writeGraph(file)\n' +
      'cg.close(); 1',
      { user: ENDPOINTS.gremlinUser, password: ENDPOINTS.gremlinPassword, file });
  } finally { await client.close().catch(() => {}); }
  if (!fs.existsSync(file)) throw new StackError('Could not create the Gremlin credentials graph');
}

/** What the Gremlin servers are configured with; a running server started with another configuration is restarted. */
function gremlinConfigStamp() {
  return crypto.createHash('sha256').update(GREMLIN_INIT).update(gremlinYaml({ port: 0, graphProps: '', initScript: '' }))
    .update(hashFile(SERVICES.gremlin.pom)).digest('hex').slice(0, 16);
}

/**
 * TinkerGraph looks a vertex up by scanning unless its key property is indexed, which makes every merge O(graph):
 * index the vertex keys of the shipped mappings (mappings/*.yaml) in every graph, as any real deployment would.
 * Idempotent and done at run time, so it needs no restart.
 */
async function indexVertexKeys() {
  const dir = path.join(ROOT, '..', 'mappings');
  const keys = new Set();
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)) : []) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/^\s+key:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/gm)) keys.add(m[1]);
  }
  if (keys.size === 0) return;
  const gremlin = require('gremlin');
  const client = new gremlin.driver.Client(ENDPOINTS.gremlinUrl, { traversalSource: 'g' });
  try {
    for (const graph of Object.keys(GRAPHS)) {
      await client.submit(`def idx = ${graph}.getIndexedKeys(Vertex.class); keyNames.each { k -> if (!idx.contains(k)) ${graph}.createIndex(k, Vertex.class) }; 1`, { keyNames: [...keys] });
    }
  } finally { await client.close().catch(() => {}); }
}

async function gremlinUp() {
  const dir = path.join(RUN, 'gremlin');
  const stampFile = path.join(dir, 'config.stamp');
  let pid = ourPid('gremlin');
  if (pid && (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== gremlinConfigStamp())) {
    log('gremlin: the configuration changed since it started; restarting');
    await stop('gremlin-secure');
    await stop('gremlin');
    pid = null;
  }
  if (pid) {
    await waitFor('Gremlin Server (running, pid ' + pid + ')', () => gremlinReady(), { timeoutMs: 60000, pid });
    await indexVertexKeys();
    log(`gremlin: already running (pid ${pid}), reused`);
    return;
  }
  for (const port of SERVICES.gremlin.ports) {
    if (await portOpen(port)) throw new StackError(`Port ${port} is taken by another process (not this project's Gremlin Server). Stop it or free the port.`);
  }
  const lib = assemble('gremlin');
  const keystore = ensureTls();
  const conf = path.join(dir, 'conf');
  fs.mkdirSync(conf, { recursive: true });
  fs.writeFileSync(path.join(conf, 'tinkergraph.properties'),
    'gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph\n' +
    'gremlin.tinkergraph.vertexIdManager=LONG\ngremlin.tinkergraph.edgeIdManager=LONG\n');
  fs.writeFileSync(path.join(conf, 'credentials.properties'),
    'gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph\n' +
    'gremlin.tinkergraph.vertexIdManager=LONG\n' +
    `gremlin.tinkergraph.graphLocation=${path.join(dir, 'credentials.json')}\ngremlin.tinkergraph.graphFormat=graphson\n`);
  fs.writeFileSync(path.join(conf, 'init.groovy'), GREMLIN_INIT);
  fs.writeFileSync(path.join(conf, 'logback.xml'), LOGBACK);
  const common = { graphProps: path.join(conf, 'tinkergraph.properties'), initScript: path.join(conf, 'init.groovy') };
  fs.writeFileSync(path.join(conf, 'gremlin-server.yaml'), gremlinYaml({ port: 8182, ...common }));
  const cp = `${conf}:${lib}/*`;
  const jvm = [`-Dlogback.configurationFile=file:${path.join(conf, 'logback.xml')}`];
  const started = startJava('gremlin', dir, cp,
    ['org.apache.tinkerpop.gremlin.server.GremlinServer', path.join(conf, 'gremlin-server.yaml')], jvm);
  log(`gremlin: starting (pid ${started.pid}), log ${started.logFile}`);
  await waitFor('Gremlin Server', () => gremlinReady(), { pid: started.pid, logFile: started.logFile });
  fs.writeFileSync(stampFile, gremlinConfigStamp());
  await indexVertexKeys();
  log(`gremlin: ready on ws://127.0.0.1:8182/gremlin (traversal sources ${Object.values(GRAPHS).join(', ')})`);
  // The authenticated TLS server (its own TinkerGraph) runs as a second process sharing the jars.
  await ensureCredentialsGraph(dir);
  fs.writeFileSync(path.join(conf, 'gremlin-server-secure.yaml'), gremlinYaml({ port: 8183, ...common, ssl: keystore,
    auth: path.join(conf, 'credentials.properties') }));
  await gremlinSecureUp(dir, cp, jvm, conf);
}

async function gremlinSecureUp(dir, cp, jvm, conf) {
  const name = 'gremlin-secure';
  fs.mkdirSync(path.join(RUN, name), { recursive: true });
  const started = startJavaAs(name, 'gremlin', dir, cp,
    ['org.apache.tinkerpop.gremlin.server.GremlinServer', path.join(conf, 'gremlin-server-secure.yaml')], jvm);
  log(`gremlin-secure: starting (pid ${started.pid}), log ${started.logFile}`);
  await waitFor('Gremlin Server (secure)', gremlinSecureReady, { pid: started.pid, logFile: started.logFile });
  log('gremlin-secure: ready on wss://127.0.0.1:8183/gremlin (SimpleAuthenticator, self-signed TLS)');
}

function startJavaAs(name, heapOf, cwd, cp, args, jvm) {
  SERVICES[name] = { ...SERVICES[heapOf], heap: ['-Xms128m', '-Xmx512m'] };
  return startJava(name, cwd, cp, args, jvm);
}

// ---------------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------------

async function stop(name) {
  const pid = ourPid(name);
  if (!pid) { fs.rmSync(pidFile(name), { force: true }); return false; }
  try { process.kill(-pid, 'SIGTERM'); } catch { try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ } }
  const deadline = Date.now() + 30000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { process.kill(pid, 'SIGKILL'); } }
  fs.rmSync(pidFile(name), { force: true });
  log(`${name}: stopped (pid ${pid})`);
  return true;
}

async function up() {
  const t0 = Date.now();
  checkJava();
  fs.mkdirSync(RUN, { recursive: true });
  // The secure Gremlin Server belongs to the Gremlin service: when either is missing, restart both.
  if (ourPid('gremlin') && !ourPid('gremlin-secure')) await stop('gremlin');
  if (!ourPid('gremlin') && ourPid('gremlin-secure')) await stop('gremlin-secure');
  await kafkaUp();
  await gremlinUp();
  log(`stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s; logs in ${LOGS}`);
}

async function down({ fresh } = {}) {
  await stop('gremlin-secure');
  await stop('gremlin');
  await stop('kafka');
  if (fresh) {
    fs.rmSync(path.join(RUN, 'kafka', 'data'), { recursive: true, force: true });
    log('kafka data removed');
  }
}

async function status() {
  const rows = [];
  for (const [name, port] of [['kafka', 9092], ['gremlin', 8182], ['gremlin-secure', 8183]]) {
    const pid = ourPid(name);
    rows.push(`${name.padEnd(15)} ${pid ? `running (pid ${pid})` : 'stopped'}${await portOpen(port) ? `, port ${port} open` : ''}`);
  }
  log(`state in ${RUN}\n${rows.join('\n')}\nlogs: ${LOGS}`);
  return rows;
}

module.exports = { ENDPOINTS, GRAPHS, up, down, status, kafkaReady, gremlinReady, RUN, LOGS };

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
