/* lib/metrics (series handles on the one registry), lib/kafka/lag-reader (lag arithmetic, read loop) and retryKind. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { metricsText } from '../../lib/metrics/registry';
import { KafkaInMetrics, GraphMapMetrics, GremlinUpsertMetrics, KafkaOutMetrics } from '../../lib/metrics/series';
import { computeLag, LagReader, OffsetAdmin } from '../../lib/kafka/lag-reader';
import { retryKind, TransientError } from '../../lib/gremlin/connection';
import { parseMetrics, select, sum } from '../support/metrics-text';
import { eventually, sleep } from '../support/project';

const scrape = async () => parseMetrics(await metricsText());

test('series carry node id and name (and topic/partition), and a closed node leaves none behind', async () => {
  const a = new KafkaInMetrics({ id: 'in-a', name: 'orders' }, true);
  const b = new KafkaInMetrics({ id: 'in-b', name: '' }, true);
  a.consumed('t1', 0, 5);
  a.consumed('t1', 0, 2);
  a.consumed('t1', 2, 1);
  b.consumed('t1', 0, 10);
  a.undecodable('t1');
  let inFlight = 3;
  a.sample(() => ({ inFlight, pausedPartitions: 1 }));
  a.lag([
    { topic: 't1', partition: 0, lag: 4 },
    { topic: 't1', partition: 2, lag: 0 },
  ]);
  let s = await scrape();
  assert.deepEqual(
    select(s, 'ceh_kafka_in_records_consumed_total', { node_id: 'in-a' }).map((x) => [x.labels, x.value]),
    [
      [{ node_id: 'in-a', node_name: 'orders', topic: 't1', partition: '0' }, 7],
      [{ node_id: 'in-a', node_name: 'orders', topic: 't1', partition: '2' }, 1],
    ],
  );
  assert.equal(sum(s, 'ceh_kafka_in_records_consumed_total', { node_id: 'in-b', node_name: '' }), 10);
  assert.equal(sum(s, 'ceh_kafka_in_records_undecodable_total', { node_id: 'in-a', topic: 't1' }), 1);
  assert.equal(sum(s, 'ceh_kafka_in_records_in_flight', { node_id: 'in-a' }), 3);
  assert.equal(sum(s, 'ceh_kafka_in_paused_partitions', { node_id: 'in-a' }), 1);
  assert.equal(sum(s, 'ceh_kafka_in_consumer_lag', { node_id: 'in-a', partition: '0' }), 4);
  inFlight = 0; // sampled at scrape time
  // Partition 2 rebalanced away: its lag series goes.
  a.lag([{ topic: 't1', partition: 0, lag: 1 }]);
  s = await scrape();
  assert.equal(sum(s, 'ceh_kafka_in_records_in_flight', { node_id: 'in-a' }), 0);
  assert.deepEqual(
    select(s, 'ceh_kafka_in_consumer_lag', { node_id: 'in-a' }).map((x) => x.labels.partition),
    ['0'],
  );

  a.close();
  a.consumed('t1', 0, 1); // a late delivery after close must not bring the series back
  s = await scrape();
  assert.equal(s.filter((x) => x.labels.node_id === 'in-a').length, 0, 'no series of the closed node');
  assert.equal(
    sum(s, 'ceh_kafka_in_records_consumed_total', { node_id: 'in-b' }),
    10,
    'the other node keeps its series',
  );
  b.close();
});

test('graph map and gremlin upsert series exist at 0 from deploy on, so rate() sees the first batch', async () => {
  const map = new GraphMapMetrics({ id: 'map-0', name: '' }, true);
  const up = new GremlinUpsertMetrics({ id: 'up-0', name: '' }, true);
  const s = await scrape();
  for (const name of [
    'ceh_graph_map_events_mapped_total',
    'ceh_graph_map_events_failed_total',
    'ceh_gremlin_upsert_events_written_total',
    'ceh_gremlin_upsert_batches_total',
    'ceh_gremlin_upsert_poison_events_total',
  ]) {
    const found = select(s, name, { node_id: name.startsWith('ceh_graph_map') ? 'map-0' : 'up-0' });
    assert.deepEqual(
      found.map((x) => x.value),
      [0],
      `${name} before any event`,
    );
  }
  map.close();
  up.close();
});

test('graph map, gremlin upsert and kafka out series; a disabled handle records nothing', async () => {
  const map = new GraphMapMetrics({ id: 'map-1', name: 'map orders' }, true);
  map.events(10, 0, 0);
  map.events(3, 2, 1);
  const up = new GremlinUpsertMetrics({ id: 'up-1', name: 'upsert' }, true);
  up.batch(500, 1, 120);
  up.batch(20, 0, 8);
  up.retry('unreachable');
  up.retry('unreachable');
  up.retry('throttled');
  up.poison(1);
  const out = new KafkaOutMetrics({ id: 'out-1', name: 'dlq' }, true);
  out.published('dead', true);
  out.published('dead', false);
  out.failed('dead');
  const off = new GraphMapMetrics({ id: 'map-off', name: 'off' }, false);
  off.events(99, 99, 99);

  const s = await scrape();
  assert.equal(sum(s, 'ceh_graph_map_events_mapped_total', { node_id: 'map-1', node_name: 'map orders' }), 13);
  assert.equal(sum(s, 'ceh_graph_map_events_failed_total', { node_id: 'map-1' }), 2);
  assert.equal(sum(s, 'ceh_graph_map_events_skipped_total', { node_id: 'map-1' }), 1);
  assert.equal(sum(s, 'ceh_gremlin_upsert_events_written_total', { node_id: 'up-1' }), 519);
  assert.equal(sum(s, 'ceh_gremlin_upsert_batches_total', { node_id: 'up-1' }), 2);
  assert.equal(sum(s, 'ceh_gremlin_upsert_batch_size_count', { node_id: 'up-1' }), 2);
  assert.equal(sum(s, 'ceh_gremlin_upsert_batch_size_sum', { node_id: 'up-1' }), 520);
  assert.equal(sum(s, 'ceh_gremlin_upsert_batch_size_bucket', { node_id: 'up-1', le: '100' }), 1);
  assert.equal(sum(s, 'ceh_gremlin_upsert_batch_duration_seconds_sum', { node_id: 'up-1' }), 0.128);
  assert.equal(sum(s, 'ceh_gremlin_upsert_batch_duration_seconds_bucket', { node_id: 'up-1', le: '0.01' }), 1);
  assert.equal(sum(s, 'ceh_gremlin_upsert_retries_total', { node_id: 'up-1', kind: 'unreachable' }), 2);
  assert.equal(sum(s, 'ceh_gremlin_upsert_retries_total', { node_id: 'up-1', kind: 'throttled' }), 1);
  assert.equal(sum(s, 'ceh_gremlin_upsert_poison_events_total', { node_id: 'up-1' }), 1);
  assert.equal(sum(s, 'ceh_kafka_out_records_published_total', { node_id: 'out-1', topic: 'dead' }), 2);
  assert.equal(sum(s, 'ceh_kafka_out_dead_letters_published_total', { node_id: 'out-1', topic: 'dead' }), 1);
  assert.equal(sum(s, 'ceh_kafka_out_publish_failures_total', { node_id: 'out-1' }), 1);
  assert.equal(s.filter((x) => x.labels.node_id === 'map-off').length, 0);
  assert.ok(sum(s, 'process_resident_memory_bytes') > 10e6, 'the process RSS is exported');
  for (const h of [map, up, out]) h.close();
  assert.equal(
    parseMetrics(await metricsText()).filter((x) => ['map-1', 'up-1', 'out-1'].includes(x.labels.node_id)).length,
    0,
  );
});

test('lag = log end offset - committed offset; no commit yet counts from the low watermark; only assigned partitions', () => {
  const lags = computeLag(
    { a: [1, 0], b: [0] },
    {
      a: [
        { partition: 0, high: '10', low: '0' },
        { partition: 1, high: '7', low: '2' },
        { partition: 2, high: '99', low: '0' },
      ],
      b: [{ partition: 0, high: '5', low: '5' }],
    },
    [
      {
        topic: 'a',
        partitions: [
          { partition: 0, offset: '4' },
          { partition: 1, offset: '-1' },
          { partition: 2, offset: '0' },
        ],
      },
      { topic: 'b', partitions: [{ partition: 0, offset: '-1' }] },
    ],
  );
  assert.deepEqual(lags, [
    { topic: 'a', partition: 0, logEnd: 10, committed: 4, lag: 6 },
    { topic: 'a', partition: 1, logEnd: 7, committed: -1, lag: 5 },
    { topic: 'b', partition: 0, logEnd: 5, committed: -1, lag: 0 },
  ]);
});

test('the lag reader reads on an interval, only with an assignment, and disconnects its admin client on stop', async () => {
  const calls: string[] = [];
  let high = 10;
  const admin: OffsetAdmin = {
    connect: async () => {
      calls.push('connect');
    },
    disconnect: async () => {
      calls.push('disconnect');
    },
    fetchTopicOffsets: async (t) => {
      calls.push(`ends ${t}`);
      return [{ partition: 0, offset: String(high), high: String(high), low: '0' }];
    },
    fetchOffsets: async (o) => {
      calls.push(`commits ${o.groupId} ${o.topics.join(',')}`);
      return [{ topic: 't', partitions: [{ partition: 0, offset: '8' }] }];
    },
  };
  const seen: number[] = [];
  const reader = new LagReader(admin, {
    groupId: 'g',
    intervalMs: 20,
    onLag: (l) => seen.push(l.reduce((n, x) => n + x.lag, 0)),
  });
  assert.deepEqual(await reader.read(), [], 'no assignment, nothing to read');
  assert.equal(calls.length, 0, 'and no request');
  reader.setAssignment({ t: [0] });
  reader.start();
  await eventually('a read of the first log end', () => seen.includes(2), 2000, 5);
  high = 12;
  await eventually('a read of the moved log end', () => seen[seen.length - 1] === 4, 2000, 5);
  await reader.stop();
  assert.equal(seen[0], 0);
  assert.equal(seen[1], 2);
  assert.equal(seen[seen.length - 1], 4);
  assert.equal(reader.totalLag, 4);
  assert.equal(calls.filter((c) => c === 'connect').length, 1, 'one admin connection for all reads');
  assert.ok(calls.includes('commits g t'));
  assert.equal(calls[calls.length - 1], 'disconnect');
  const n = seen.length;
  // Time passes on purpose: more than two intervals, in which a reader still running would have read.
  await sleep(50);
  assert.equal(seen.length, n, 'no read after stop');
});

test('retry kinds: no answer is unreachable, 429 and throttling are throttled, the rest of the transient errors conflict', () => {
  assert.equal(
    retryKind(new TransientError('cannot connect to ws://x: ECONNREFUSED', new Error('ECONNREFUSED'))),
    'unreachable',
  );
  assert.equal(retryKind(new TransientError('request timed out after 30000 ms')), 'unreachable');
  assert.equal(retryKind(Object.assign(new Error('Request rate is large'), { statusCode: 429 })), 'throttled');
  assert.equal(retryKind(Object.assign(new Error('RequestRateTooLarge'), { statusCode: 500 })), 'throttled');
  assert.equal(retryKind(Object.assign(new Error('ConcurrentModificationException'), { statusCode: 500 })), 'conflict');
  assert.equal(retryKind(Object.assign(new Error('evaluation exceeded'), { statusCode: 598 })), 'conflict');
});
