'use strict';
/*
 * Kafka Connect 4.x (distributed worker, one node) with Debezium's PostgreSQL connector, assembled from Maven Central
 * (connect/pom.xml). REST on 127.0.0.1:28083. `up` registers the CRM connector idempotently (PUT of its config):
 * pgoutput, JSON converter with schemas, topics crm.public.customers and crm.public.addresses on the stack's Kafka.
 *
 * Needs the stack's Kafka and PostgreSQL; skipped (with the reason) where PostgreSQL is not installed.
 */
const fs = require('fs');
const path = require('path');
const http = require('http');
const {
  log,
  StackError,
  serviceDir,
  ensurePortsFree,
  reuseRunning,
  startJavaServer,
  waitFor,
  stop,
} = require('../lib/process');
const { assemble } = require('../lib/assemble');
const postgres = require('../postgres/postgres');

const NAME = 'connect';
const PORT = 28083;
const CONNECTOR = 'crm-pg';

const endpoints = {
  connectUrl: `http://127.0.0.1:${PORT}`,
  /** The Debezium topics of the CRM tables: <topic.prefix>.<schema>.<table>. */
  crmTopics: {
    customers: 'crm.public.customers',
    addresses: 'crm.public.addresses',
    capture: 'crm.public.capture_customers',
  },
};

const WORKER = `bootstrap.servers=127.0.0.1:9092
group.id=ceh-connect
listeners=http://127.0.0.1:${PORT}
rest.advertised.host.name=127.0.0.1
rest.advertised.port=${PORT}
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
config.storage.topic=ceh-connect-configs
offset.storage.topic=ceh-connect-offsets
status.storage.topic=ceh-connect-status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.storage.partitions=1
status.storage.partitions=1
offset.flush.interval.ms=1000
`;

// A log4j2 YAML config does not load on this classpath (no jackson-dataformat-yaml): properties it is.
const LOG4J = `appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
`;

/** The CRM connector's configuration (PUT /connectors/crm-pg/config creates or updates it). */
function connectorConfig() {
  const pg = postgres.endpoints.postgres;
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'plugin.name': 'pgoutput',
    'database.hostname': pg.host,
    'database.port': String(pg.port),
    'database.user': pg.user,
    'database.password': pg.password,
    'database.dbname': pg.database,
    'topic.prefix': 'crm',
    'table.include.list': 'public.customers,public.addresses,public.capture_customers',
    'slot.name': 'ceh_crm',
    'publication.name': 'ceh_crm_pub',
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': 'initial',
  };
}

/** A REST call to the worker: resolves { status, body } (body parsed when JSON). */
function rest(method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: PORT,
        path: urlPath,
        method,
        timeout: 10000,
        headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          let parsed = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function restReady() {
  const r = await rest('GET', '/connector-plugins');
  return (
    r.status === 200 &&
    Array.isArray(r.body) &&
    r.body.some((p) => p.class === 'io.debezium.connector.postgresql.PostgresConnector')
  );
}

/** Streaming: the task is RUNNING and the replication slot is in use. */
async function connectorStreaming() {
  const s = await rest('GET', `/connectors/${CONNECTOR}/status`);
  if (s.status !== 200 || s.body.connector?.state !== 'RUNNING' || s.body.tasks?.[0]?.state !== 'RUNNING') {
    const failed = s.body?.tasks?.find((t) => t.state === 'FAILED');
    if (failed) throw new StackError(`connector ${CONNECTOR} task failed: ${String(failed.trace).split('\n')[0]}`);
    return false;
  }
  const slot = await postgres.query("SELECT active FROM pg_replication_slots WHERE slot_name = 'ceh_crm'");
  return slot.rows[0]?.active === true;
}

async function register() {
  const r = await rest('PUT', `/connectors/${CONNECTOR}/config`, connectorConfig());
  if (r.status !== 200 && r.status !== 201)
    throw new StackError(`registering ${CONNECTOR} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  log(`connect: connector ${CONNECTOR} ${r.status === 201 ? 'registered' : 'up to date'}`);
}

async function up() {
  if (!postgres.available()) {
    log('connect: skipped (no PostgreSQL installed, nothing to capture)');
    return;
  }
  if (!(await reuseRunning(NAME, { what: 'Kafka Connect', ready: restReady }))) {
    const dir = serviceDir(NAME);
    await ensurePortsFree('Kafka Connect', [PORT]);
    const lib = assemble(NAME, path.join(__dirname, 'pom.xml'));
    const conf = path.join(dir, 'conf');
    fs.mkdirSync(conf, { recursive: true });
    fs.writeFileSync(path.join(conf, 'connect-distributed.properties'), WORKER);
    fs.writeFileSync(path.join(conf, 'log4j2.properties'), LOG4J);
    await startJavaServer(NAME, {
      what: 'Kafka Connect',
      ready: restReady,
      cwd: dir,
      classpath: `${lib}/*`,
      heap: ['-Xms256m', '-Xmx1g'],
      jvm: [`-Dlog4j2.configurationFile=${path.join(conf, 'log4j2.properties')}`],
      args: ['org.apache.kafka.connect.cli.ConnectDistributed', path.join(conf, 'connect-distributed.properties')],
    });
  }
  await register();
  await waitFor(`connector ${CONNECTOR}`, connectorStreaming, { timeoutMs: 120000 });
  log(
    `connect: ready on ${endpoints.connectUrl}; ${CONNECTOR} streams ${Object.values(endpoints.crmTopics).join(', ')}`,
  );
}

async function down() {
  await stop(NAME);
}

module.exports = {
  name: NAME,
  endpoints,
  processes: [{ name: NAME, port: PORT }],
  up,
  down,
  rest,
  connectorStreaming,
  connectorConfig,
  CONNECTOR,
};
