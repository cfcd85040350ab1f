/*
 * The consumer runner: the state machine behind `kafka in`, free of Node-RED. It drives one consumer group member
 * (injected, so unit tests fake it), hands decoded records to a delivery sink and learns from it when the flow has
 * finished each one, and reports what it is doing to a status sink. Its concerns:
 *   - flow control: at most maxInFlight unfinished records; when full it first waits a little for room, then pauses
 *     every partition and resumes once the backlog is down to half (so it does not flap on every finished message);
 *   - commits: per partition, only up to the first unfinished record (OffsetTracker), a little after records finish
 *     so bursts share one request; a failed commit is retried with the next one;
 *   - errors: a record the flow failed stops its partition when so configured; a consumer that crashed for good is
 *     dropped and a new one is built after a delay, so a broker outage needs no redeploy.
 * Observers (metrics, tests) subscribe to its events; see RunnerEvents.
 */
import { KafkaConfigError } from './config-problem';
import { EventEmitter } from 'events';
import { decodeRecord, toBatch, DecodeMode, RawRecord, RecordMeta, BatchMeta } from './codec';
import { OffsetTracker, Delivery, TopicPartitionOffset } from './offset-tracker';
import { PartitionLeases, partitionLeases } from './partition-leases';
import { isUnknownTopic } from './kafka-errors';
import { holdsOffset } from './dead-letter';

/** A fetched batch of one partition, as kafkajs's eachBatch hands it over (only what the runner uses). */
export interface RunnerBatch {
  batch: { topic: string; partition: number; messages: RawRecord[] };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** What the runner needs of a kafkajs consumer; a kafkajs Consumer is one, a unit test's fake is another. */
export interface RunnerConsumer {
  readonly events: {
    readonly FETCH: string;
    readonly HEARTBEAT: string;
    readonly GROUP_JOIN: string;
    readonly CRASH: string;
    /** Emitted once the broker accepted an offset commit (payload: the topics, partitions and offsets committed). */
    readonly COMMIT_OFFSETS: string;
    readonly REBALANCING?: string;
  };
  on(event: string, listener: (event: { payload: unknown }) => void): unknown;
  connect(): Promise<void>;
  subscribe(subscription: { topics: Array<string | RegExp>; fromBeginning?: boolean }): Promise<void>;
  run(config: {
    autoCommit: boolean;
    autoCommitInterval: number;
    eachBatchAutoResolve: boolean;
    partitionsConsumedConcurrently: number;
    eachBatch: (payload: RunnerBatch) => Promise<void>;
  }): Promise<void>;
  pause(topics: TopicPartitions[]): void;
  resume(topics: TopicPartitions[]): void;
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Group membership timings. The session timeout is how long the broker waits for a member that stopped heartbeating
 * (a killed process) before its partitions move: the pause after a crash. Too short and a member starved of CPU
 * misses heartbeats and triggers false rebalances. 10 s / 1 s: a kill -9 → resumed pause of about the session
 * timeout plus one rebalance (README "Scaling out" has the figures measured on the loaded 2-core machine), while
 * heartbeats every second leave ten chances per session. The broker accepts 6 s .. 300 s by default
 * (group.min/max.session.timeout.ms). A clean stop leaves the group at once whatever these are.
 */
export const DEFAULT_GROUP_TIMINGS = { sessionTimeoutMs: 10000, heartbeatMs: 1000 };

/** Validates session timeout and heartbeat (clear errors for the node's status). */
export function checkGroupTimings(
  sessionTimeoutMs: number,
  heartbeatMs: number,
): { sessionTimeoutMs: number; heartbeatMs: number } {
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1000)
    throw new KafkaConfigError({ code: 'session-timeout', value: sessionTimeoutMs });
  if (!Number.isInteger(heartbeatMs) || heartbeatMs < 100)
    throw new KafkaConfigError({ code: 'heartbeat', value: heartbeatMs });
  if (heartbeatMs * 3 > sessionTimeoutMs)
    throw new KafkaConfigError({ code: 'heartbeat-vs-session', heartbeatMs, sessionTimeoutMs });
  return { sessionTimeoutMs, heartbeatMs };
}

/** kafkajs consumer settings the runner relies on (pass them to kafka.consumer()). */
export function consumerConfig(
  groupId: string,
  timings: { sessionTimeoutMs: number; heartbeatMs: number } = DEFAULT_GROUP_TIMINGS,
) {
  return {
    groupId,
    allowAutoTopicCreation: false,
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10000 },
    sessionTimeout: timings.sessionTimeoutMs,
    // kafkajs' default rebalance timeout is 60 s; a rejoin waits at most this long for the slowest member.
    rebalanceTimeout: Math.max(timings.sessionTimeoutMs, 30000),
    heartbeatInterval: timings.heartbeatMs,
    // Short fetch wait: kafkajs sleeps this long when every partition is paused, so a resume takes effect quickly.
    maxWaitTimeInMs: 100,
  };
}

