/*
 * Offset tracker: which offset each partition may commit. Records are handed to the flow in offset order; each
 * delivery (one record, or one batch of records) finishes whenever the flow is done with it, in any order. The
 * committable offset of a partition is one past the last record of the longest fully finished prefix, so a commit
 * never skips a record the flow has not finished (at-least-once). Records finished after an unfinished one wait.
 * With a lease registry, each partition's tracking holds a lease from its first delivery until it is revoked or reset
 * (lib/kafka/partition-leases): what the flow still holds of a revoked partition is then known to be stale.
 */
import type { PartitionLeases } from './partition-leases';

/** One delivery to the flow: records first..last of one partition, carried by `parts` Node-RED messages. */
export interface Delivery {
  readonly topic: string;
  readonly partition: number;
  readonly first: bigint;
  readonly last: bigint;
  /** Records in this delivery (counts against the in-flight bound). */
  readonly records: number;
  parts: number;
  finished: boolean;
  /** False once the partition was revoked or the tracker reset: finishing it changes nothing. */
  live: boolean;
}

export class PartitionOffsets {
  private queue: Delivery[] = [];
  private head = 0;
  /** The next offset this partition expects; records below it were already handed out (duplicates are skipped). */
  private expected: bigint | null = null;
  /** Next offset to commit (one past the finished prefix), or null before anything finished. */
  private finishedUpTo: bigint | null = null;
  private committedUpTo: bigint | null = null;
  /** Set when a delivery failed and the partition is configured to stop there: nothing at or after it commits. */
  stoppedAt: bigint | null = null;
  inFlightRecords = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** This stretch of ownership's lease, stamped on the records handed out; none without a registry. */
    readonly lease?: number,
  ) {}

  /** True when offset was already handed out since this partition was assigned (kafkajs re-fetches after a rejoin). */
  isDuplicate(offset: string | bigint): boolean {
    return this.expected !== null && BigInt(offset) < this.expected;
  }

  /** Registers the delivery of records first..last (inclusive), carried by `parts` messages. */
  begin(first: string | bigint, last: string | bigint = first, records = 1, parts = 1): Delivery {
    const f = BigInt(first);
    const l = BigInt(last);
    if (l < f) throw new Error(`last offset ${l} before first ${f}`);
    if (this.expected !== null && f < this.expected)
      throw new Error(`offset ${f} was already delivered on ${this.topic}/${this.partition}`);
    const d: Delivery = {
      topic: this.topic,
      partition: this.partition,
      first: f,
      last: l,
      records,
      parts,
      finished: false,
      live: true,
    };
    this.queue.push(d);
    this.expected = l + 1n;
    this.inFlightRecords += records;
    return d;
  }

  /** One message of the delivery finished; returns true when this made the whole delivery finished. */
  finishPart(d: Delivery): boolean {
    if (!d.live || d.finished) return false;
    d.parts -= 1;
    if (d.parts > 0) return false;
    d.finished = true;
    this.inFlightRecords -= d.records;
    this.advance();
    return true;
  }

  /** Marks the partition stopped at this delivery: later finishes no longer move the commit point. */
  stop(d: Delivery): void {
    if (!d.live) return;
    if (this.stoppedAt === null || d.first < this.stoppedAt) this.stoppedAt = d.first;
  }

  private advance(): void {
    while (this.head < this.queue.length && this.queue[this.head].finished) {
      const d = this.queue[this.head];
      if (this.stoppedAt !== null && d.first >= this.stoppedAt) break;
      this.finishedUpTo = d.last + 1n;
      this.head += 1;
    }
    // Drop the consumed prefix now and then so memory stays proportional to what is in flight.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The offset to commit now (as kafkajs wants it: one past the last finished record), or null if nothing new. */
  pendingCommit(): string | null {
    if (this.finishedUpTo === null) return null;
    if (this.committedUpTo !== null && this.finishedUpTo <= this.committedUpTo) return null;
    return this.finishedUpTo.toString();
  }

  markCommitted(offset: string): void {
    const o = BigInt(offset);
    if (this.committedUpTo === null || o > this.committedUpTo) this.committedUpTo = o;
  }

  /** Whether a commit at this offset (or past it) was confirmed. */
  hasCommitted(offset: string): boolean {
    return this.committedUpTo !== null && this.committedUpTo >= BigInt(offset);
  }

  /** Forgets every delivery (partition revoked): their late finishes are ignored. */
  release(): void {
    for (let i = this.head; i < this.queue.length; i++) this.queue[i].live = false;
    this.queue = [];
    this.head = 0;
    this.inFlightRecords = 0;
  }
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: string;
}

/** All partitions of one consumer. */
export class OffsetTracker {
  private partitions = new Map<string, PartitionOffsets>();

  /** leases: grants a lease per partition tracked and ends it when the partition is forgotten. */
  constructor(private readonly leases?: PartitionLeases) {}

  private static key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** The partition asked for last: a delivery's finish looks up its partition, mostly the same as the last one. */
  private last: PartitionOffsets | null = null;

  get(topic: string, partition: number): PartitionOffsets {
    const hit = this.last;
    if (hit !== null && hit.partition === partition && hit.topic === topic) return hit;
    const k = OffsetTracker.key(topic, partition);
    let p = this.partitions.get(k);
    if (!p) {
      p = new PartitionOffsets(topic, partition, this.leases?.grant());
      this.partitions.set(k, p);
    }
    this.last = p;
    return p;
  }

  /** Records handed out and not finished, over all partitions. */
  get inFlightRecords(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.inFlightRecords;
    return n;
  }

  /** Offsets to commit now, one entry per partition that advanced. */
  pendingCommits(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const p of this.partitions.values()) {
      const offset = p.pendingCommit();
      if (offset !== null) out.push({ topic: p.topic, partition: p.partition, offset });
    }
    return out;
  }

  markCommitted(commits: TopicPartitionOffset[]): void {
    for (const c of commits) this.get(c.topic, c.partition).markCommitted(c.offset);
  }

  /** Whether this commit was confirmed (markCommitted at its offset or past it). */
  hasCommitted(commit: TopicPartitionOffset): boolean {
    return this.get(commit.topic, commit.partition).hasCommitted(commit.offset);
  }

  /**
   * Keeps only the partitions of a new assignment (after a rebalance). Revoked partitions are forgotten: their
   * unfinished records will be delivered again by their new owner, and their leases end. A partition kept keeps its
   * lease: its records in flight still commit here.
   */
  retain(assignment: Record<string, number[]>): void {
    this.last = null;
    for (const [k, p] of this.partitions) {
      if (!(assignment[p.topic] || []).includes(p.partition)) {
        this.forget(p);
        this.partitions.delete(k);
      }
    }
  }

  /** Forgets everything (consumer recreated): the broker's committed offsets are the truth again. */
  reset(): void {
    this.last = null;
    for (const p of this.partitions.values()) this.forget(p);
    this.partitions.clear();
  }

  private forget(p: PartitionOffsets): void {
    p.release();
    if (p.lease !== undefined) this.leases?.end(p.lease);
  }
}
