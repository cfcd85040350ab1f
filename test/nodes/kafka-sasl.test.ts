/*
 * kafka in / kafka out through the SASL_SSL listener (TLS with the stack's CA, SCRAM-SHA-512/256): TLS from Node-RED's
 * core tls-config node, a flow saved before tls-config (the broker's own TLS fields) still connecting, a tls-config node
 * that is not deployed, and a wrong password.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { unique, eventually, ENDPOINTS } from '../support/project';
import { kafkaTestRuntime, recordCode, createTopic } from '../support/kafka-test-kit';
import { tlsConfigNode } from '../support/node-red-runtime';

const suite = kafkaTestRuntime();
const { probe, topics } = suite;

function secureBroker(id: string, sasl: string, password: string, tls = 'tls-ca') {
  return {
    id,
    type: 'ceh-kafka-broker',
    brokers: ENDPOINTS.kafkaSaslSslBrokers.join(','),
    usetls: true,
    tls,
    sasl,
    connectionTimeout: 5000,
    credentials: { username: ENDPOINTS.scramUser, password },
  };
}

/** kafka out `k-out` on `broker`, its acked messages recorded as 'acked'. */
function ackedKafkaOut(broker: string, topic: string) {
  return [
    {
      id: 'k-out',
      type: 'ceh-kafka-out',
      broker,
      topic,
      keyType: 'none',
      headersType: 'none',
      partitionType: 'none',
      acks: 'all',
      wires: [['acked']],
    },
    { id: 'acked', type: 'function', func: recordCode('acked'), outputs: 1, wires: [] },
  ];
}

/** A broker as flows saved before tls-config have it, once an editor filled in `usetls`' default on import. */
function brokerOfBefore(id: string) {
  return {
    id,
    type: 'ceh-kafka-broker',
    brokers: ENDPOINTS.kafkaSaslSslBrokers.join(','),
    usetls: false,
    tls: true,
    caFile: ENDPOINTS.caFile,
    rejectUnauthorized: true,
    sasl: 'scram-sha-512',
    connectionTimeout: 5000,
    credentials: { username: ENDPOINTS.scramUser, password: ENDPOINTS.scramPassword },
  };
}

test('produce and consume through SASL_SSL with SCRAM-SHA-512 and SCRAM-SHA-256, TLS from a tls-config node', async () => {
  probe.clear();
  const topic = unique('ceh-sasl');
  topics.push(topic);
  await createTopic(topic, 1);
  await suite.rt.deploy([
    tlsConfigNode('tls-ca', ENDPOINTS.caFile),
    secureBroker('b512', 'scram-sha-512', ENDPOINTS.scramPassword),
    secureBroker('b256', 'scram-sha-256', ENDPOINTS.scramPassword),
    ...ackedKafkaOut('b512', topic),
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

/** Deploys kafka out on broker `b` (plus `nodes`), sends one msg: resolves with 'acked' or the error Catch got. */
async function firstOutcome(nodes: Array<Record<string, unknown> & { id: string; type: string }>, topic: string) {
  probe.clear();
  await suite.rt.deploy([
    ...nodes,
    ...ackedKafkaOut('b', topic),
    { id: 'ct', type: 'catch', scope: ['k-out'], uncaught: false, wires: [['ct-rec']] },
    { id: 'ct-rec', type: 'function', func: recordCode('error'), outputs: 1, wires: [] },
  ]);
  suite.rt.inject('k-out', { payload: { tls: true } });
  await eventually('acked or failed', () => probe.msgs('acked').length + probe.msgs('error').length > 0, 30000);
  const outcome = probe.msgs('acked').length > 0 ? 'acked' : String(probe.msgs('error')[0].error.message);
  await suite.rt.deploy([]);
  return outcome;
}

test('a flow saved before tls-config (tls: true, caFile on the broker) still produces over SASL_SSL', async () => {
  const topic = unique('ceh-sasl-old');
  topics.push(topic);
  await createTopic(topic, 1);
  assert.equal(await firstOutcome([brokerOfBefore('b')], topic), 'acked');
});

test("a chosen tls-config node wins over the old fields: its 'verify off' connects although the old caFile is unreadable", async () => {
  const topic = unique('ceh-sasl-noverify');
  topics.push(topic);
  await createTopic(topic, 1);
  const broker = { ...brokerOfBefore('b'), usetls: true, tls: 'tls-noverify', caFile: '/nonexistent/ca.pem' };
  const noVerify = tlsConfigNode('tls-noverify', '', false);
  assert.equal(await firstOutcome([noVerify, broker], topic), 'acked');
  // The same broker without the tls-config node reads the old caFile: the test above is not passing by accident.
  const old = await firstOutcome([{ ...broker, usetls: false, tls: true }], topic);
  assert.match(old, /ENOENT.*nonexistent/);
});

test('a tls-config node that is not deployed is a clear error, not a connection with defaults', async () => {
  const broker = secureBroker('b', 'scram-sha-512', ENDPOINTS.scramPassword, 'no-such-tls');
  assert.match(await firstOutcome([broker], unique('ceh-x')), /TLS configuration no-such-tls is not deployed/);
});

test('a wrong password shows a clear status and error on kafka in', async () => {
  probe.clear();
  await suite.rt.deploy([
    tlsConfigNode('tls-ca', ENDPOINTS.caFile),
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