/** A message for the flow: output 0 carries decoded records, output 1 records that could not be decoded. */
export interface Outgoing {
  output: 0 | 1;
  msg: { payload: unknown; topic: string; kafka: RecordMeta | BatchMeta; error?: { message: string; field?: string } };
}

/**
 * Where the runner sends messages. It must call finished() once the flow is done with the message (error if a node
 * failed it). Each out.msg is a new object the sink may keep and change (it becomes the Node-RED message).
 */
export interface DeliverySink {
  send(out: Outgoing, finished: (error?: Error) => void): void;
}

/** What the consumer is doing; the adapter turns it into a node status. Reported only when it changes. */
export type RunnerStatus =
  | { state: 'connecting' }
  | { state: 'waiting'; topics: string[] }
  | { state: 'rejoining'; groupId: string }
  | { state: 'error'; error: string }
  | { state: 'silent'; seconds: number; inFlight: number }
  | { state: 'stopped'; partitions: string[]; inFlight: number }
  | { state: 'paused'; inFlight: number }
  | { state: 'consuming'; rate: number; inFlight: number; assignment: Record<string, number[]> };

/**
 * This member's partitions, short enough for a status line: "p0,3" when every topic has the same ones (a group
 * over topics with equal partition counts), else "topic:p0,3 ..." per topic.
 */
export function describeAssignment(assignment: Record<string, number[]>): string {
  const lists = Object.entries(assignment)
    .filter(([, ps]) => ps.length)
    .map(([t, ps]) => [t, [...ps].sort((a, b) => a - b).join(',')] as const);
  if (lists.length === 0) return 'no partitions';
  if (lists.every(([, l]) => l === lists[0][1])) return `p${lists[0][1]}`;
  return lists.map(([t, l]) => `${t}:p${l}`).join(' ');
}

/** Something the user should hear about once (the adapter reports it as a node error). */
export type RunnerProblem =
  | { kind: 'consumer'; context: 'consumer stopped' | 'cannot consume'; error: Error }
  | { kind: 'waiting-for-topic'; topics: string[] }
  | { kind: 'partition-stopped'; topic: string; partition: number; offset: bigint; error: Error };

export interface StatusSink {
  status(status: RunnerStatus): void;
  problem(problem: RunnerProblem): void;
  debug(text: string): void;
}

export interface RunnerSettings {
  topics: string[] | RegExp[];
  fromBeginning: boolean;
  /** One message per fetched batch instead of one per record. */
  batchMode: boolean;
  /** 'flow': commit what the flow finished (at-least-once); 'auto': kafkajs commits what was handed out. */
  commitMode: 'flow' | 'auto';
  /** A record the flow failed stops its partition there (nothing at or after it is committed). */
  stopOnError: boolean;
  decoding: { value: DecodeMode; key: DecodeMode };
  maxInFlight: number;
  /** Named in the "rejoining group" status. */
  groupId?: string;
}

export interface RunnerTimings {
  /** Delay before re-creating a consumer that failed to connect or crashed for good. */
  reconnectMs: number;
  /** Finished offsets are committed this long after they finish, so bursts share one commit request. */
  commitDelayMs: number;
  /**
   * When the flow is full, eachBatch first waits this long for it to make room before pausing: a pause makes kafkajs
   * sleep maxWaitTimeInMs per fetch while all partitions are paused, which capped a fast flow at ~10 batches/s.
   */
  roomWaitMs: number;
  /** Without a fetch or heartbeat answered for this long, the status says so (kafkajs retries silently for minutes). */
  silentMs: number;
  /** How often the status (and its message rate) is refreshed. */
  statusEveryMs: number;
}

