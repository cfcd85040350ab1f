/*
 * `kafka in`: consumes topics as a member of a consumer group and sends one message per record (or per fetched
 * batch). Default mode is at-least-once through the whole flow: offsets are committed per partition only up to the
 * first record the flow has not finished with (see lib/kafka/completion-tracker.ts and offset-tracker.ts).
 */
import * as crypto from 'crypto';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { NodeAPI, Node, NodeDef, NodeMessage } from '../shared/red';
import type { KafkaBrokerNode } from '../kafka-broker/broker-client';
import { decodeRecord, isDecodeMode, toBatch, DecodeMode, RecordMeta } from '../../lib/kafka/codec';
import { OffsetTracker, Delivery, TopicPartitionOffset } from '../../lib/kafka/offset-tracker';
import { FlowControl } from '../../lib/kafka/flow-control';
import { joinTracker, leaveTracker } from './completion-hooks';
import { parseTopics } from '../../lib/kafka/client-config';
import { LagReader } from '../../lib/kafka/lag-reader';
import { KafkaInMetrics } from '../../lib/metrics/series';
import { serveMetrics, metricsSettings } from '../shared/metrics';

/** Delay before re-creating a consumer that failed to connect or crashed for good. */
const RECONNECT_MS = 3000;
/** Finished offsets are committed this long after they finish, so bursts share one commit request. */
const COMMIT_DELAY_MS = 200;
/**
 * When the flow is full, eachBatch first waits this long for it to make room before pausing: a pause makes kafkajs
 * sleep maxWaitTimeInMs per fetch while all partitions are paused, which capped a fast flow at ~10 batches/s.
 */
const ROOM_WAIT_MS = 1000;
/** Without a fetch or heartbeat answered for this long, the status says so (kafkajs retries silently for minutes). */
const SILENT_MS = 10000;

