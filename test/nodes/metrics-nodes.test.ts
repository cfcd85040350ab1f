/*
 * The nodes feeding the metrics registry in a real embedded Node-RED against the real broker: kafka in's lag (read
 * from the broker through the admin client), in-flight and paused gauges and its status text while the flow holds the
 * records; the lag falling to 0 once the flow finishes them; and every series of a node gone after it is removed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { unique, eventually } from '../support/project';
import { kafkaTestRuntime, createTopic, produce, brokerNode, holdCode, recordCode } from '../support/kafka-test-kit';
import { metricsText } from '../../lib/metrics/registry';
import { parseMetrics, sum, Sample } from '../support/metrics-text';

const kit = kafkaTestRuntime({ cehMetrics: { lagIntervalMs: 200 } });
const scrape = async (): Promise<Sample[]> => parseMetrics(await metricsText());

test(
  'kafka in: lag per partition from the broker, in flight, paused, status with the lag; 0 once the flow finished',
  { timeout: 60000 },
  async () => {
    const topic = unique('ceh-metrics');
    kit.topics.push(topic);
    await createTopic(topic, 2);
    await produce(
      topic,
      Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }), partition: i % 2 })),
    );
    await kit.rt.deploy([
      brokerNode(),
      {
        id: 'kin',
        type: 'ceh-kafka-in',
        name: 'metered',
        broker: 'broker',
        topics: topic,
        groupId: unique('g-metrics'),
        start: 'earliest',
        valueDecoding: 'json',
        mode: 'message',
        maxInFlight: 6,
        wires: [['hold'], []],
      },
      { id: 'hold', type: 'function', func: holdCode('held'), outputs: 1, wires: [] },
      { id: 'st', type: 'status', scope: ['kin'], wires: [['rec']] },
      { id: 'rec', type: 'function', func: recordCode('status'), outputs: 1, wires: [] },
    ]);
    const statusTexts = () => kit.probe.msgs('status').map((m) => String(m.status?.text ?? ''));

    // The flow holds 6 records: kafka in pauses; nothing is committed, so the lag is every record of each partition.
    await eventually(
      'kafka in to hold 6 records and read the lag',
      async () => {
        const s = await scrape();
        return kit.probe.held('held').length === 6 && sum(s, 'ceh_kafka_in_consumer_lag', { node_id: 'kin' }) === 30;
      },
      30000,
      100,
    );
    let s = await scrape();
    assert.equal(
      sum(s, 'ceh_kafka_in_consumer_lag', { node_id: 'kin', node_name: 'metered', topic, partition: '0' }),
      15,
    );
    assert.equal(sum(s, 'ceh_kafka_in_consumer_lag', { node_id: 'kin', topic, partition: '1' }), 15);
    assert.equal(sum(s, 'ceh_kafka_in_records_in_flight', { node_id: 'kin' }), 6);
    await eventually(
      'the partitions to pause',
      async () => sum(await scrape(), 'ceh_kafka_in_paused_partitions', { node_id: 'kin' }) === 2,
      10000,
      100,
    );
    await eventually(
      'the status to show the lag',
      () => statusTexts().some((t) => /6 in flight, lag 30$/.test(t)),
      10000,
      100,
    );

    // Release everything as it arrives: all 30 finish, are committed, and the lag falls to 0 on both partitions.
    await eventually(
      'all 30 records through the flow',
      () => {
        kit.probe.release('held');
        return kit.probe.list('held').length === 30;
      },
      30000,
      50,
    );
    await eventually(
      'the lag to fall to 0',
      async () => {
        const now = await scrape();
        return (
          sum(now, 'ceh_kafka_in_consumer_lag', { node_id: 'kin' }) === 0 &&
          sum(now, 'ceh_kafka_in_records_in_flight', { node_id: 'kin' }) === 0
        );
      },
      20000,
      100,
    );
    s = await scrape();
    assert.equal(sum(s, 'ceh_kafka_in_records_consumed_total', { node_id: 'kin', topic }), 30);
    assert.equal(sum(s, 'ceh_kafka_in_records_consumed_total', { node_id: 'kin', partition: '0' }), 15);
    assert.equal(sum(s, 'ceh_kafka_in_paused_partitions', { node_id: 'kin' }), 0);
    // The consuming status ends with the assigned partitions ("…, 0 in flight, p0,1"); the lag part must be gone.
    const dropsTheLag = (t: string) => /in flight/.test(t) && !/, lag \d+/.test(t);
    await eventually(
      'the status to drop the lag',
      () => dropsTheLag(statusTexts()[statusTexts().length - 1] ?? ''),
      10000,
      100,
    );

    // Removing the node removes its series.
    await kit.rt.deploy([]);
    assert.equal((await scrape()).filter((x) => x.labels.node_id === 'kin').length, 0, 'no series of the removed node');
  },
);

test(
  'graph map, gremlin upsert and kafka out series are removed with their nodes on redeploy',
  { timeout: 30000 },
  async () => {
    await kit.rt.deploy([
      {
        id: 'map',
        type: 'ceh-graph-map',
        name: 'm',
        spec: 'vertices:\n  c: { label: customer, key: customerId, value: "{{id}}" }\n',
        wires: [['rec'], ['rec']],
      },
      { id: 'rec', type: 'function', func: recordCode('mapped'), outputs: 1, wires: [] },
    ]);
    kit.rt.inject('map', { payload: [{ id: 'a' }, { id: 'b' }, {}] });
    await eventually('the events mapped', () => kit.probe.list('mapped').length === 2, 10000, 50);
    const s = await scrape();
    assert.equal(sum(s, 'ceh_graph_map_events_mapped_total', { node_id: 'map', node_name: 'm' }), 2);
    assert.equal(sum(s, 'ceh_graph_map_events_failed_total', { node_id: 'map' }), 1);
    await kit.rt.deploy([]);
    assert.equal((await scrape()).filter((x) => x.labels.node_id === 'map').length, 0);
  },
);
