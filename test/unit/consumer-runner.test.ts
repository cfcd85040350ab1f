/*
 * The consumer runner without a broker: a fake consumer group member (it records pause, resume and commits and lets
 * the test hand batches to eachBatch, join, crash) and a fake flow (it holds every message until the test finishes it).
 * The real consumer against the real broker is covered by test/nodes/kafka-delivery.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  ConsumerRunner,
  RunnerConsumer,
  RunnerBatch,
  RunnerSettings,
  RunnerStatus,
  RunnerProblem,
  RunnerTimings,
  DeliverySink,
  Outgoing,
  TopicPartitions,
  describeAssignment,
  checkGroupTimings,
  consumerConfig,
  DEFAULT_GROUP_TIMINGS,
} from '../../lib/kafka/consumer-runner';
import type { TopicPartitionOffset } from '../../lib/kafka/offset-tracker';
import { PartitionLeases } from '../../lib/kafka/partition-leases';
import { DeadLetterNotWritten } from '../../lib/kafka/dead-letter';
import { eventually, sleep } from '../support/project';

/**
 * Time passes on purpose: what the assertion after it rules out (a second commit, an early finish, a restart) would
 * have happened within `ms` (the runner's timers run at FAST's 5-20 ms here). Absence can only be shown by waiting.
 */
const quiet = (ms: number) => sleep(ms);

class FakeConsumer implements RunnerConsumer {
  readonly events = {
    FETCH: 'fetch',
    HEARTBEAT: 'heartbeat',
    GROUP_JOIN: 'join',
    CRASH: 'crash',
    COMMIT_OFFSETS: 'commit',
    REBALANCING: 'rebalancing',
  };
  private readonly listeners = new Map<string, Array<(e: { payload: any }) => void>>();
  readonly paused: TopicPartitions[][] = [];
  readonly resumed: TopicPartitions[][] = [];
  /** Every commit asked for; ok: the broker took it (announced with COMMIT_OFFSETS); dropped: resolved, not sent. */
  readonly commits: Array<{ offsets: TopicPartitionOffset[]; ok: boolean; dropped?: boolean }> = [];
  /** The next this many commits fail, as during a rebalance. */
  failCommits = 0;
  connectError: Error | null = null;
  eachBatch: ((p: RunnerBatch) => Promise<void>) | null = null;
  subscription: { topics: Array<string | RegExp>; fromBeginning?: boolean } | null = null;
  disconnected = false;

  on(event: string, listener: (e: { payload: any }) => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
  }
  private emit(event: string, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l({ payload });
  }
  async connect(): Promise<void> {
    if (this.connectError) throw this.connectError;
  }
  async subscribe(s: { topics: Array<string | RegExp>; fromBeginning?: boolean }): Promise<void> {
    this.subscription = s;
  }
  async run(config: { eachBatch: (p: RunnerBatch) => Promise<void> }): Promise<void> {
    this.eachBatch = config.eachBatch;
  }
  /**
   * What kafkajs's consumer group has paused, per "topic/partition". As in kafkajs, it survives a rejoin of the same
   * group (join()) and is gone when kafkajs rebuilds the group after a crash (rebuild()).
   */
  private readonly pausedNow = new Set<string>();
  /** False between a crash kafkajs restarts and the rebuilt group: pause and resume throw, as kafkajs's do. */
  groupAlive = true;
  /**
   * kafkajs's runner runs from a join until a crash. A rebuilt group that has not joined yet is not running: there
   * kafkajs's commitOffsets resolves without committing (runner.commitOffsets returns early), as it does here.
   */
  running = true;

