/*
 * Partition leases: fencing for work a consumer group member no longer owns. Kafka moves a partition at a rebalance
 * without waiting for what its old owner handed to its flow; records still queued downstream (a graph writer waiting
 * out an outage) would then be written after the new owner wrote newer states of the same keys. So each stretch of
 * ownership of one partition by one member gets a lease number, `kafka in` stamps it on every record it hands out
 * (msg.kafka.lease, carried on into the change set's source by graph map), and the lease ends when the partition is
 * revoked (or the consumer is rebuilt or closed). A writer asks before each write whether a record's lease is still
 * live and leaves it to the new owner otherwise: it was not committed, so the new owner reads it again.
 *
 * Leases are numbers unique within the process, so the registry is process-wide: `kafka in` and `gremlin upsert` are
 * different nodes, maybe in different flows, and a message may be cloned on its way (a number survives that).
 */
import type { EventRef } from '../change-set';

export class PartitionLeases {
  private next = 1;
  private readonly live = new Set<number>();

  /** Starts a lease: a partition was assigned to this member (or fetched for the first time since it was). */
  grant(): number {
    const lease = this.next++;
    this.live.add(lease);
    return lease;
  }

  /** Ends a lease: the partition was revoked, or its consumer rebuilt or closed. */
  end(lease: number): void {
    this.live.delete(lease);
  }

  isLive(lease: number): boolean {
    return this.live.has(lease);
  }

  /** Leases live now (a count for tests and status). */
  get size(): number {
    return this.live.size;
  }

  /** Whether an event may still be written: it names no lease (not from kafka in's flow commits), or a live one. */
  owns(source: EventRef | undefined): boolean {
    return source?.lease === undefined || this.live.has(source.lease);
  }
}

/** The process's registry, shared by every kafka in and gremlin upsert node. */
export const partitionLeases = new PartitionLeases();
