'use strict';
/*
 * Apache Kafka: a single-node KRaft broker (broker + controller in one process) assembled from Maven Central
 * (kafka/pom.xml), with a PLAINTEXT listener on 9092 and a SASL_SSL (SCRAM) listener on 9094.
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { log, StackError, serviceDir, ensurePortsFree, reuseRunning, startJavaServer, stop } = require('../lib/process');
const { assemble } = require('../lib/assemble');
const tls = require('../lib/tls');

const NAME = 'kafka';
const PORTS = [9092, 9093, 9094];

const endpoints = {
  kafkaBrokers: ['127.0.0.1:9092'],
  kafkaSaslSslBrokers: ['127.0.0.1:9094'],
  scramUser: 'ceh-client',
  scramPassword: 'ceh-client-secret',
};

/** A real metadata request (to the stack's broker, or to `brokers`: the reliability suite's private one). */
async function kafkaReady(brokers = endpoints.kafkaBrokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const admin = new Kafka({
    brokers,
    clientId: 'ceh-stack-probe',
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  try {
    await admin.connect();
    const meta = await admin.describeCluster();
    return meta.brokers.length > 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * A single-node KRaft broker on 127.0.0.1. `listeners` are extra listeners besides PLAINTEXT and CONTROLLER,
 * e.g. { SASL_SSL: 9094 }. Shared with the reliability suite's private broker.
 */
function singleNodeKafkaProperties({ port, controllerPort, dataDir, listeners = {} }) {
  const extra = Object.entries(listeners);
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=${[`PLAINTEXT://127.0.0.1:${port}`, `CONTROLLER://127.0.0.1:${controllerPort}`, ...extra.map(([n, p]) => `${n}://127.0.0.1:${p}`)].join(',')}`,
    `advertised.listeners=${[`PLAINTEXT://127.0.0.1:${port}`, ...extra.map(([n, p]) => `${n}://127.0.0.1:${p}`)].join(',')}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=${['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT', ...extra.map(([n]) => `${n}:${n}`)].join(',')}`,
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
  ];
}

function kafkaProperties(dataDir, keystore) {
  const pw = tls.endpoints.tlsPassword;
  return [
    ...singleNodeKafkaProperties({ port: 9092, controllerPort: 9093, dataDir, listeners: { SASL_SSL: 9094 } }),
    // SASL_SSL listener: SCRAM users are created at storage format time.
    'sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${endpoints.scramUser}="${endpoints.scramPassword}";`,
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

async function up() {
  if (await reuseRunning(NAME, { what: 'Kafka', ready: kafkaReady })) return;
  const dir = serviceDir(NAME);
  await ensurePortsFree('Kafka', PORTS);
  const lib = assemble(NAME, path.join(__dirname, 'pom.xml'));
  const keystore = tls.ensureTls();
  const dataDir = path.join(dir, 'data');
  const props = path.join(dir, 'server.properties');
  fs.writeFileSync(props, kafkaProperties(dataDir, keystore));
  const log4j = path.join(dir, 'log4j2.yaml');
  fs.writeFileSync(log4j, KAFKA_LOG4J);
  const cp = `${lib}/*`;
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const java = (args) =>
      spawnSync('java', ['-cp', cp, `-Dlog4j2.configurationFile=${log4j}`, ...args], { encoding: 'utf8' });
    const uuid = java(['kafka.tools.StorageTool', 'random-uuid']);
    if (uuid.status !== 0) throw new StackError(`Kafka StorageTool random-uuid failed: ${uuid.stderr}`);
    const clusterId = uuid.stdout.trim().split('\n').pop();
    const u = endpoints.scramUser;
    const p = endpoints.scramPassword;
    const fmt = java([
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      props,
      '-g',
      '-S',
      `SCRAM-SHA-256=[name=${u},password=${p}]`,
      '-S',
      `SCRAM-SHA-512=[name=${u},password=${p}]`,
    ]);
    if (fmt.status !== 0) throw new StackError(`Kafka StorageTool format failed: ${fmt.stderr || fmt.stdout}`);
  }
  await startJavaServer(NAME, {
    what: 'Kafka',
    ready: kafkaReady,
    cwd: dir,
    classpath: cp,
    args: ['kafka.Kafka', props],
    heap: ['-Xms256m', '-Xmx768m'],
    jvm: [`-Dlog4j2.configurationFile=${log4j}`],
  });
  log('kafka: ready on 127.0.0.1:9092 (PLAINTEXT) and 127.0.0.1:9094 (SASL_SSL, SCRAM)');
}

async function down({ fresh } = {}) {
  await stop(NAME);
  if (fresh) {
    fs.rmSync(path.join(serviceDir(NAME), 'data'), { recursive: true, force: true });
    log('kafka data removed');
  }
}

module.exports = {
  name: NAME,
  endpoints,
  /** The processes `status` reports: pid file name and the port that shows it serves. */
  processes: [{ name: NAME, port: 9092 }],
  up,
  down,
  kafkaReady,
  singleNodeKafkaProperties,
};
