/*
 * The pack's Prometheus metrics: one prom-client registry per Node-RED runtime (this module is loaded once per process,
 * so every node of the pack feeds the same registry) and the series the nodes feed. Framework-free: the nodes hold a
 * handle from series.ts and call it; the admin endpoint renders metricsText().
 *
 * Naming follows Prometheus' conventions: `ceh_<node>_<what>_<unit>`, counters end in `_total`, durations are seconds.
 * Every series carries node_id and node_name, so two `kafka in` nodes on one topic are told apart.
 */
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();

/**
 * Work done at scrape time instead of on the hot path: each live node adds a collector that moves the counts it
 * accumulated in plain numbers into its prom-client series and sets its gauges (in-flight records, paused partitions).
 * prom-client's own inc() with labels costs microseconds (label validation and hashing); a node adds to a number.
 */
const collectors = new Set<() => void>();
export function addCollector(collect: () => void): () => void {
  collectors.add(collect);
  return () => {
    collectors.delete(collect);
  };
}
function collectNodes(): void {
  for (const c of collectors) c();
}
// Process metrics (process_resident_memory_bytes, heap, event loop lag, GC) of the Node-RED process.
collectDefaultMetrics({ register: registry });

const NODE = ['node_id', 'node_name'] as const;
const PARTITION = [...NODE, 'topic', 'partition'] as const;
const TOPIC = [...NODE, 'topic'] as const;

export const series = {
  // kafka in
  recordsConsumed: new Counter({
    name: 'ceh_kafka_in_records_consumed_total',
    help: 'Kafka records kafka in took from a partition and sent into the flow',
    labelNames: PARTITION,
    registers: [registry],
  }),
  recordsUndecodable: new Counter({
    name: 'ceh_kafka_in_records_undecodable_total',
    help: 'Records kafka in could not decode (sent to its error output)',
    labelNames: TOPIC,
    registers: [registry],
  }),
  consumerLag: new Gauge({
    name: 'ceh_kafka_in_consumer_lag',
    help: 'Records behind per partition: log end offset minus the committed offset of the consumer group (refreshed on an interval)',
    labelNames: PARTITION,
    registers: [registry],
  }),
  inFlight: new Gauge({
    name: 'ceh_kafka_in_records_in_flight',
    help: 'Records sent into the flow that the flow has not finished yet',
    labelNames: NODE,
    registers: [registry],
  }),
  pausedPartitions: new Gauge({
    name: 'ceh_kafka_in_paused_partitions',
    help: 'Assigned partitions paused by flow control or stopped after an error',
    labelNames: NODE,
    registers: [registry],
  }),
  // graph map
  eventsMapped: new Counter({
    name: 'ceh_graph_map_events_mapped_total',
    help: 'Events graph map turned into change sets',
    labelNames: NODE,
    registers: [registry],
  }),
  eventsFailed: new Counter({
    name: 'ceh_graph_map_events_failed_total',
    help: 'Events graph map could not map (sent to its error output)',
    labelNames: NODE,
    registers: [registry],
  }),
  eventsSkipped: new Counter({
    name: 'ceh_graph_map_events_skipped_total',
    help: 'Events graph map skipped on purpose (Debezium tombstones)',
    labelNames: NODE,
    registers: [registry],
  }),
  // gremlin upsert
  eventsWritten: new Counter({
    name: 'ceh_gremlin_upsert_events_written_total',
    help: 'Change sets written to the graph',
    labelNames: NODE,
    registers: [registry],
  }),
  batches: new Counter({
    name: 'ceh_gremlin_upsert_batches_total',
    help: 'Batches written (each a constant number of requests)',
    labelNames: NODE,
    registers: [registry],
  }),
  batchSize: new Histogram({
    name: 'ceh_gremlin_upsert_batch_size',
    help: 'Change sets per batch',
    labelNames: NODE,
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [registry],
  }),
  batchDuration: new Histogram({
    name: 'ceh_gremlin_upsert_batch_duration_seconds',
    help: 'Time from a batch leaving the queue to the graph acknowledging it, retries included',
    labelNames: NODE,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  }),
  retries: new Counter({
    name: 'ceh_gremlin_upsert_retries_total',
    help: 'Requests retried, by kind: unreachable (no answer), conflict (concurrent modification, locking, server timeout), throttled (rate limits)',
    labelNames: [...NODE, 'kind'],
    registers: [registry],
  }),
  poisonEvents: new Counter({
    name: 'ceh_gremlin_upsert_poison_events_total',
    help: 'Change sets the graph refused, isolated from their batch and sent to the error output',
    labelNames: NODE,
    registers: [registry],
  }),
  abandonedEvents: new Counter({
    name: 'ceh_gremlin_upsert_abandoned_events_total',
    help: 'Change sets not written because their Kafka partition moved to another consumer (its new owner writes them)',
    labelNames: NODE,
    registers: [registry],
  }),
  // kafka out
  recordsPublished: new Counter({
    name: 'ceh_kafka_out_records_published_total',
    help: 'Records kafka out published (acknowledged by the broker)',
    labelNames: TOPIC,
    registers: [registry],
  }),
  deadLetters: new Counter({
    name: 'ceh_kafka_out_dead_letters_published_total',
    help: 'Published dead letters (kafka out in dead-letter mode, or a message carrying msg.error from an error output)',
    labelNames: TOPIC,
    registers: [registry],
  }),
  publishFailures: new Counter({
    name: 'ceh_kafka_out_publish_failures_total',
    help: 'Records kafka out could not publish (reported with done(err))',
    labelNames: TOPIC,
    registers: [registry],
  }),
};

export type SeriesName = keyof typeof series;

/** The Prometheus text exposition of everything registered. */
export function metricsText(): Promise<string> {
  collectNodes();
  return registry.metrics();
}

export const metricsContentType = registry.contentType;
