/* Kafka error classification (lib/kafka/kafka-errors.ts) on kafkajs's own error classes, wrapped as kafkajs wraps them. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  KafkaJSError,
  KafkaJSProtocolError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSConnectionError,
} from 'kafkajs';
import {
  brokerError,
  brokerErrorType,
  isUnknownTopic,
  isSelfHealingBrokerMessage,
  causeChain,
} from '../../lib/kafka/kafka-errors';
import { describeKafkaLog } from '../../lib/kafka/kafkajs-log';
import { logLevel, type LogEntry } from 'kafkajs';

// kafkajs builds its protocol errors from its table entry ({ type, code, retriable, message }).
const protocol = (type: string) => {
  const info = brokerError(type);
  return new KafkaJSProtocolError(Object.assign(new Error(info.message), info));
};
/** What kafkajs's retrier throws when it gives up (src/retry: the last error as the cause). */
const retriesExceeded = (e: Error) =>
  new KafkaJSNumberOfRetriesExceeded(e, { retryCount: 5, retryTime: 3000, cause: e } as never);

test('an unknown topic is recognised by its broker error type, however kafkajs wrapped it', () => {
  const unknown = protocol('UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(unknown.type, 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal(isUnknownTopic(unknown), true);
  assert.equal(isUnknownTopic(retriesExceeded(unknown)), true, 'retries ran out: the cause');
  assert.equal(isUnknownTopic(Reflect.construct(KafkaJSNonRetriableError, [unknown, { cause: unknown }])), true);
  // new KafkaJSError(e) keeps only the message (kafkajs wraps a rebalance so): kafkajs's table names it.
  assert.equal(brokerErrorType(new KafkaJSError(protocol('REBALANCE_IN_PROGRESS'))), 'REBALANCE_IN_PROGRESS');

  assert.equal(isUnknownTopic(protocol('LEADER_NOT_AVAILABLE')), false);
  assert.equal(
    isUnknownTopic(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')),
    false,
  );
  assert.equal(isUnknownTopic(retriesExceeded(new KafkaJSConnectionError('Connection timeout'))), false);
  assert.equal(isUnknownTopic(new Error('topic does not host this topic-partition, says a user')), false);
  assert.equal(isUnknownTopic(undefined), false);
});

test('the cause chain ends at the original error and survives a cycle', () => {
  const root = new KafkaJSConnectionError('Connection timeout');
  const outer = retriesExceeded(root);
  assert.deepEqual(
    causeChain(outer).map((e) => e.name),
    ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError'],
  );
  const a: { cause?: unknown; message: string } = { message: 'a' };
  a.cause = a;
  assert.equal(causeChain(a).length, 1);
});

test('broker answers kafkajs deals with itself are its retriable ones and a rebalance; others are news', () => {
  for (const type of [
    'GROUP_LOAD_IN_PROGRESS',
    'NOT_COORDINATOR_FOR_GROUP',
    'LEADER_NOT_AVAILABLE',
    'UNKNOWN_TOPIC_OR_PARTITION',
    'REBALANCE_IN_PROGRESS',
  ])
    assert.equal(isSelfHealingBrokerMessage(protocol(type).message), true, type);
  for (const type of ['UNKNOWN_MEMBER_ID', 'TOPIC_AUTHORIZATION_FAILED', 'INVALID_TOPIC_EXCEPTION'])
    assert.equal(isSelfHealingBrokerMessage(protocol(type).message), false, type);
  assert.equal(isSelfHealingBrokerMessage('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), false);
});

test('kafkajs log lines: a consumer crash on a retriable broker answer is debug, on a lost connection an error', () => {
  const entry = (message: string): LogEntry =>
    ({
      namespace: 'Consumer',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: '', logger: 'kafkajs', message },
    }) as never;
  const loading = protocol('GROUP_LOAD_IN_PROGRESS');
  // kafkajs's consumer logs a crash as `Crash: ${e.name}: ${e.message}`.
  assert.equal(describeKafkaLog(entry(`Crash: ${loading.name}: ${loading.message}`)).level, 'debug');
  const gone = new KafkaJSNonRetriableError(
    new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9'),
  );
  assert.equal(describeKafkaLog(entry(`Crash: ${gone.name}: ${gone.message}`)).level, 'error');
});
