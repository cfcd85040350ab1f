/*
 * Per-node handles on the shared registry: a node creates one when it starts, calls it on its hot path (a counter is a
 * cached cell: an increment is a map lookup and an add; the sums reach prom-client at scrape time, see
 * addCollector) and closes it when the node closes, which
 * removes every series the node created: a redeployed or deleted node leaves nothing behind in /metrics.
 * A handle made with `enabled: false` does nothing (metrics switched off in the settings).
 */
import { series, addCollector } from './registry';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { RetryKind } from '../gremlin/connection';

export interface MetricsNode {
  id: string;
  name?: string;
}

type Metric = Counter<string> | Gauge<string> | Histogram<string>;
type Labels = Record<string, string>;
interface Cell {
  n: number;
  child: { inc(n: number): void };
}
/** A labelled child of a counter, gauge or histogram: the caller knows which of these it may call. */
interface Child {
  inc(n?: number): void;
  set(v: number): void;
  observe(v: number): void;
}

/** What a closed handle hands out: late events (a write finishing after close) must not bring a series back. */
const DISCARD = { inc: () => undefined, set: () => undefined, observe: () => undefined };

/** Lag of one partition as the lag reader computed it. */
export interface PartitionLagValue {
  topic: string;
  partition: number;
  lag: number;
}

class NodeSeries {
  private readonly base: Labels;
  private readonly children = new Map<string, { metric: Metric; labels: Labels; child: Child }>();
  private readonly cells = new Map<string, Cell>();
  private sampler: (() => void) | null = null;
  private uncollect: (() => void) | null = null;
  private closed = false;

  constructor(
    node: MetricsNode,
    readonly enabled: boolean,
  ) {
    this.base = { node_id: node.id, node_name: node.name || '' };
    if (enabled) this.uncollect = addCollector(() => this.collect());
  }