  pause(t: TopicPartitions[]): void {
    this.refuseWithoutGroup();
    this.paused.push(t);
    for (const { topic, partitions } of t) for (const p of partitions) this.pausedNow.add(`${topic}/${p}`);
  }
  resume(t: TopicPartitions[]): void {
    this.refuseWithoutGroup();
    this.resumed.push(t);
    for (const { topic, partitions } of t) for (const p of partitions) this.pausedNow.delete(`${topic}/${p}`);
  }
  isPausedNow(topic: string, partition: number): boolean {
    return this.pausedNow.has(`${topic}/${partition}`);
  }
  private refuseWithoutGroup(): void {
    if (!this.groupAlive) throw new Error('Consumer group was not initialized, consumer#run must be called first');
  }
  /** kafkajs's restart after a crash: a new consumer group, nothing paused. */
  rebuild(): void {
    this.groupAlive = true;
    this.pausedNow.clear();
  }
  async commitOffsets(offsets: TopicPartitionOffset[]): Promise<void> {
    if (!this.groupAlive) {
      this.commits.push({ offsets, ok: false });
      throw new Error('Consumer group was not initialized, consumer#run must be called first');
    }
    if (this.failCommits > 0) {
      this.failCommits -= 1;
      this.commits.push({ offsets, ok: false });
      throw new Error("The coordinator is loading and hence can't process requests");
    }
    if (!this.running) {
      this.commits.push({ offsets, ok: false, dropped: true });
      return;
    }
    this.commits.push({ offsets, ok: true });
    const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
      topic,
      partitions: offsets.filter((o) => o.topic === topic).map((o) => ({ partition: o.partition, offset: o.offset })),
    }));
    this.emit(this.events.COMMIT_OFFSETS, { groupId: 'g', memberId: 'm', topics });
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
  }

  join(assignment: Record<string, number[]>): void {
    this.emit(this.events.GROUP_JOIN, { memberAssignment: assignment });
    this.running = true;
  }
  rebalancing(): void {
    this.emit(this.events.REBALANCING, { groupId: 'g', memberId: 'm' });
  }
  crash(error: Error, restart: boolean): void {
    if (restart) {
      this.groupAlive = false;
      this.running = false;
    }
    this.emit(this.events.CRASH, { error, restart });
  }

  /** Hands these offsets of one partition to eachBatch as one fetched batch; returns the offsets the runner resolved. */
  async fetch(
    topic: string,
    partition: number,
    offsets: number[],
    value = (o: number) => JSON.stringify({ o }),
  ): Promise<string[]> {
    if (!this.eachBatch) throw new Error('the runner has not called run() yet');
    const resolved: string[] = [];
    await this.eachBatch({
      batch: {
        topic,
        partition,
        messages: offsets.map((o) => ({
          key: null,
          value: Buffer.from(value(o)),
          offset: String(o),
          timestamp: '0',
          headers: {},
        })),
      },
      resolveOffset: (o) => {
        resolved.push(o);
      },
      heartbeat: async () => undefined,
      isRunning: () => !this.disconnected,
      isStale: () => false,
    });
    return resolved;
  }

  /** Offsets of the commits that went through, as "topic/partition@offset". */
  committed(): string[] {
    return this.commits
      .filter((c) => c.ok)
      .flatMap((c) => c.offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`));
  }
}

/** The flow: holds each message until the test finishes it (with an error, as a node's done(err) would). */
class FakeFlow implements DeliverySink {
  readonly held: Array<{ out: Outgoing; finished: (error?: Error) => void }> = [];
  send(out: Outgoing, finished: (error?: Error) => void): void {
    this.held.push({ out, finished });
  }
  /** The record offsets (or batch offsets) of every message sent, in order. */
  offsets(): string[] {
    return this.held.map(({ out }) =>
      'offsets' in out.msg.kafka ? out.msg.kafka.offsets.join('+') : out.msg.kafka.offset,
    );
  }
  finish(offset: string, error?: Error): void {
    const i = this.offsets().indexOf(offset);
    if (i < 0) throw new Error(`no message for offset ${offset}`);
    this.held[i].finished(error);
  }
}

const SETTINGS: RunnerSettings = {
  topics: ['t'],
  fromBeginning: true,
  batchMode: false,
  commitMode: 'flow',
  stopOnError: false,
  decoding: { value: 'json', key: 'string' },
  maxInFlight: 100,
};
const FAST: Partial<RunnerTimings> = { reconnectMs: 20, commitDelayMs: 5, roomWaitMs: 20, statusEveryMs: 60000 };

async function started(
  settings: Partial<RunnerSettings> = {},
  timings: Partial<RunnerTimings> = {},
  leases: PartitionLeases | null = new PartitionLeases(),
) {
  const consumers: FakeConsumer[] = [];
  const flow = new FakeFlow();
  const statuses: RunnerStatus[] = [];
  const problems: RunnerProblem[] = [];
  const runner = new ConsumerRunner(
    { ...SETTINGS, ...settings },
    () => {
      const c = new FakeConsumer();
      consumers.push(c);
      return c;
    },
    flow,
    { status: (s) => statuses.push(s), problem: (p) => problems.push(p), debug: () => undefined },
    { ...FAST, ...timings },
    leases,
  );
  runner.start();
  await eventually('the runner runs its consumer', () => consumers[0]?.eachBatch != null, 2000, 2);
  const consumer = consumers[0];
  const state = () => statuses[statuses.length - 1]?.state;
  return { runner, consumers, consumer, flow, statuses, problems, state };
}

test('runner: pauses every partition at the bound after waiting for room, resumes at half', async (t) => {
  const { runner, consumer, flow, state } = await started({ maxInFlight: 4 });
  t.after(() => runner.close());
  consumer.join({ t: [0, 1] });
  assert.equal(state(), 'consuming');
  const resolved = await consumer.fetch('t', 0, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(flow.offsets(), ['0', '1', '2', '3'], 'four records handed out, the bound');
  assert.deepEqual(resolved, ['0', '1', '2', '3'], 'records 4 and 5 are left for the next fetch');
  assert.deepEqual(consumer.paused, [[{ topic: 't', partitions: [0, 1] }]]);
  assert.equal(runner.isPaused, true);
  assert.equal(state(), 'paused');

  flow.finish('1');
  assert.equal(runner.inFlight, 3);
  assert.deepEqual(consumer.resumed, [], 'three in flight: above half, still paused');
  flow.finish('0');
  assert.equal(runner.inFlight, 2);
  assert.deepEqual(consumer.resumed, [[{ topic: 't', partitions: [0, 1] }]], 'two in flight: half the bound, resumed');
  assert.equal(runner.isPaused, false);
  assert.equal(state(), 'consuming');

  assert.deepEqual(await consumer.fetch('t', 0, [4, 5]), ['4', '5']);
  assert.deepEqual(flow.offsets(), ['0', '1', '2', '3', '4', '5']);
  assert.equal(consumer.paused.length, 1, 'full again, but no pause until a fetch finds no room');
});

test('runner: room made while it waits goes on delivering without a pause', async (t) => {
  const { runner, consumer, flow } = await started({ maxInFlight: 4 }, { roomWaitMs: 10000 });
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  const fetching = consumer.fetch('t', 0, [0, 1, 2, 3, 4, 5]);
  await eventually('four handed out', () => flow.held.length === 4, 2000, 2);
  flow.finish('0');
  flow.finish('1');
  // Well before the 10 s room wait ends: the drained backlog wakes the waiting fetch.
  assert.deepEqual(await Promise.race([fetching, sleep(3000).then(() => 'still waiting')]), [
    '0',
    '1',
    '2',
    '3',
    '4',
    '5',
  ]);
  assert.deepEqual(consumer.paused, []);
});

test('runner: commits only below the first unfinished record and retries a failed commit', async (t) => {
  const { runner, consumer, flow } = await started();
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  await consumer.fetch('t', 0, [0, 1, 2, 3]);
  flow.finish('0');
  await eventually('commit of record 0', () => consumer.commits.length === 1, 2000, 2);
  flow.finish('2');
  await quiet(30);
  assert.deepEqual(consumer.committed(), ['t/0@1'], 'record 1 is unfinished: 2 waits, and 1 is not committed twice');

  consumer.failCommits = 1;
  flow.finish('1');
  await eventually('a failed commit and its retry', () => consumer.commits.length === 3, 2000, 2);
  assert.deepEqual(
    consumer.commits.map((c) => [c.offsets.map((o) => o.offset), c.ok]),
    [
      [['1'], true],
      [['3'], false],
      [['3'], true],
    ],
  );

  flow.finish('3');
  await eventually('commit of record 3', () => consumer.commits.length === 4, 2000, 2);
  await quiet(50);
  assert.deepEqual(consumer.committed(), ['t/0@1', 't/0@3', 't/0@4'], 'each offset committed once, in order');
});

test('runner: close commits what the flow finished and leaves the group', async () => {
  const { runner, consumer, flow } = await started({}, { commitDelayMs: 60000 });
  consumer.join({ t: [0] });
  await consumer.fetch('t', 0, [0, 1, 2]);
  flow.finish('0');
  flow.finish('1');
  assert.deepEqual(consumer.commits, [], 'the commit is still scheduled');
  await runner.close();
  assert.deepEqual(consumer.committed(), ['t/0@2']);
  assert.equal(consumer.disconnected, true);
  flow.finish('2');
  assert.equal(consumer.commits.length, 1, 'a finish after close commits nothing');
});

test('runner: a consumer that crashed for good is replaced after a delay; a crash kafkajs restarts is left to it', async (t) => {
  const { runner, consumers, consumer, flow, problems, state } = await started();
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  await consumer.fetch('t', 0, [0, 1]);

  consumer.crash(new Error('Connection timeout'), true);
  assert.equal(state(), 'connecting');
  assert.equal(problems.length, 0);
  await quiet(60);
  assert.equal(consumers.length, 1, 'kafkajs restarts this one itself');

  consumer.crash(new Error('broker gone'), false);
  assert.equal(state(), 'error');
  assert.deepEqual(
    problems.map((p) => p.kind === 'consumer' && `${p.context}: ${p.error.message}`),
    ['consumer stopped: broker gone'],
  );
  assert.equal(consumer.disconnected, true);
  assert.equal(runner.inFlight, 0, 'deliveries of the dropped consumer no longer count');
  await eventually('a new consumer', () => consumers.length === 2 && consumers[1].eachBatch !== null, 2000, 2);
  assert.deepEqual(consumers[1].subscription, { topics: ['t'], fromBeginning: true });

  flow.finish('0');
  await quiet(30);
  assert.deepEqual(
    [...consumer.commits, ...consumers[1].commits],
    [],
    'a late finish of the old consumer commits nothing',
  );

  consumers[1].crash(new Error('broker gone'), false);
  await eventually('a third consumer', () => consumers.length === 3 && consumers[2].eachBatch !== null, 2000, 2);
  assert.equal(problems.length, 1, 'the same error again is reported once');
  consumers[2].join({ t: [0] });
  assert.equal(state(), 'consuming');
  consumers[2].crash(new Error('broker gone'), false);
  assert.equal(problems.length, 2, 'after consuming again, the error is news');
});

test('runner: a rejoin while paused resumes what kafkajs still has paused, unless the flow is still full', async (t) => {
  // kafkajs keeps a partition paused across a rejoin of its group (a rebalance, or after a broker restart the
  // coordinator no longer knows the member). The runner used to count itself unpaused at the join and never resumed
  // it: that consumer fetched nothing again, the restart scenario's "not drained".
  const { runner, consumer, flow, state } = await started({ maxInFlight: 4 });
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  await consumer.fetch('t', 0, [0, 1, 2, 3]);
  await consumer.fetch('t', 0, [4, 5]);
  assert.equal(consumer.isPausedNow('t', 0), true, 'full: paused');
  flow.finish('0');
  assert.equal(runner.isPaused, true, 'three in flight: still paused');

  consumer.rebalancing();
  consumer.join({ t: [0] });
  assert.equal(consumer.isPausedNow('t', 0), false, 'the consumer fetches again after the join');
  assert.equal(runner.isPaused, false);
  assert.equal(state(), 'consuming');
  assert.deepEqual(await consumer.fetch('t', 0, [4, 5]), ['4']);
  assert.deepEqual(flow.offsets(), ['0', '1', '2', '3', '4']);

  // Full at a join: paused in the consumer too, and resumed at half as usual.
  consumer.join({ t: [0] });
  assert.equal(runner.isPaused, true);
  assert.equal(consumer.isPausedNow('t', 0), true);
  flow.finish('1');
  flow.finish('2');
  assert.equal(consumer.isPausedNow('t', 0), false);
});

test('runner: while kafkajs rebuilds its group after a crash, finishes neither throw nor get lost; the new group is paused again only where needed', async (t) => {
  const { runner, consumers, consumer, flow, state } = await started({ maxInFlight: 4, stopOnError: true });
  t.after(() => runner.close());
  consumer.join({ t: [0, 1] });
  await consumer.fetch('t', 1, [0]);
  flow.finish('0', new Error('graph said no'));
  assert.equal(consumer.isPausedNow('t', 1), true, 'partition 1 stopped');
  await consumer.fetch('t', 0, [0, 1, 2]);
  await consumer.fetch('t', 0, [3, 4]);
  assert.equal(runner.isPaused, true, 'full: record 4 waits');

  consumer.crash(new Error('No broker available'), true);
  assert.equal(state(), 'connecting');
  // The flow finishes while kafkajs has no group: kafkajs's resume would throw; the finish callback must not.
  const p0 = flow.held.filter(({ out }) => out.msg.kafka.partition === 0);
  assert.doesNotThrow(() => {
    p0[0].finished();
    p0[1].finished();
  });
  assert.equal(runner.inFlight, 2, 'the records in flight stay tracked across the restart');
  await eventually('a commit refused while the group is rebuilt', () => consumer.commits.some((c) => !c.ok), 2000, 2);

  consumer.rebuild();
  consumer.join({ t: [0, 1] });
  assert.equal(consumers.length, 1, 'kafkajs restarted this consumer itself');
  assert.equal(consumer.isPausedNow('t', 1), true, 'the stopped partition is paused in the new group too');
  assert.equal(consumer.isPausedNow('t', 0), false);
  assert.deepEqual(await consumer.fetch('t', 0, [2, 3, 4]), ['2', '3', '4'], 'handed out before: skipped; 4 is new');
  assert.deepEqual(
    flow.offsets().filter((o, i) => flow.held[i].out.msg.kafka.partition === 0),
    ['0', '1', '2', '3', '4'],
  );
  await eventually('the finished records committed through the new group', () =>
    consumer.committed().includes('t/0@2'),
  );
});

test('runner: a commit kafkajs drops while its rebuilt group has not joined is sent again after the join', async (t) => {
  // Seen against the real broker (reliability scenario 3): after a broker restart kafkajs rebuilt a group, the flow
  // finished its last records before the new group joined, and the commit resolved without being sent. Counted as
  // done, it was never sent again: the group stayed 862 records behind with nothing in flight, for good.
  const { runner, consumer, flow } = await started();
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  await consumer.fetch('t', 0, [0, 1, 2]);
  flow.finish('0');
  await eventually('commit of record 0', () => consumer.committed().includes('t/0@1'), 2000, 2);

  consumer.crash(new Error('Connection error: connect ECONNREFUSED'), true);
  consumer.rebuild();
  flow.finish('1');
  flow.finish('2');
  await eventually(
    'a commit dropped by the not yet joined group',
    () => consumer.commits.some((c) => c.dropped),
    2000,
    2,
  );
  assert.deepEqual(consumer.committed(), ['t/0@1'], 'nothing past record 0 reached the broker yet');

  consumer.join({ t: [0] });
  await eventually('the dropped commit sent again once the group runs', () => consumer.committed().includes('t/0@3'));
  await quiet(30);
  assert.deepEqual(consumer.committed(), ['t/0@1', 't/0@3'], 'sent again once, not repeated after it was taken');
});

test('runner: a consumer that cannot connect is retried', async (t) => {
  const consumers: FakeConsumer[] = [];
  const problems: RunnerProblem[] = [];
  const runner = new ConsumerRunner(
    SETTINGS,
    () => {
      const c = new FakeConsumer();
      if (consumers.length === 0) c.connectError = new Error('connect ECONNREFUSED 127.0.0.1:1');
      consumers.push(c);
      return c;
    },
    new FakeFlow(),
    { status: () => undefined, problem: (p) => problems.push(p), debug: () => undefined },
    FAST,
  );
  t.after(() => runner.close());
  runner.start();
  await eventually('a second consumer that runs', () => consumers[1]?.eachBatch != null, 2000, 2);
  assert.deepEqual(
    problems.map((p) => p.kind === 'consumer' && p.context),
    ['cannot consume'],
  );
  assert.equal(consumers[0].disconnected, true);
});

test('runner: a failed record stops its partition there; the others go on', async (t) => {
  const { runner, consumer, flow, problems, statuses } = await started({ stopOnError: true, maxInFlight: 4 });
  t.after(() => runner.close());
  consumer.join({ t: [0, 1] });
  await consumer.fetch('t', 0, [0, 1, 2]);
  flow.finish('0');
  flow.finish('1', new Error('graph said no'));
  flow.finish('2');
  assert.deepEqual(consumer.paused, [[{ topic: 't', partitions: [0] }]]);
  assert.deepEqual(problems, [
    { kind: 'partition-stopped', topic: 't', partition: 0, offset: 1n, error: new Error('graph said no') },
  ]);
  const stopped = statuses[statuses.length - 1];
  assert.deepEqual(stopped.state === 'stopped' && stopped.partitions, ['t/0']);
  await eventually('commit up to the failed record', () => consumer.commits.length === 1, 2000, 2);
  await quiet(30);
  assert.deepEqual(consumer.committed(), ['t/0@1'], 'nothing at or after the failed record is committed');
  assert.deepEqual(await consumer.fetch('t', 0, [3]), [], 'a stopped partition takes no more records');

  // Partition 1 fills the bound: pause all, and the resume leaves the stopped partition out.
  await consumer.fetch('t', 1, [0, 1, 2, 3, 4]);
  assert.deepEqual(consumer.paused[1], [{ topic: 't', partitions: [0, 1] }]);
  const p1 = flow.held.filter(({ out }) => out.msg.kafka.partition === 1);
  p1[0].finished();
  p1[1].finished();
  assert.deepEqual(consumer.resumed, [[{ topic: 't', partitions: [1] }]]);

  // A rebalance that takes partition 0 away forgets that it was stopped.
  consumer.join({ t: [1] });
  assert.equal(statuses[statuses.length - 1].state, 'consuming');
});

test('runner: a dead letter not written stops its partition even when errors count as handled; other errors commit', async (t) => {
  const { runner, consumer, flow, problems } = await started({ stopOnError: false, maxInFlight: 4 });
  t.after(() => runner.close());
  consumer.join({ t: [0, 1] });
  await consumer.fetch('t', 0, [0, 1, 2]);
  const lost = new DeadLetterNotWritten('kafka out: send to dlt failed');
  flow.finish('0');
  flow.finish('1', lost);
  flow.finish('2');
  await consumer.fetch('t', 1, [0, 1]);
  const p1 = flow.held.filter(({ out }) => out.msg.kafka.partition === 1);
  p1[0].finished(new Error('age is not an integer')); // handled: it went to the dead-letter topic
  p1[1].finished();
  assert.deepEqual(consumer.paused, [[{ topic: 't', partitions: [0] }]]);
  assert.deepEqual(problems, [{ kind: 'partition-stopped', topic: 't', partition: 0, offset: 1n, error: lost }]);
  await eventually('commits', () => consumer.committed().length === 2, 2000, 2);
  await quiet(30);
  assert.deepEqual(
    consumer.committed().sort(),
    ['t/0@1', 't/1@2'],
    'partition 0 stays at the record whose dead letter was lost; the handled error on partition 1 is committed',
  );
});

test('runner: with auto commit a dead letter not written stops nothing (the record is committed already)', async (t) => {
  const { runner, consumer, flow, problems } = await started({ commitMode: 'auto', maxInFlight: 4 });
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  await consumer.fetch('t', 0, [0, 1]);
  flow.finish('0', new DeadLetterNotWritten('kafka out: send to dlt failed'));
  flow.finish('1');
  assert.deepEqual(consumer.paused, []);
  assert.deepEqual(problems, []);
});

test('runner: batch mode sends one message per fetched batch up to the room left, undecodable records to output 2', async (t) => {
  const { runner, consumer, flow } = await started({ batchMode: true, maxInFlight: 3 });
  t.after(() => runner.close());
  consumer.join({ t: [0] });
  const resolved = await consumer.fetch('t', 0, [0, 1, 2, 3, 4], (o) =>
    o === 1 ? '{not json' : JSON.stringify({ o }),
  );
  assert.deepEqual(resolved, ['2']);
  assert.deepEqual(
    flow.held.map(({ out }) => [out.output, out.msg.payload]),
    [
      [0, [{ o: 0 }, { o: 2 }]],
      [1, Buffer.from('{not json')],
    ],
  );
  assert.match(String(flow.held[1].out.msg.error?.message), /^record t\/0@1: /);
  assert.equal(flow.held[1].out.msg.error?.field, 'value');
  assert.equal(runner.inFlight, 3);
  assert.equal(consumer.paused.length, 1, 'no room left for 3 and 4');
  flow.held[0].finished();
  await quiet(30);
  assert.deepEqual(consumer.commits, [], 'the batch is finished only when both its messages are');
  flow.held[1].finished();
  await eventually('the batch committed', () => consumer.commits.length === 1, 2000, 2);
  assert.deepEqual(consumer.committed(), ['t/0@3']);
  assert.deepEqual(consumer.resumed.length, 1);
});

test('runner: rejects a bound that is not a whole number >= 1', () => {
  const make = (maxInFlight: number) =>
    new ConsumerRunner({ ...SETTINGS, maxInFlight }, () => new FakeConsumer(), new FakeFlow(), {
      status: () => undefined,
      problem: () => undefined,
      debug: () => undefined,
    });
  assert.throws(() => make(0), /maxInFlight must be a whole number >= 1, got 0/);
  assert.throws(() => make(1.5), /got 1.5/);
});

test('runner: says "rejoining" with the group id while the group rebalances, consuming with its partitions after the join', async (t) => {
  const { runner, consumer, statuses, state } = await started({ groupId: 'customer-360-orders' });
  t.after(() => runner.close());
  consumer.join({ t: [0, 1, 2] });
  assert.equal(state(), 'consuming');
  consumer.rebalancing();
  assert.deepEqual(statuses[statuses.length - 1], { state: 'rejoining', groupId: 'customer-360-orders' });
  consumer.join({ t: [3] });
  const last = statuses[statuses.length - 1];
  assert.equal(last.state, 'consuming');
  assert.deepEqual(last.state === 'consuming' && last.assignment, { t: [3] }, 'the new assignment, not the old one');
});

test("runner: stamps a lease per stretch of ownership on what it hands out; a revoked partition's lease ends, a kept one's does not", async (t) => {
  const leases = new PartitionLeases();
  const { runner, consumer, flow } = await started({}, {}, leases);
  t.after(() => runner.close());
  consumer.join({ t: [0, 1] });
  await consumer.fetch('t', 0, [0, 1]);
  await consumer.fetch('t', 1, [0]);
  const [first, second, other] = flow.held.map(({ out }) => out.msg.kafka.lease);
  assert.equal(typeof first, 'number');
  assert.equal(second, first, 'one partition, one stretch: one lease');
  assert.notEqual(other, first, 'each partition its own');

  consumer.join({ t: [1] });
  assert.equal(leases.isLive(first!), false, 'partition 0 went to another member');
  assert.equal(leases.isLive(other!), true, 'partition 1 stayed: its records in flight still commit here');

  consumer.join({ t: [0, 1] });
  await consumer.fetch('t', 0, [0]);
  const back = flow.held[3].out.msg.kafka.lease;
  assert.notEqual(back, first, 'partition 0 is back: a new lease, the old one stays ended');
  assert.equal(leases.isLive(back!), true);

  await runner.close();
  assert.equal(leases.size, 0, 'a closed runner owns nothing');
});

test('runner: stamps no lease where a record may be committed before the flow finishes it (auto commit, no registry)', async (t) => {
  const leases = new PartitionLeases();
  const auto = await started({ commitMode: 'auto' }, {}, leases);
  t.after(() => auto.runner.close());
  auto.consumer.join({ t: [0] });
  await auto.consumer.fetch('t', 0, [0]);
  assert.equal(auto.flow.held[0].out.msg.kafka.lease, undefined);
  assert.equal(leases.size, 0);

  const none = await started({}, {}, null);
  t.after(() => none.runner.close());
  none.consumer.join({ t: [0] });
  await none.consumer.fetch('t', 0, [0]);
  assert.equal(none.flow.held[0].out.msg.kafka.lease, undefined);
});

test('describeAssignment: one partition list when the topics share it, per topic otherwise', () => {
  assert.equal(describeAssignment({ a: [3, 0], b: [0, 3] }), 'p0,3');
  assert.equal(describeAssignment({ a: [1], b: [2, 4] }), 'a:p1 b:p2,4');
  assert.equal(describeAssignment({ a: [], b: [] }), 'no partitions');
  assert.equal(describeAssignment({}), 'no partitions');
});

test('group timings: the default and a custom session timeout reach kafkajs; impossible values are refused by name', () => {
  assert.equal(consumerConfig('g').sessionTimeout, DEFAULT_GROUP_TIMINGS.sessionTimeoutMs);
  assert.equal(consumerConfig('g').heartbeatInterval, DEFAULT_GROUP_TIMINGS.heartbeatMs);
  const c = consumerConfig('g', checkGroupTimings(45000, 5000));
  assert.equal(c.sessionTimeout, 45000);
  assert.equal(c.heartbeatInterval, 5000);
  assert.throws(() => checkGroupTimings(500, 100), /session timeout .*>= 1000, got 500/);
  assert.throws(() => checkGroupTimings(6000, 50), /heartbeat interval .*>= 100, got 50/);
  assert.throws(() => checkGroupTimings(6000, 3000), /at most a third of the session timeout/);
});
