'use strict';
/*
 * Apache TinkerPop Gremlin Server with in-memory TinkerGraphs, assembled from Maven Central (gremlin/pom.xml): an open
 * server on 8182 and, sharing its jars, an authenticated TLS server on 8183 (its own TinkerGraph).
 */
const fs = require('fs');
const path = require('path');
const {
  log,
  StackError,
  serviceDir,
  ourPid,
  ensurePortsFree,
  configStamp,
  reuseRunning,
  startJavaServer,
  stop,
} = require('../lib/process');
const { assemble, hashFile } = require('../lib/assemble');
const tls = require('../lib/tls');
const { applyMappingSchema } = require('../lib/mapping-schema');

const NAME = 'gremlin';
const SECURE = 'gremlin-secure';
const POM = path.join(__dirname, 'pom.xml');
const PORTS = [8182, 8183];

const endpoints = {
  gremlinUrl: 'ws://127.0.0.1:8182/gremlin',
  gremlinSecureUrl: 'wss://127.0.0.1:8183/gremlin',
  gremlinUser: 'ceh-graph',
  gremlinPassword: 'ceh-graph-secret',
};

/**
 * Separate in-memory TinkerGraphs on one server, each with its own traversal source: `g` for the main job and the
 * tests, and one per suite that must count a graph it owns (end-to-end test, benchmarks, reliability suite), so they
 * can be cleared and counted without touching anybody else's data.
 */
const GRAPHS = { graph: 'g', e2e: 'gE2e', bench: 'gBench', reliability: 'gReliability', corpus: 'gCorpus' };

/** A real Gremlin round trip. */
async function gremlinReady(url = endpoints.gremlinUrl, opts = {}) {
  const gremlin = require('gremlin');
  const client = new gremlin.driver.Client(url, { traversalSource: 'g', connectOnStartup: false, ...opts });
  try {
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000));
    const rs = await Promise.race([client.submit('g.inject(1)'), timeout]);
    return rs.first() === 1;
  } finally {
    await client.close().catch(() => {});
  }
}

async function gremlinSecureReady() {
  const gremlin = require('gremlin');
  const authenticator = new gremlin.driver.auth.PlainTextSaslAuthenticator(
    endpoints.gremlinUser,
    endpoints.gremlinPassword,
  );
  return gremlinReady(endpoints.gremlinSecureUrl, {
    authenticator,
    ca: [fs.readFileSync(tls.endpoints.caFile)],
    rejectUnauthorized: true,
  });
}

function gremlinYaml({ port, graphProps, initScript, ssl, auth }) {
  const lines = [
    'host: 127.0.0.1',
    `port: ${port}`,
    'evaluationTimeout: 60000',
    'channelizer: org.apache.tinkerpop.gremlin.server.channel.WebSocketChannelizer',
    `graphs: { ${Object.keys(GRAPHS)
      .map((name) => `${name}: '${graphProps}'`)
      .join(', ')} }`,
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
    lines.push(
      'authentication: {',
      '  authenticator: org.apache.tinkerpop.gremlin.server.auth.SimpleAuthenticator,',
      `  config: { credentialsDb: '${auth}' }}`,
    );
  }
  if (ssl) {
    lines.push(
      'ssl: {',
      '  enabled: true,',
      `  keyStore: '${ssl}',`,
      `  keyStorePassword: '${tls.endpoints.tlsPassword}',`,
      '  keyStoreType: PKCS12 }',
    );
  }
  return lines.join('\n') + '\n';
}

