/* The one kafkajs logger adapter (lib/kafka/kafkajs-log.ts). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { logLevel, type LogEntry } from 'kafkajs';
import { describeKafkaLog, kafkaLogCreator, withoutRepeats, type KafkaLogLevel } from '../../lib/kafka/kafkajs-log';
import { brokerError } from '../../lib/kafka/kafka-errors';

const entry = (level: logLevel, log: Record<string, unknown>): LogEntry =>
  ({
    namespace: 'Connection',
    level,
    label: 'ERROR',
    log: { timestamp: '2026-12-01T00:00:00.000Z', logger: 'kafkajs', ...log },
  }) as unknown as LogEntry;

test('kafkajs entries become one sentence each, not JSON, with broker, group and topic named', () => {
  const d = describeKafkaLog(
    entry(logLevel.ERROR, {
      message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092',
      broker: '127.0.0.1:9092',
    }),
  );
  assert.deepEqual(d, {
    level: 'error',
    text: 'kafka: Connection error: connect ECONNREFUSED 127.0.0.1:9092 (broker 127.0.0.1:9092)',
  });
  const r = describeKafkaLog(
    entry(logLevel.ERROR, {
      message: 'Response Metadata(key: 3, version: 6)',
      error: 'The request attempted to perform an operation on an invalid topic',
      broker: 'b:9092',
    }),
  );
  assert.equal(
    r.text,
    'kafka: The request attempted to perform an operation on an invalid topic (answer to Metadata, broker b:9092)',
  );
  const w = describeKafkaLog(
    entry(logLevel.WARN, { message: 'Consumer group is too big.', groupId: 'g1', topic: 't1' }),
  );
  assert.deepEqual(w, { level: 'warn', text: 'kafka: Consumer group is too big (group g1, topic t1)' });
});

test('what kafkajs retries by itself is demoted to debug: coordinator loading, topic being created, retry counters', () => {
  const loading = describeKafkaLog(
    entry(logLevel.ERROR, {
      message: 'Response GroupCoordinator(key: 10, version: 2)',
      error: brokerError('GROUP_LOAD_IN_PROGRESS').message,
      groupId: 'g',
    }),
  );
  assert.equal(loading.level, 'debug');
  assert.match(loading.text, /coordinator is loading/);
  assert.equal(
    describeKafkaLog(
      entry(logLevel.ERROR, { message: 'Response Metadata', error: brokerError('UNKNOWN_TOPIC_OR_PARTITION').message }),
    ).level,
    'debug',
  );
  assert.equal(
    describeKafkaLog(
      entry(logLevel.ERROR, { message: 'Failed to send', error: 'Request timed out', retryCount: 2, retryTime: 700 }),
    ).level,
    'debug',
  );
  assert.match(
    describeKafkaLog(entry(logLevel.ERROR, { message: 'Failed to send', error: 'x', retryCount: 2, retryTime: 700 }))
      .text,
    /retry 2 in 700 ms/,
  );
});

test('the logCreator hands every entry to the sink; withoutRepeats drops a repeat within the window, not debug lines', () => {
  const got: Array<[KafkaLogLevel, string]> = [];
  let clock = 0;
  const sink = withoutRepeats(
    (l, t) => got.push([l, t]),
    60000,
    () => clock,
  );
  const log = kafkaLogCreator(sink)(logLevel.WARN);
  log(entry(logLevel.ERROR, { message: 'Connection error: boom' }));
  log(entry(logLevel.ERROR, { message: 'Connection error: boom' }));
  clock = 61000;
  log(entry(logLevel.ERROR, { message: 'Connection error: boom' }));
  const loading = brokerError('GROUP_LOAD_IN_PROGRESS').message;
  log(entry(logLevel.ERROR, { message: 'Response Metadata', error: loading }));
  log(entry(logLevel.ERROR, { message: 'Response Metadata', error: loading }));
  assert.deepEqual(
    got.map(([l]) => l),
    ['error', 'error', 'debug', 'debug'],
  );
});