export const DEFAULT_TIMINGS: RunnerTimings = {
  reconnectMs: 3000,
  commitDelayMs: 200,
  roomWaitMs: 1000,
  silentMs: 10000,
  statusEveryMs: 1000,
};

/** Observations for metrics and tests; the runner works the same with no listener. */
export interface RunnerEvents {
  /** Records handed to the flow (one delivery: a record, or a batch). */
  delivered: [delivery: Delivery];
  /** The flow finished a delivery (error: a node failed one of its messages). */
  finished: [delivery: Delivery, error: Error | undefined];
  committed: [offsets: TopicPartitionOffset[]];
  commitFailed: [error: Error];
  paused: [];
  resumed: [];
  /** This member's partitions after a group join (a rebalance). */
  assigned: [assignment: Record<string, number[]>];
  /** The consumer crashed for good and will be rebuilt. */
  restarting: [error: Error];
}

/** Validates the in-flight bound (a clear error for the node's status). */
export function checkMaxInFlight(maxInFlight: number): number {
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
    throw new KafkaConfigError({ code: 'max-in-flight', value: maxInFlight });
  return maxInFlight;
}

export class ConsumerRunner extends EventEmitter<RunnerEvents> {
  private readonly timings: RunnerTimings;
  private readonly offsets: OffsetTracker;
  private consumer: RunnerConsumer | null = null;
  private closing = false;
  private assignment: Record<string, number[]> = {};
  private readonly stoppedPartitions = new Set<string>();
  /** "topic/partition"s the consumer has paused because we told it to (kafkajs keeps them across a rejoin). */
  private readonly pausedInConsumer = new Set<string>();
  private paused = false;
  private commitTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();
  private roomWaiter: (() => void) | null = null;
  private state: 'connecting' | 'waiting' | 'rejoining' | 'consuming' | 'error' = 'connecting';
  private errorText = '';
  private received = 0;
  private rateSince = Date.now();
  private rate = 0;
  private lastStatus = '';
  /** When the broker last answered a fetch or a heartbeat. */
  private lastContact = Date.now();
  /** The last consumer error reported; cleared once consuming again, so each distinct error is reported once. */
  private lastReported = '';

  constructor(
    private readonly settings: RunnerSettings,
    private readonly createConsumer: () => RunnerConsumer,
    private readonly sink: DeliverySink,
    private readonly statusSink: StatusSink,
    timings: Partial<RunnerTimings> = {},
    /**
     * Where partition leases come from (the process's registry unless a test brings its own); null for none. Only
     * flow commits are fenced: when a record handed out may already be committed (auto commit, or a runtime without
     * message hooks that finishes records at send), a writer dropping it later would lose it.
     */
    leases: PartitionLeases | null = partitionLeases,
  ) {
    super();
    checkMaxInFlight(settings.maxInFlight);
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
    this.offsets = new OffsetTracker(settings.commitMode === 'flow' && leases ? leases : undefined);
  }

  /** Records handed to the flow and not finished yet. */
  get inFlight(): number {
    return this.offsets.inFlightRecords;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Assigned partitions not being fetched: all of them while paused by flow control, else the stopped ones. */
  get pausedPartitions(): number {
    return this.paused ? Object.values(this.assignment).reduce((n, p) => n + p.length, 0) : this.stoppedPartitions.size;
  }

  /** Starts consuming (and keeps doing so across crashes) until close(). */
  start(): void {
    this.statusTimer = setInterval(() => {
      const now = Date.now();
      this.rate = Math.round((this.received * 1000) / Math.max(1, now - this.rateSince));
      this.received = 0;
      this.rateSince = now;
      this.showStatus();
    }, this.timings.statusEveryMs);
    this.showStatus();
    void this.connect();
  }

  /** Commits what the flow finished, then leaves the group so the partitions move on at once. */
  async close(): Promise<void> {
    this.closing = true;
    this.roomWaiter?.();
    if (this.statusTimer) {
      clearInterval(this.statusTimer);
      this.statusTimer = null;
    }
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = null;
    }
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    const c = this.consumer;
    try {
      if (c) {
        await this.commitFinished();
        await c.disconnect().catch(() => undefined);
      }
    } finally {
      this.consumer = null;
      this.offsets.reset();
    }
  }