const GREMLIN_INIT = `// Binds one traversal source per graph for scripts and bytecode requests.
def globals = [:]
${Object.entries(GRAPHS)
  .map(([graph, source]) => `globals << [${source} : traversal().withEmbedded(${graph})]`)
  .join('\n')}
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
  const client = new gremlin.driver.Client(endpoints.gremlinUrl, { traversalSource: 'g' });
  try {
    // Values travel as bindings, never spliced into the script.
    await client.submit(
      'import org.apache.tinkerpop.gremlin.groovy.jsr223.dsl.credential.CredentialTraversalSource\n' +
        'def cg = org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph.open()\n' +
        'def creds = cg.traversal(CredentialTraversalSource.class)\n' +
        'creds.user(user, password).iterate()\n' +
        'cg.io(org.apache.tinkerpop.gremlin.structure.io.IoCore.graphson()).writeGraph(file)\n' +
        'cg.close(); 1',
      { user: endpoints.gremlinUser, password: endpoints.gremlinPassword, file },
    );
  } finally {
    await client.close().catch(() => {});
  }
  if (!fs.existsSync(file)) throw new StackError('Could not create the Gremlin credentials graph');
}

/** What the Gremlin servers are configured with; a running server started with another configuration is restarted. */
const gremlinConfigStamp = () =>
  configStamp(GREMLIN_INIT, gremlinYaml({ port: 0, graphProps: '', initScript: '' }), hashFile(POM));

/**
 * TinkerGraph looks a vertex up by scanning unless its key property is indexed, which makes every merge O(graph):
 * index the vertex keys of the shipped mappings in every graph, as any real deployment would (lib/graph-schema).
 * Idempotent and done at run time, so it needs no restart.
 */
const indexVertexKeys = () =>
  applyMappingSchema(NAME, { graph: 'tinkergraph', url: endpoints.gremlinUrl, sources: Object.values(GRAPHS) });

async function down() {
  await stop(SECURE);
  await stop(NAME);
}

async function up() {
  // The secure Gremlin Server belongs to the Gremlin service: when either is missing, restart both.
  if (ourPid(NAME) && !ourPid(SECURE)) await stop(NAME);
  if (!ourPid(NAME) && ourPid(SECURE)) await stop(SECURE);
  const stamp = gremlinConfigStamp();
  if (await reuseRunning(NAME, { what: 'Gremlin Server', ready: () => gremlinReady(), stamp, stopAll: down })) {
    await indexVertexKeys();
    return;
  }
  const dir = serviceDir(NAME);
  await ensurePortsFree('Gremlin Server', PORTS);
  const lib = assemble(NAME, POM);
  const keystore = tls.ensureTls();
  const conf = path.join(dir, 'conf');
  fs.mkdirSync(conf, { recursive: true });
  fs.writeFileSync(
    path.join(conf, 'tinkergraph.properties'),
    'gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph\n' +
      'gremlin.tinkergraph.vertexIdManager=LONG\ngremlin.tinkergraph.edgeIdManager=LONG\n',
  );
  fs.writeFileSync(
    path.join(conf, 'credentials.properties'),
    'gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph\n' +
      'gremlin.tinkergraph.vertexIdManager=LONG\n' +
      `gremlin.tinkergraph.graphLocation=${path.join(dir, 'credentials.json')}\ngremlin.tinkergraph.graphFormat=graphson\n`,
  );
  fs.writeFileSync(path.join(conf, 'init.groovy'), GREMLIN_INIT);
  fs.writeFileSync(path.join(conf, 'logback.xml'), LOGBACK);
  const common = { graphProps: path.join(conf, 'tinkergraph.properties'), initScript: path.join(conf, 'init.groovy') };
  fs.writeFileSync(path.join(conf, 'gremlin-server.yaml'), gremlinYaml({ port: 8182, ...common }));
  const classpath = `${conf}:${lib}/*`;
  const jvm = [`-Dlogback.configurationFile=file:${path.join(conf, 'logback.xml')}`];
  const main = 'org.apache.tinkerpop.gremlin.server.GremlinServer';
  await startJavaServer(NAME, {
    what: 'Gremlin Server',
    ready: () => gremlinReady(),
    stamp,
    cwd: dir,
    classpath,
    args: [main, path.join(conf, 'gremlin-server.yaml')],
    heap: ['-Xms256m', '-Xmx3g'],
    jvm,
  });
  await indexVertexKeys();
  log(`gremlin: ready on ws://127.0.0.1:8182/gremlin (traversal sources ${Object.values(GRAPHS).join(', ')})`);

  // The authenticated TLS server (its own TinkerGraph) runs as a second process sharing the jars.
  await ensureCredentialsGraph(dir);
  fs.writeFileSync(
    path.join(conf, 'gremlin-server-secure.yaml'),
    gremlinYaml({ port: 8183, ...common, ssl: keystore, auth: path.join(conf, 'credentials.properties') }),
  );
  await startJavaServer(SECURE, {
    what: 'Gremlin Server (secure)',
    ready: gremlinSecureReady,
    cwd: dir,
    classpath,
    args: [main, path.join(conf, 'gremlin-server-secure.yaml')],
    heap: ['-Xms128m', '-Xmx512m'],
    jvm,
  });
  log('gremlin-secure: ready on wss://127.0.0.1:8183/gremlin (SimpleAuthenticator, self-signed TLS)');
}

module.exports = {
  name: NAME,
  endpoints,
  processes: [
    { name: NAME, port: 8182 },
    { name: SECURE, port: 8183 },
  ],
  up,
  down,
  gremlinReady,
  GRAPHS,
};