export = function (RED: NodeAPI) {
  serveMetrics(RED);
  function KafkaIn(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const broker = RED.nodes.getNode(String(def.broker || '')) as KafkaBrokerNode | null;
    const batchMode = def.mode === 'batch';
    const commitMode = def.commit === 'auto' ? 'auto' : 'flow';
    const stopOnError = def.onError === 'stop';
    const decoding = {
      value: (isDecodeMode(def.valueDecoding) ? def.valueDecoding : 'auto') as DecodeMode,
      key: (isDecodeMode(def.keyDecoding) ? def.keyDecoding : 'string') as DecodeMode,
    };

    let topics: string[] | RegExp[];
    let flowControl: FlowControl;
    try {
      if (!broker) throw new Error('no kafka broker configured');
      if (!def.groupId) throw new Error('no consumer group id configured');
      topics = parseTopics(String(def.topics || ''), String(def.topicsType || 'list'));
      flowControl = new FlowControl(def.maxInFlight === undefined || def.maxInFlight === '' ? 1000 : Number(def.maxInFlight));
      broker.client.acquire(node.id);
    } catch (e) {
      node.status({ fill: 'red', shape: 'ring', text: (e as Error).message });
      node.error(`kafka in: ${(e as Error).message}`);
      return;
    }

    const tracker = joinTracker(RED.hooks, node.id);
    if (!tracker) node.warn('kafka in: this runtime offers no message hooks; offsets are committed when a message is sent (at-most-once)');
    const offsets = new OffsetTracker();
    /** Message ids this node is waiting for, so a close can stop tracking them. */
    const ownIds = new Set<string>();
    let consumer: Consumer | null = null;
    let closing = false;
    let assignment: Record<string, number[]> = {};
    const stoppedPartitions = new Set<string>();
    let commitTimer: NodeJS.Timeout | null = null;
    let reconnectTimer: NodeJS.Timeout | null = null;
    let committing: Promise<void> = Promise.resolve();
    let state: 'connecting' | 'consuming' | 'error' = 'connecting';
    let errorText = '';
    let received = 0;
    let rateSince = Date.now();
    let rate = 0;
    let lastStatus = '';
    /** When the broker last answered a fetch or a heartbeat. */
    let lastContact = Date.now();
    /** The last error reported to Catch nodes; cleared once consuming again. */
    let lastReported = '';
    const metricsConfig = metricsSettings(RED);
    const metrics = new KafkaInMetrics(node, metricsConfig.enabled);
    metrics.sample(() => ({
      inFlight: offsets.inFlightRecords,
      pausedPartitions: flowControl.paused ? Object.values(assignment).reduce((n, p) => n + p.length, 0) : stoppedPartitions.size,
    }));
    /** Consumer lag per assigned partition, read from the broker on an interval (metrics and the status text). */
    let lagReader: LagReader | null = null;

    function showStatus(): void {
      let s: { fill: 'red' | 'green' | 'yellow' | 'grey'; shape: 'ring' | 'dot'; text: string };
      const inFlight = offsets.inFlightRecords;
      if (state === 'error') s = { fill: 'red', shape: 'ring', text: errorText.slice(0, 80) };
      else if (state === 'connecting') s = { fill: 'grey', shape: 'ring', text: 'connecting' };
      else if (Date.now() - lastContact > SILENT_MS) s = { fill: 'yellow', shape: 'ring', text: `no answer from the broker for ${Math.round((Date.now() - lastContact) / 1000)} s, ${inFlight} in flight` };
      else if (stoppedPartitions.size > 0) s = { fill: 'red', shape: 'dot', text: `stopped ${[...stoppedPartitions].join(' ')} after an error, ${inFlight} in flight` };
      else if (flowControl.paused) s = { fill: 'yellow', shape: 'dot', text: `paused, ${inFlight} in flight` };
      else s = { fill: 'green', shape: 'dot', text: `consuming ${rate} msg/s, ${inFlight} in flight` };
      const lag = lagReader?.totalLag ?? 0;
      if (lag > 0 && state === 'consuming') s.text += `, lag ${lag}`;
      const key = JSON.stringify(s);
      if (key !== lastStatus) { lastStatus = key; node.status(s); }
    }
    const statusTimer = setInterval(() => {
      const now = Date.now();
      rate = Math.round((received * 1000) / Math.max(1, now - rateSince));
      received = 0;
      rateSince = now;
      showStatus();
    }, 1000);
    showStatus();

    function assignedPartitions(): Array<{ topic: string; partitions: number[] }> {
      return Object.entries(assignment).map(([topic, partitions]) => ({
        topic, partitions: partitions.filter((p) => !stoppedPartitions.has(`${topic}/${p}`)),
      })).filter((t) => t.partitions.length > 0);
    }

    function pauseAll(): void {
      if (!consumer || flowControl.paused) return;
      flowControl.paused = true;
      consumer.pause(Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions })));
      showStatus();
    }

    function resumeIfDrained(): void {
      if (!consumer || !flowControl.shouldResume(offsets.inFlightRecords)) return;
      flowControl.paused = false;
      const parts = assignedPartitions();
      if (parts.length) consumer.resume(parts);
      showStatus();
    }

    function scheduleCommit(): void {
      if (commitMode !== 'flow' || commitTimer || closing) return;
      commitTimer = setTimeout(() => { commitTimer = null; void commitFinished(); }, COMMIT_DELAY_MS);
    }

    /** Commits, per partition, everything below the first unfinished record. */
    function commitFinished(): Promise<void> {
      committing = committing.then(async () => {
        const c = consumer;
        if (!c || commitMode !== 'flow') return;
        const commits: TopicPartitionOffset[] = offsets.pendingCommits();
        if (commits.length === 0) return;
        try {
          await c.commitOffsets(commits);
          offsets.markCommitted(commits);
        } catch (e) {
          // A rebalance or broker outage: the offsets stay pending and go with the next commit.
          node.debug(`kafka in: commit failed, will retry: ${(e as Error).message}`);
          if (!closing) scheduleCommit();
        }
      });
      return committing;
    }

    /** Resolves a waiting eachBatch once the flow worked its backlog down to the resume mark (or after ms). */
    let roomWaiter: (() => void) | null = null;
    function waitForRoom(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(() => { roomWaiter = null; resolve(); }, ms);
        roomWaiter = () => { clearTimeout(timer); roomWaiter = null; resolve(); };
      });
    }

    function finishPart(d: Delivery, error: Error | undefined): void {
      if (!d.live) return;
      const part = offsets.get(d.topic, d.partition);
      if (error && stopOnError) {
        part.stop(d);
        const key = `${d.topic}/${d.partition}`;
        if (!stoppedPartitions.has(key)) {
          stoppedPartitions.add(key);
          consumer?.pause([{ topic: d.topic, partitions: [d.partition] }]);
          node.error(`kafka in: partition ${key} stopped at offset ${d.first} because a node reported: ${error.message}`);
        }
      }
      part.finishPart(d);
      if (roomWaiter && offsets.inFlightRecords <= Math.floor(flowControl.maxInFlight / 2)) roomWaiter();
      resumeIfDrained();
      scheduleCommit();
    }

    /** Sends the messages of one delivery on their outputs, tracking each until the flow is done with it. */
    function deliver(d: Delivery, outs: Array<[0 | 1, NodeMessage]>): void {
      received += d.records;
      metrics.consumed(d.topic, d.partition, d.records);
      for (const [output, msg] of outs) {
        const id = crypto.randomBytes(8).toString('hex');
        msg._msgid = id;
        if (tracker) {
          ownIds.add(id);
          tracker.track(id, (err) => { ownIds.delete(id); finishPart(d, err); });
        }
        node.send(output === 0 ? [msg, null] : [null, msg]);
        if (tracker) tracker.sent(id); else finishPart(d, undefined);
      }
    }

    function badRecordMsg(meta: RecordMeta, raw: Buffer | null, error: Error & { field?: string }): NodeMessage {
      return {
        payload: raw, topic: meta.topic, kafka: meta,
        error: { message: `record ${meta.topic}/${meta.partition}@${meta.offset}: ${error.message}`, field: error.field },
      };
    }

    async function eachBatch(p: EachBatchPayload): Promise<void> {
      const { topic, partition } = p.batch;
      const part = offsets.get(topic, partition);
      if (part.stoppedAt !== null) return;
      const messages = p.batch.messages;
      let i = 0;
      while (i < messages.length) {
        if (closing || !p.isRunning() || p.isStale()) return;
        // Records handed out before a rejoin come again from the committed offset: skip them.
        if (part.isDuplicate(messages[i].offset)) { p.resolveOffset(messages[i].offset); i += 1; continue; }
        let room = flowControl.room(offsets.inFlightRecords);
        if (room === 0) {
          await p.heartbeat();
          await waitForRoom(ROOM_WAIT_MS);
          if (closing || !p.isRunning() || p.isStale()) return;
          room = flowControl.room(offsets.inFlightRecords);
          if (room === 0) { pauseAll(); return; }
        }
        const take: KafkaMessage[] = [];
        while (i < messages.length && take.length < (batchMode ? room : 1)) {
          if (part.isDuplicate(messages[i].offset)) break;
          take.push(messages[i]);
          i += 1;
        }
        if (take.length === 0) continue;
        const decoded = take.map((m) => decodeRecord(topic, partition, m as never, decoding));
        const outs: Array<[0 | 1, NodeMessage]> = [];
        if (batchMode) {
          const good = decoded.filter((r) => r.ok) as Array<{ payload: unknown; meta: RecordMeta }>;
          if (good.length) {
            const b = toBatch(topic, partition, good);
            outs.push([0, { payload: b.payload, topic, kafka: b.meta }]);
          }
        } else if (decoded[0].ok) {
          outs.push([0, { payload: decoded[0].payload, topic, kafka: decoded[0].meta }]);
        }
        for (const r of decoded) if (!r.ok) { outs.push([1, badRecordMsg(r.meta, r.raw, r.error)]); metrics.undecodable(topic); }
        const d = part.begin(take[0].offset, take[take.length - 1].offset, take.length, outs.length);
        p.resolveOffset(take[take.length - 1].offset);
        deliver(d, outs);
        if (i % 200 === 0) await p.heartbeat();
      }
      // Full now: no pause here; the next eachBatch waits for room first and pauses only if none comes.
    }

    function fail(e: Error, context: string): void {
      const text = e.message || String(e);
      const repeated = text === lastReported;
      lastReported = text;
      state = 'error';
      errorText = text;
      showStatus();
      // Reported once per distinct error (retries repeat it every few seconds), with a msg so Catch nodes get it.
      if (!repeated) node.error(`kafka in: ${context}: ${text}`, { payload: null, topic: String(def.topics || ''), error: { message: text } });
    }

    async function start(): Promise<void> {
      if (closing || !broker) return;
      state = 'connecting';
      showStatus();
      const kafka = broker.client.acquire(node.id);
      if (!lagReader && metricsConfig.enabled) {
        lagReader = new LagReader(kafka.admin(), {
          groupId: String(def.groupId),
          intervalMs: metricsConfig.lagIntervalMs,
          onLag: (lags) => { metrics.lag(lags); showStatus(); },
          onError: (e) => node.debug(`kafka in: reading the consumer lag failed: ${e.message}`),
        });
      }
      const c = kafka.consumer({
        groupId: String(def.groupId),
        allowAutoTopicCreation: false,
        retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10000 },
        sessionTimeout: 30000,
        heartbeatInterval: 3000,
        // Short fetch wait: kafkajs sleeps this long when every partition is paused, so a resume takes effect quickly.
        maxWaitTimeInMs: 100,
      });
      consumer = c;
      lastContact = Date.now();
      const contact = () => { lastContact = Date.now(); };
      c.on(c.events.FETCH, contact);
      c.on(c.events.HEARTBEAT, contact);
      c.on(c.events.GROUP_JOIN, (e) => {
        assignment = e.payload.memberAssignment as Record<string, number[]>;
        offsets.retain(assignment);
        if (lagReader) { lagReader.setAssignment(assignment); lagReader.start(); }
        for (const k of [...stoppedPartitions]) {
          const [t, pStr] = [k.slice(0, k.lastIndexOf('/')), k.slice(k.lastIndexOf('/') + 1)];
          if (!(assignment[t] || []).includes(Number(pStr))) stoppedPartitions.delete(k);
        }
        // Paused state is per partition: a new assignment starts unpaused unless we are still full.
        flowControl.paused = false;
        if (flowControl.shouldPause(offsets.inFlightRecords)) pauseAll();
        state = 'consuming';
        lastReported = '';
        showStatus();
      });
      c.on(c.events.CRASH, (e) => {
        const err = e.payload.error as Error;
        if (closing || consumer !== c) return;
        if (e.payload.restart) {
          state = 'connecting';
          showStatus();
          node.debug(`kafka in: consumer restarting after: ${err.message}`);
          return;
        }
        fail(err, 'consumer stopped');
        scheduleRestart(c);
      });
      try {
        await c.connect();
        await c.subscribe({ topics, fromBeginning: def.fromBeginning !== false && def.fromBeginning !== 'false' && def.start !== 'latest' });
        await c.run({
          autoCommit: commitMode === 'auto',
          autoCommitInterval: 1000,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 1,
          eachBatch,
        });
      } catch (e) {
        if (closing || consumer !== c) return;
        fail(e as Error, 'cannot consume');
        scheduleRestart(c);
      }
    }

    /** Drops a failed consumer and builds a new one a little later: survives broker outages without a redeploy. */
    function scheduleRestart(c: Consumer): void {
      if (consumer === c) consumer = null;
      c.disconnect().catch(() => undefined);
      offsets.reset();
      stoppedPartitions.clear();
      flowControl.paused = false;
      if (reconnectTimer || closing) return;
      reconnectTimer = setTimeout(() => { reconnectTimer = null; void start(); }, RECONNECT_MS);
    }

    void start();

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      roomWaiter?.();
      clearInterval(statusTimer);
      if (commitTimer) { clearTimeout(commitTimer); commitTimer = null; }
      if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
      const c = consumer;
      (async () => {
        // Commit what the flow finished, then leave the group so the partitions move on at once.
        if (c) {
          await commitFinished();
          await c.disconnect().catch(() => undefined);
        }
        consumer = null;
        await lagReader?.stop();
        metrics.close();
        if (tracker) for (const id of ownIds) tracker.forget(id);
        ownIds.clear();
        offsets.reset();
        leaveTracker(node.id);
        await broker!.client.release(node.id);
      })().catch((e) => node.debug(`kafka in: close: ${(e as Error).message}`)).finally(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('ceh-kafka-in', KafkaIn);
};