  // --- status -------------------------------------------------------------------------------------------------

  private currentStatus(): RunnerStatus {
    const inFlight = this.offsets.inFlightRecords;
    if (this.state === 'error') return { state: 'error', error: this.errorText };
    if (this.state === 'connecting') return { state: 'connecting' };
    if (this.state === 'waiting') return { state: 'waiting', topics: this.topicNames() };
    if (this.state === 'rejoining') return { state: 'rejoining', groupId: this.settings.groupId ?? '' };
    const silentFor = Date.now() - this.lastContact;
    if (silentFor > this.timings.silentMs) return { state: 'silent', seconds: Math.round(silentFor / 1000), inFlight };
    if (this.stoppedPartitions.size > 0) return { state: 'stopped', partitions: [...this.stoppedPartitions], inFlight };
    if (this.paused) return { state: 'paused', inFlight };
    return { state: 'consuming', rate: this.rate, inFlight, assignment: this.assignment };
  }

  private showStatus(): void {
    const s = this.currentStatus();
    const key = JSON.stringify(s);
    if (key !== this.lastStatus) {
      this.lastStatus = key;
      this.statusSink.status(s);
    }
  }

  // --- flow control -------------------------------------------------------------------------------------------

  /** How many more records may be handed out now (0 when full). */
  private room(): number {
    return Math.max(0, this.settings.maxInFlight - this.offsets.inFlightRecords);
  }

  /** The backlog is down to half the bound: a paused consumer resumes, a waiting eachBatch goes on. */
  private drained(): boolean {
    return this.offsets.inFlightRecords <= Math.floor(this.settings.maxInFlight / 2);
  }

  private assignedPartitions(): TopicPartitions[] {
    return Object.entries(this.assignment)
      .map(([topic, partitions]) => ({
        topic,
        partitions: partitions.filter((p) => !this.stoppedPartitions.has(`${topic}/${p}`)),
      }))
      .filter((t) => t.partitions.length > 0);
  }

  /**
   * Pauses or resumes partitions; false when the consumer refused. kafkajs throws while it rebuilds its consumer
   * group after a crash ("Consumer group was not initialized"); that new group starts with nothing paused and the
   * runner pauses again at its join, so a refusal is no error. It must not throw: this runs in the flow's finish
   * callbacks, where an exception is an uncaught one and ends the Node-RED process.
   */
  private tell(verb: 'pause' | 'resume', topics: TopicPartitions[]): boolean {
    try {
      this.consumer?.[verb](topics);
      for (const { topic, partitions } of topics)
        for (const p of partitions) {
          if (verb === 'pause') this.pausedInConsumer.add(`${topic}/${p}`);
          else this.pausedInConsumer.delete(`${topic}/${p}`);
        }
      return true;
    } catch (e) {
      this.statusSink.debug(`${verb} refused (the consumer restarts): ${(e as Error).message}`);
      return false;
    }
  }

  private pauseAll(): void {
    if (!this.consumer || this.paused) return;
    const all = Object.entries(this.assignment).map(([topic, partitions]) => ({ topic, partitions }));
    if (!this.tell('pause', all)) return;
    this.paused = true;
    this.emit('paused');
    this.showStatus();
  }

  private resumeIfDrained(): void {
    if (!this.consumer || !this.paused || !this.drained()) return;
    this.paused = false;
    const parts = this.assignedPartitions();
    if (parts.length) this.tell('resume', parts);
    this.emit('resumed');
    this.showStatus();
  }

