/* kafka in / kafka out through the SASL_SSL listener (TLS with the stack's CA, SCRAM-SHA-512), and a wrong password. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { unique, eventually, ENDPOINTS } from '../support/project';
import { kafkaTestRuntime, recordCode, createTopic } from '../support/kafka-test-kit';

const suite = kafkaTestRuntime();
const { probe, topics } = suite;

function secureBroker(id: string, sasl: string, password: string) {
  return {
    id,
    type: 'ceh-kafka-broker',
    brokers: ENDPOINTS.kafkaSaslSslBrokers.join(','),
    tls: true,
    caFile: ENDPOINTS.caFile,
    rejectUnauthorized: true,
    sasl,
    connectionTimeout: 5000,
    credentials: { username: ENDPOINTS.scramUser, password },
  };
}

test('produce and consume through SASL_SSL with SCRAM-SHA-512 and SCRAM-SHA-256', async () => {
  probe.clear();
  const topic = unique('ceh-sasl');
  topics.push(topic);
  await createTopic(topic, 1);
  await suite.rt.deploy([
    secureBroker('b512', 'scram-sha-512', ENDPOINTS.scramPassword),
    secureBroker('b256', 'scram-sha-256', ENDPOINTS.scramPassword),
    {
      id: 'k-out',
      type: 'ceh-kafka-out',
      broker: 'b512',
      topic,
      keyType: 'none',
      headersType: 'none',
      partitionType: 'none',
      acks: 'all',
      wires: [['acked']],
    },
    { id: 'acked', type: 'function', func: recordCode('acked'), outputs: 1, wires: [] },
    {
      id: 'k-in',
      type: 'ceh-kafka-in',
      broker: 'b256',
      topics: topic,
      groupId: unique('g-sasl'),
      start: 'earliest',
      valueDecoding: 'auto',
      maxInFlight: 10,
      wires: [['got'], []],
    },
    { id: 'got', type: 'function', func: recordCode('got'), outputs: 1, wires: [] },
  ]);
  suite.rt.inject('k-out', { payload: { secure: true } });
  await eventually('acked over SASL_SSL', () => probe.msgs('acked').length === 1, 30000);
  await eventually('consumed over SASL_SSL', () => probe.msgs('got').length === 1, 30000);
  assert.deepEqual(probe.msgs('got')[0].payload, { secure: true });
});

test('a wrong password shows a clear status and error on kafka in', async () => {
  probe.clear();
  await suite.rt.deploy([
    secureBroker('bad', 'scram-sha-512', 'not-the-password'),
    {
      id: 'k-in',
      type: 'ceh-kafka-in',
      broker: 'bad',
      topics: unique('ceh-none'),
      groupId: unique('g-bad'),
      start: 'earliest',
      maxInFlight: 10,
      wires: [[], []],
    },
    { id: 'st', type: 'status', scope: ['k-in'], wires: [['st-rec']] },
    { id: 'st-rec', type: 'function', func: recordCode('status'), outputs: 1, wires: [] },
    { id: 'ct', type: 'catch', scope: ['k-in'], uncaught: false, wires: [['ct-rec']] },
    { id: 'ct-rec', type: 'function', func: recordCode('error'), outputs: 1, wires: [] },
  ]);
  await eventually('an error status', () => probe.msgs('status').some((m) => m.status.fill === 'red'), 30000);
  const red = probe.msgs('status').find((m) => m.status.fill === 'red');
  assert.match(red.status.text, /SASL SCRAM SHA512 authentication failed/i);
  await eventually('an error for Catch nodes', () => probe.msgs('error').length > 0, 30000);
  assert.match(probe.msgs('error')[0].error.message, /kafka in: cannot consume: .*authentication failed/i);
  await suite.rt.deploy([]);
});