  /** A counter of this node and the extra labels, as a cell the hot path adds to. */
  protected count(metric: Counter<string>, key: string, extra?: Labels): Cell {
    let cell = this.cells.get(key);
    if (!cell) {
      if (this.closed) return { n: 0, child: DISCARD };
      cell = { n: 0, child: this.child(metric, key, extra) };
      // The series exists from 0 on: Prometheus' rate() and increase() then see the first increment too.
      cell.child.inc(0);
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** Moves the accumulated counts into prom-client and samples the gauges (at scrape time). */
  private collect(): void {
    for (const cell of this.cells.values()) {
      if (cell.n > 0) {
        cell.child.inc(cell.n);
        cell.n = 0;
      }
    }
    this.sampler?.();
  }

  /** The child of `metric` for this node and the extra labels, created once. */
  protected child(metric: Metric, key: string, extra?: Labels): Child {
    let c = this.children.get(key);
    if (!c) {
      if (this.closed) return DISCARD;
      const labels = extra ? { ...this.base, ...extra } : this.base;
      c = { metric, labels, child: (metric as Counter<string>).labels(labels) as unknown as Child };
      this.children.set(key, c);
    }
    return c.child;
  }

  /** Removes one series of this node (e.g. the lag of a partition no longer assigned). */
  protected drop(key: string): void {
    const c = this.children.get(key);
    if (!c) return;
    c.metric.remove(c.labels);
    this.children.delete(key);
    this.cells.delete(key);
  }

  protected keys(prefix: string): string[] {
    return [...this.children.keys()].filter((k) => k.startsWith(prefix));
  }

  protected sampleWith(sample: () => void): void {
    if (this.enabled) this.sampler = sample;
  }

  /** Removes every series of this node from the registry. */
  close(): void {
    this.closed = true;
    this.uncollect?.();
    this.uncollect = null;
    this.sampler = null;
    for (const key of [...this.children.keys()]) this.drop(key);
  }
}

export class KafkaInMetrics extends NodeSeries {
  /** Records sent into the flow from one partition. */
  consumed(topic: string, partition: number, records: number): void {
    if (!this.enabled) return;
    // Looked up by the topic string kafkajs hands over each time (its hash is cached) and the partition number: no key
    // string is built per record.
    let cells = this.consumedCells.get(topic);
    if (!cells) {
      cells = [];
      this.consumedCells.set(topic, cells);
    }
    const cell = (cells[partition] ??= this.count(series.recordsConsumed, `c/${topic}/${partition}`, {
      topic,
      partition: String(partition),
    }));
    cell.n += records;
  }

  private readonly consumedCells = new Map<string, Cell[]>();

  override close(): void {
    this.consumedCells.clear();
    super.close();
  }

  /** A new assignment: the consumed series of every assigned partition start at 0. */
  assigned(assignment: Record<string, number[]>): void {
    for (const [topic, partitions] of Object.entries(assignment))
      for (const p of partitions) this.consumed(topic, p, 0);
  }

  undecodable(topic: string, records = 1): void {
    if (this.enabled) this.count(series.recordsUndecodable, `u/${topic}`, { topic }).n += records;
  }

  /** Sets the lag of every listed partition; partitions not listed any more (rebalanced away) lose their series. */
  lag(lags: PartitionLagValue[]): void {
    if (!this.enabled) return;
    const seen = new Set<string>();
    for (const l of lags) {
      const key = `l/${l.topic}/${l.partition}`;
      seen.add(key);
      this.child(series.consumerLag, key, { topic: l.topic, partition: String(l.partition) }).set(l.lag);
    }
    for (const key of this.keys('l/')) if (!seen.has(key)) this.drop(key);
  }

  /** Reads in-flight records and paused partitions from the node at every scrape. */
  sample(read: () => { inFlight: number; pausedPartitions: number }): void {
    this.sampleWith(() => {
      const v = read();
      this.child(series.inFlight, 'f').set(v.inFlight);
      this.child(series.pausedPartitions, 'p').set(v.pausedPartitions);
    });
  }
}

export class GraphMapMetrics extends NodeSeries {
  constructor(node: MetricsNode, enabled: boolean) {
    super(node, enabled);
    // From 0 at deploy, like kafka in's consumed series at assignment: a first scrape that already saw the first events
    // would leave rate() and increase() blind to them (a short ingest between two scrapes showed a rate of 0).
    this.events(0, 0, 0);
  }

  events(mapped: number, failed: number, skipped: number): void {
    if (!this.enabled) return;
    // Created even at zero so a dashboard shows 0 failures rather than no data.
    this.count(series.eventsMapped, 'm').n += mapped;
    this.count(series.eventsFailed, 'f').n += failed;
    if (skipped) this.count(series.eventsSkipped, 's').n += skipped;
  }
}

export class GremlinUpsertMetrics extends NodeSeries {
  constructor(node: MetricsNode, enabled: boolean) {
    super(node, enabled);
    // From 0 at deploy (see GraphMapMetrics).
    if (enabled) {
      this.child(series.eventsWritten, 'w').inc(0);
      this.child(series.batches, 'b').inc(0);
      this.child(series.poisonEvents, 'p').inc(0);
      this.child(series.abandonedEvents, 'a').inc(0);
    }
  }

  /** One batch left the writer: `events` change sets of which `failed` were refused, after `ms` milliseconds. */
  batch(events: number, failed: number, ms: number): void {
    if (!this.enabled) return;
    this.child(series.eventsWritten, 'w').inc(events - failed);
    this.child(series.batches, 'b').inc();
    this.child(series.batchSize, 'bs').observe(events);
    this.child(series.batchDuration, 'bd').observe(ms / 1000);
  }

  retry(kind: RetryKind): void {
    if (this.enabled) this.child(series.retries, `r/${kind}`, { kind }).inc();
  }

  /** Change sets sent to the error output (refused by the graph, or invalid). */
  poison(events: number): void {
    if (this.enabled) this.child(series.poisonEvents, 'p').inc(events);
  }

  /** Change sets left to their partition's new owner (lib/kafka/partition-leases). */
  abandoned(events: number): void {
    if (this.enabled) this.child(series.abandonedEvents, 'a').inc(events);
  }
}

export class KafkaOutMetrics extends NodeSeries {
  published(topic: string, deadLetter: boolean): void {
    if (!this.enabled) return;
    this.count(series.recordsPublished, `p/${topic}`, { topic }).n++;
    if (deadLetter) this.count(series.deadLetters, `d/${topic}`, { topic }).n++;
  }

  failed(topic: string): void {
    if (this.enabled) this.child(series.publishFailures, `f/${topic}`, { topic }).inc();
  }
}