  /** Resolves once the flow worked its backlog down to the resume mark (or after ms). */
  private waitForRoom(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.roomWaiter = null;
        resolve();
      }, ms);
      this.roomWaiter = () => {
        clearTimeout(timer);
        this.roomWaiter = null;
        resolve();
      };
    });
  }

  // --- commits ------------------------------------------------------------------------------------------------

  private scheduleCommit(): void {
    if (this.settings.commitMode !== 'flow' || this.commitTimer || this.closing) return;
    this.commitTimer = setTimeout(() => {
      this.commitTimer = null;
      void this.commitFinished();
    }, this.timings.commitDelayMs);
  }

  /** Commits, per partition, everything below the first unfinished record. */
  private commitFinished(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const c = this.consumer;
      if (!c || this.settings.commitMode !== 'flow') return;
      const commits = this.offsets.pendingCommits();
      if (commits.length === 0) return;
      try {
        await c.commitOffsets(commits);
        // Only the consumer's COMMIT_OFFSETS event (marked in connect()) says the broker took a commit: while kafkajs
        // rebuilds its group after a crash and has not joined yet, commitOffsets resolves without committing. Counted
        // as done, such a commit was never sent again, and the group's committed offset stayed behind for good.
        const confirmed = commits.filter((x) => this.offsets.hasCommitted(x));
        if (confirmed.length) this.emit('committed', confirmed);
        if (confirmed.length < commits.length) {
          const e = new Error('the consumer did not commit (it is not running: rejoining after a crash)');
          this.statusSink.debug(`commit not taken, will retry: ${e.message}`);
          this.emit('commitFailed', e);
          if (!this.closing) this.scheduleCommit();
        }
      } catch (e) {
        // A rebalance or broker outage: the offsets stay pending and go with the next commit.
        this.statusSink.debug(`commit failed, will retry: ${(e as Error).message}`);
        this.emit('commitFailed', e as Error);
        if (!this.closing) this.scheduleCommit();
      }
    });
    return this.committing;
  }

  // --- delivery -----------------------------------------------------------------------------------------------

  private finishPart(d: Delivery, error: Error | undefined): void {
    if (!d.live) return;
    const part = this.offsets.get(d.topic, d.partition);
    // A dead letter that was not written stops the partition in either error mode: committing past it would lose the
    // event (it is in neither the graph nor the dead-letter topic). With auto commit it is committed already.
    if (error && (this.settings.stopOnError || (this.settings.commitMode === 'flow' && holdsOffset(error)))) {
      part.stop(d);
      const key = `${d.topic}/${d.partition}`;
      if (!this.stoppedPartitions.has(key)) {
        this.stoppedPartitions.add(key);
        this.tell('pause', [{ topic: d.topic, partitions: [d.partition] }]);
        this.statusSink.problem({
          kind: 'partition-stopped',
          topic: d.topic,
          partition: d.partition,
          offset: d.first,
          error,
        });
        this.showStatus();
      }
    }
    if (part.finishPart(d)) this.emit('finished', d, error);
    if (this.roomWaiter && this.drained()) this.roomWaiter();
    this.resumeIfDrained();
    this.scheduleCommit();
  }

  /** Sends the messages of one delivery, each tracked until the flow is done with it. */
  private deliver(d: Delivery, outs: Outgoing[]): void {
    this.received += d.records;
    this.emit('delivered', d);
    for (const out of outs) this.sink.send(out, (err) => this.finishPart(d, err));
  }

  private decodeInto(topic: string, partition: number, take: RawRecord[]): Outgoing[] {
    const decoded = take.map((m) => decodeRecord(topic, partition, m, this.settings.decoding));
    const outs: Outgoing[] = [];
    if (this.settings.batchMode) {
      const good = decoded.filter((r) => r.ok) as Array<{ payload: unknown; meta: RecordMeta }>;
      if (good.length) {
        const b = toBatch(topic, partition, good);
        outs.push({ output: 0, msg: { payload: b.payload, topic, kafka: b.meta } });
      }
    } else if (decoded[0].ok) {
      outs.push({ output: 0, msg: { payload: decoded[0].payload, topic, kafka: decoded[0].meta } });
    }
    for (const r of decoded) {
      if (r.ok) continue;
      const { meta } = r;
      outs.push({
        output: 1,
        msg: {
          payload: r.raw,
          topic: meta.topic,
          kafka: meta,
          error: {
            message: `record ${meta.topic}/${meta.partition}@${meta.offset}: ${r.error.message}`,
            field: r.error.field,
          },
        },
      });
    }
    return outs;
  }

  private readonly eachBatch = async (p: RunnerBatch): Promise<void> => {
    const { topic, partition } = p.batch;
    const part = this.offsets.get(topic, partition);
    if (part.stoppedAt !== null) return;
    const messages = p.batch.messages;
    const gone = () => this.closing || !p.isRunning() || p.isStale();
    // Only an await lets closing, a stop or a seek happen, so gone() is asked again after each one, not per record
    // (kafkajs's isStale builds a key string per call: a visible share of the per-message CPU, issue 17).
    let ask = true;
    let i = 0;
    while (i < messages.length) {
      if (ask && gone()) return;
      ask = false;
      // Records handed out before a rejoin come again from the committed offset: skip them.
      if (part.isDuplicate(messages[i].offset)) {
        p.resolveOffset(messages[i].offset);
        i += 1;
        continue;
      }
      let room = this.room();
      if (room === 0) {
        await p.heartbeat();
        await this.waitForRoom(this.timings.roomWaitMs);
        if (gone()) return;
        room = this.room();
        if (room === 0) {
          this.pauseAll();
          return;
        }
      }
      const take: RawRecord[] = [];
      while (i < messages.length && take.length < (this.settings.batchMode ? room : 1)) {
        if (part.isDuplicate(messages[i].offset)) break;
        take.push(messages[i]);
        i += 1;
      }
      if (take.length === 0) continue;
      const outs = this.decodeInto(topic, partition, take);
      if (part.lease !== undefined) for (const o of outs) o.msg.kafka.lease = part.lease;
      const d = part.begin(take[0].offset, take[take.length - 1].offset, take.length, outs.length);
      p.resolveOffset(take[take.length - 1].offset);
      this.deliver(d, outs);
      if (i % 200 === 0) {
        await p.heartbeat();
        ask = true;
      }
    }
    // Full now: no pause here; the next eachBatch waits for room first and pauses only if none comes.
  };

  // --- the consumer's life ------------------------------------------------------------------------------------

  /** The subscribed topics as a person names them (a regex as /…/). */
  private topicNames(): string[] {
    return (this.settings.topics as Array<string | RegExp>).map((t) => (typeof t === 'string' ? t : String(t)));
  }

  /**
   * A topic that does not exist (yet) is not a failure: a fresh broker has none until a producer or `stack:up`
   * creates them. Wait, say so once, and try again until it appears.
   */
  private waitForTopic(c: RunnerConsumer, e: Error): void {
    const first = this.state !== 'waiting';
    this.state = 'waiting';
    this.showStatus();
    if (first) this.statusSink.problem({ kind: 'waiting-for-topic', topics: this.topicNames() });
    this.statusSink.debug(`topic not there yet: ${e.message}`);
    this.restart(c, e);
  }

  private fail(e: Error, context: 'consumer stopped' | 'cannot consume'): void {
    const text = e.message || String(e);
    const repeated = text === this.lastReported;
    this.lastReported = text;
    this.state = 'error';
    this.errorText = text;
    this.showStatus();
    // Reported once per distinct error: retries repeat it every few seconds.
    if (!repeated) this.statusSink.problem({ kind: 'consumer', context, error: e });
  }

  private onGroupJoin(assignment: Record<string, number[]>): void {
    this.assignment = assignment;
    this.offsets.retain(assignment);
    for (const k of [...this.stoppedPartitions]) {
      const [t, pStr] = [k.slice(0, k.lastIndexOf('/')), k.slice(k.lastIndexOf('/') + 1)];
      if (!(assignment[t] || []).includes(Number(pStr))) this.stoppedPartitions.delete(k);
    }
    // The consumer's pauses must match ours again after a join. kafkajs keeps what was paused across a rejoin of the
    // same consumer group (a rebalance, a member the coordinator forgot after a broker restart), but forgets it all
    // when it rebuilds the group after a crash. A partition left paused there while the runner counts itself
    // unpaused is never fetched again: the consumer stalled for good. So stopped partitions are paused, the rest
    // paused if still full, else resumed where the consumer still holds an old pause.
    const where = (keep: (key: string) => boolean) =>
      Object.entries(assignment)
        .map(([topic, ps]) => ({ topic, partitions: ps.filter((p) => keep(`${topic}/${p}`)) }))
        .filter((t) => t.partitions.length > 0);
    const stopped = where((k) => this.stoppedPartitions.has(k) && !this.pausedInConsumer.has(k));
    if (stopped.length) this.tell('pause', stopped);
    this.paused = false;
    if (this.offsets.inFlightRecords >= this.settings.maxInFlight) this.pauseAll();
    else {
      const stale = where((k) => this.pausedInConsumer.has(k) && !this.stoppedPartitions.has(k));
      if (stale.length) this.tell('resume', stale);
    }
    this.state = 'consuming';
    this.lastReported = '';
    this.showStatus();
    this.emit('assigned', assignment);
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    // While waiting for a topic, each new attempt keeps saying so instead of flapping to "connecting".
    if (this.state !== 'waiting') this.state = 'connecting';
    this.showStatus();
    let c: RunnerConsumer;
    try {
      c = this.createConsumer();
    } catch (e) {
      this.fail(e as Error, 'cannot consume');
      this.scheduleReconnect();
      return;
    }
    this.consumer = c;
    this.lastContact = Date.now();
    const contact = () => {
      this.lastContact = Date.now();
    };
    c.on(c.events.FETCH, contact);
    c.on(c.events.HEARTBEAT, contact);
    c.on(c.events.COMMIT_OFFSETS, (e) => {
      if (this.consumer !== c || this.settings.commitMode !== 'flow') return;
      const { topics } = e.payload as {
        topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: unknown }> }>;
      };
      this.offsets.markCommitted(
        topics.flatMap(({ topic, partitions }) =>
          partitions.map(({ partition, offset }) => ({ topic, partition, offset: String(offset) })),
        ),
      );
    });
    // The group rebalances (a member joined, left or timed out): no records flow until the next join.
    if (c.events.REBALANCING) {
      c.on(c.events.REBALANCING, () => {
        if (this.consumer !== c || this.closing || this.state === 'waiting' || this.state === 'error') return;
        this.state = 'rejoining';
        this.showStatus();
      });
    }
    c.on(c.events.GROUP_JOIN, (e) => {
      if (this.consumer === c)
        this.onGroupJoin((e.payload as { memberAssignment: Record<string, number[]> }).memberAssignment);
    });
    c.on(c.events.CRASH, (e) => {
      const { error: err, restart } = e.payload as { error: Error; restart: boolean };
      if (this.closing || this.consumer !== c) return;
      if (restart) {
        // kafkajs restarts the consumer itself, with a new consumer group: nothing is paused there any more (the join
        // pauses again what still has to be). Records in flight stay tracked and commit through the new group.
        this.paused = false;
        this.pausedInConsumer.clear();
        this.state = 'connecting';
        this.showStatus();
        this.statusSink.debug(`consumer restarting after: ${err.message}`);
        return;
      }
      this.fail(err, 'consumer stopped');
      this.restart(c, err);
    });
    try {
      await c.connect();
      await c.subscribe({ topics: this.settings.topics, fromBeginning: this.settings.fromBeginning });
      await c.run({
        autoCommit: this.settings.commitMode === 'auto',
        autoCommitInterval: 1000,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: this.eachBatch,
      });
    } catch (e) {
      if (this.closing || this.consumer !== c) return;
      if (isUnknownTopic(e)) {
        this.waitForTopic(c, e as Error);
        return;
      }
      this.fail(e as Error, 'cannot consume');
      this.restart(c, e as Error);
    }
  }

  /** Drops a failed consumer and builds a new one a little later: survives broker outages without a redeploy. */
  private restart(c: RunnerConsumer, error: Error): void {
    if (this.consumer === c) this.consumer = null;
    c.disconnect().catch(() => undefined);
    this.offsets.reset();
    this.stoppedPartitions.clear();
    this.pausedInConsumer.clear();
    this.paused = false;
    this.emit('restarting', error);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closing) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.timings.reconnectMs);
  }
}
