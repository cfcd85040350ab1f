'use strict';
/*
 * The cluster profile's Kafka topics: the demo topics under the prefix `cluster.` with 6 partitions each, so up to six
 * Node-RED instances of one consumer group have a partition to work on (partitions bound a group's parallelism).
 * Separate names keep the default profile's 3-partition topics, and the tests that use them, as they are.
 * Uses lib/demo's ensureTopics (built into dist/ when missing), so the topic list is written once.
 */
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { log } = require('../lib/process');
const { endpoints } = require('./kafka');

const ROOT = path.join(__dirname, '..', '..');
const PREFIX = 'cluster.';
const PARTITIONS = 6;

function demo() {
  const file = path.join(ROOT, 'dist', 'lib', 'demo', 'produce.js');
  if (!fs.existsSync(file))
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.js')], { stdio: 'inherit' });
  return require(file);
}

async function up() {
  const brokers = [endpoints.kafkaBrokers ? endpoints.kafkaBrokers[0] : '127.0.0.1:9092'];
  await demo().ensureTopics(brokers, PARTITIONS, PREFIX);
  log(`kafka: cluster topics ${PREFIX}* with ${PARTITIONS} partitions ready`);
}

module.exports = {
  name: 'cluster-topics',
  endpoints: { clusterTopicPrefix: PREFIX, clusterPartitions: PARTITIONS },
  processes: [],
  up,
  down: async () => {},
  PREFIX,
  PARTITIONS,
};
