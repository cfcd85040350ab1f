/*
 * Consumer lag per partition, read on an interval through the Kafka admin client: log end offset (high watermark) minus
 * the consumer group's committed offset. It is the broker's view, so it also shows what a crashed or slow member left
 * behind, and it agrees with `kafka-consumer-groups.sh --describe`. Only the partitions assigned to this member are
 * read: with several Node-RED instances in one group each reports its own share and the sum is the group's lag.
 * The admin client is injected (kafkajs' Admin in the node, a plain object in unit tests).
 */

/** The part of kafkajs' Admin the reader uses. */
export interface OffsetAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>>;
  fetchOffsets(options: {
    groupId: string;
    topics: string[];
  }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Offset the next produced record gets (high watermark). */
  logEnd: number;
  /** The group's committed offset (next record to consume); -1 when the group never committed on this partition. */
  committed: number;
  /** Records not yet committed. Without a commit: every record still in the log (from the low watermark). */
  lag: number;
}

export type Assignment = Record<string, number[]>;

/** Lag of each assigned partition from the topic offsets and the group's committed offsets. */
export function computeLag(
  assignment: Assignment,
  ends: Record<string, Array<{ partition: number; high: string; low: string }>>,
  committed: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>,
): PartitionLag[] {
  const out: PartitionLag[] = [];
  for (const [topic, partitions] of Object.entries(assignment)) {
    const topicEnds = new Map((ends[topic] ?? []).map((e) => [e.partition, e]));
    const topicCommits = new Map(
      (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    for (const partition of [...partitions].sort((a, b) => a - b)) {
      const end = topicEnds.get(partition);
      if (!end) continue;
      const logEnd = Number(end.high);
      const c = topicCommits.get(partition);
      const commit = c === undefined || !Number.isFinite(c) || c < 0 ? -1 : c;
      const from = commit < 0 ? Number(end.low) : commit;
      out.push({ topic, partition, logEnd, committed: commit, lag: Math.max(0, logEnd - from) });
    }
  }
  return out;
}

export interface LagReaderOptions {
  groupId: string;
  /** Time between two reads (default 5000 ms). */
  intervalMs?: number;
  /** Called after every successful read, with every assigned partition. */
  onLag: (lags: PartitionLag[]) => void;
  /** Called when a read fails (the next one is tried at the next interval). */
  onError?: (err: Error) => void;
}

export class LagReader {
  private assignment: Assignment = {};
  private timer: NodeJS.Timeout | null = null;
  private connected: Promise<void> | null = null;
  private stopped = false;
  private reading: Promise<unknown> = Promise.resolve();
  /** The last read, for status texts. */
  last: PartitionLag[] = [];

  constructor(
    private readonly admin: OffsetAdmin,
    private readonly o: LagReaderOptions,
  ) {}

  get totalLag(): number {
    return this.last.reduce((sum, l) => sum + l.lag, 0);
  }

  /** The partitions this member owns now (from the group join); an empty assignment reports nothing. */
  setAssignment(assignment: Assignment): void {
    this.assignment = Object.fromEntries(Object.entries(assignment).filter(([, p]) => p.length > 0));
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.reading = this.read()
        .catch((e) => this.o.onError?.(e as Error))
        .finally(() => this.schedule(this.o.intervalMs ?? 5000));
    }, ms);
    // A metrics timer never keeps a process alive.
    this.timer.unref?.();
  }

  /** Reads the lag of the assigned partitions once. */
  async read(): Promise<PartitionLag[]> {
    const topics = Object.keys(this.assignment);
    if (topics.length === 0) {
      this.last = [];
      this.o.onLag([]);
      return [];
    }
    if (!this.connected)
      this.connected = this.admin.connect().catch((e) => {
        this.connected = null;
        throw e;
      });
    await this.connected;
    const assignment = this.assignment;
    const [ends, committed] = await Promise.all([
      Promise.all(topics.map(async (t) => [t, await this.admin.fetchTopicOffsets(t)] as const)).then((e) =>
        Object.fromEntries(e),
      ),
      this.admin.fetchOffsets({ groupId: this.o.groupId, topics }),
    ]);
    const lags = computeLag(assignment, ends, committed);
    if (this.stopped) return lags;
    this.last = lags;
    this.o.onLag(lags);
    return lags;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.reading.catch(() => undefined);
    if (this.connected) {
      const c = this.connected;
      this.connected = null;
      await c
        .then(
          () => this.admin.disconnect(),
          () => undefined,
        )
        .catch(() => undefined);
    }
  }
}
