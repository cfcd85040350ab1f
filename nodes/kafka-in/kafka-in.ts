/*
 * `kafka in`: consumes topics as a member of a consumer group and sends one message per record (or per fetched
 * batch). Default mode is at-least-once through the whole flow: offsets are committed per partition only up to the
 * first record the flow has not finished with. The consumer's state machine is lib/kafka/consumer-runner.ts; this
 * node reads its settings, tells it when the flow finished a message (completion-hooks.ts) and shows its status.
 */
import * as crypto from 'crypto';
import { errorSource, type NodeAPI, type Node, type NodeDef, type NodeStatus } from '../shared/red';
import type { KafkaBrokerNode } from '../shared/contracts';
import { isDecodeMode, DecodeMode } from '../../lib/kafka/codec';
import {
  ConsumerRunner,
  consumerConfig,
  checkMaxInFlight,
  checkGroupTimings,
  describeAssignment,
  DEFAULT_GROUP_TIMINGS,
  RunnerStatus,
  RunnerProblem,
  DeliverySink,
} from '../../lib/kafka/consumer-runner';
import { joinTracker, leaveTracker } from './completion-hooks';
import { configFlag } from '../shared/config';
import { kafkaConfigText } from '../shared/texts';
import { parseTopics } from '../../lib/kafka/client-config';
import { LagReader } from '../../lib/kafka/lag-reader';
import { KafkaInMetrics } from '../../lib/metrics/series';
import { serveMetrics, metricsSettings } from '../shared/metrics';
import { partitionLeases } from '../../lib/kafka/partition-leases';

/** '000' .. 'fff': the low digits of kafka in's message ids. */
const HEX3 = Array.from({ length: 4096 }, (_, i) => (i + 0x1000).toString(16).slice(1));

type Translate = (key: string, subs?: Record<string, unknown>) => string;

/** The node status for a runner status, with the consumer lag when it is known and not 0 (texts from the locale). */
function statusOf(t: Translate, s: RunnerStatus, lag: number): NodeStatus {
  const st = baseStatus(t, s);
  if (lag > 0 && (s.state === 'consuming' || s.state === 'paused')) st.text += t('ceh-kafka-in.status.lag', { lag });
  return st;
}

function baseStatus(t: Translate, s: RunnerStatus): NodeStatus & { text: string } {
  switch (s.state) {
    case 'error':
      return { fill: 'red', shape: 'ring', text: s.error.slice(0, 80) };
    case 'connecting':
      return { fill: 'grey', shape: 'ring', text: t('node-red:common.status.connecting') };
    case 'rejoining':
      return { fill: 'yellow', shape: 'ring', text: t('ceh-kafka-in.status.rejoining', { groupId: s.groupId }) };
    case 'waiting':
      return { fill: 'yellow', shape: 'ring', text: t('ceh-kafka-in.status.waiting', { topics: s.topics.join(', ') }) };
    case 'silent':
      return {
        fill: 'yellow',
        shape: 'ring',
        text: t('ceh-kafka-in.status.silent', { seconds: s.seconds, inFlight: s.inFlight }),
      };
    case 'stopped':
      return {
        fill: 'red',
        shape: 'dot',
        text: t('ceh-kafka-in.status.stopped', { partitions: s.partitions.join(' '), inFlight: s.inFlight }),
      };
    case 'paused':
      return { fill: 'yellow', shape: 'dot', text: t('ceh-kafka-in.status.paused', { inFlight: s.inFlight }) };
    case 'consuming':
      return {
        fill: 'green',
        shape: 'dot',
        text: t('ceh-kafka-in.status.consuming', {
          rate: s.rate,
          inFlight: s.inFlight,
          partitions: describeAssignment(s.assignment),
        }),
      };
  }
}

/** The node's saved configuration. */
interface KafkaInDef extends NodeDef {
  broker?: string;
  topics?: string;
  topicsType?: 'list' | 'regex';
  groupId?: string;
  start?: 'earliest' | 'latest';
  /** Before `start`. */
  fromBeginning?: boolean | string;
  valueDecoding?: string;
  keyDecoding?: string;
  mode?: 'message' | 'batch';
  commit?: 'flow' | 'auto';
  onError?: 'continue' | 'stop';
  maxInFlight?: number | string;
  sessionTimeout?: number | string;
  heartbeatInterval?: number | string;
}

export = function (RED: NodeAPI) {
  serveMetrics(RED);
  const t: Translate = (key, subs) => RED._(key, subs);
  function KafkaIn(this: Node, def: KafkaInDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const broker = RED.nodes.getNode(String(def.broker || '')) as KafkaBrokerNode | null;
    const decoding = {
      value: (isDecodeMode(def.valueDecoding) ? def.valueDecoding : 'auto') as DecodeMode,
      key: (isDecodeMode(def.keyDecoding) ? def.keyDecoding : 'string') as DecodeMode,
    };

    let topics: string[] | RegExp[];
    let maxInFlight: number;
    let groupTimings: { sessionTimeoutMs: number; heartbeatMs: number };
    try {
      if (!broker) throw new Error(t('ceh-kafka-in.errors.noBroker'));
      if (!def.groupId) throw new Error(t('ceh-kafka-in.errors.noGroup'));
      topics = parseTopics(String(def.topics || ''), String(def.topicsType || 'list'));
      maxInFlight = checkMaxInFlight(
        def.maxInFlight === undefined || def.maxInFlight === '' ? 1000 : Number(def.maxInFlight),
      );
      const ms = (v: unknown, dflt: number) => (v === undefined || v === '' ? dflt : Number(v));
      groupTimings = checkGroupTimings(
        ms(def.sessionTimeout, DEFAULT_GROUP_TIMINGS.sessionTimeoutMs),
        ms(def.heartbeatInterval, DEFAULT_GROUP_TIMINGS.heartbeatMs),
      );
      broker.client.acquire(node.id);
    } catch (e) {
      const text = kafkaConfigText(t, e);
      node.status({ fill: 'red', shape: 'ring', text });
      node.error(`kafka in: ${text}`);
      return;
    }

    const tracker = joinTracker(RED.hooks, node.id);
    if (!tracker) node.warn(`kafka in: ${t('ceh-kafka-in.log.noHooks')}`);
    const metricsConfig = metricsSettings(RED);
    const metrics = new KafkaInMetrics(node, metricsConfig.enabled);

    // Message ids in Node-RED's own form (16 hex digits) without 8 random bytes per record: crypto.randomBytes was
    // the largest share of this node's own per-message CPU (issue 17, README Performance). A random prefix per node
    // and a counter: unique among this runtime's tracked messages, which is all the completion tracker needs.
    // The counter's last three hex digits come from a table and the rest changes every 4,096 ids: a number's
    // toString(16) per record cost more than the rest of this function.
    const idPrefix = crypto.randomBytes(4).toString('hex');
    let idSeq = 0;
    let idHigh = '';
    const nextId = () => {
      const low = idSeq & 0xfff;
      if (low === 0 || !idHigh) idHigh = idPrefix + ((idSeq >>> 12) + 0x100000).toString(16).slice(1);
      idSeq = (idSeq + 1) >>> 0;
      return idHigh + HEX3[low];
    };
    const sink: DeliverySink = {
      send({ output, msg }, finished) {
        const id = nextId();
        // The runner builds a new msg per send: it becomes the message itself (no copy per record, issue 17).
        const m = msg as typeof msg & { _msgid: string };
        m._msgid = id;
        // Undecodable records name this node as the failing one (dead letters carry it), as a Catch node would.
        if (output === 1 && m.error && typeof m.error === 'object')
          (m as Record<string, unknown>).error = { ...m.error, source: errorSource(node) };
        // Tracked under this node's id, so a close forgets them all without a set of ids kept per message.
        if (tracker) tracker.track(id, finished, node.id);
        if (output === 1) metrics.undecodable(String(msg.topic));
        node.send(output === 0 ? [m, null] : [null, m]);
        if (tracker) tracker.sent(id);
        else finished(undefined);
      },
    };

    const runner = new ConsumerRunner(
      {
        topics,
        fromBeginning: configFlag(def.fromBeginning, true) && def.start !== 'latest',
        batchMode: def.mode === 'batch',
        commitMode: def.commit === 'auto' ? 'auto' : 'flow',
        stopOnError: def.onError === 'stop',
        decoding,
        maxInFlight,
        groupId: String(def.groupId),
      },
      () => broker.client.acquire(node.id).consumer(consumerConfig(String(def.groupId), groupTimings)),
      sink,
      {
        status: (s) => {
          lastStatus = s;
          node.status(statusOf(t, s, lagReader?.totalLag ?? 0));
        },
        problem: (p: RunnerProblem) => {
          if (p.kind === 'waiting-for-topic') {
            // Info, once: a topic that does not exist yet is a normal first start, not an error.
            node.log(`kafka in: ${t('ceh-kafka-in.log.waiting', { topics: p.topics.join(', ') })}`);
          } else if (p.kind === 'partition-stopped') {
            node.error(
              `kafka in: ${t('ceh-kafka-in.log.partitionStopped', { topic: p.topic, partition: p.partition, offset: p.offset, message: p.error.message })}`,
            );
          } else {
            // With a msg, so Catch nodes get it.
            const text = kafkaConfigText(t, p.error) || String(p.error);
            const said =
              p.context === 'cannot consume'
                ? t('ceh-kafka-in.log.cannotConsume', { message: text })
                : t('ceh-kafka-in.log.consumerStopped', { message: text });
            node.error(`kafka in: ${said}`, {
              payload: null,
              topic: String(def.topics || ''),
              error: { message: text },
            });
          }
        },
        debug: (text) => node.debug(`kafka in: ${text}`),
      },
      {},
      // Without hooks a record counts as finished when sent, so it must not be fenced (lib/kafka/partition-leases).
      tracker ? partitionLeases : null,
    );
    let lastStatus: RunnerStatus | null = null;

    // Metrics: the runner's observations feed the series; the lag is read from the broker on an interval.
    let lagReader: LagReader | null = null;
    if (metricsConfig.enabled) {
      runner.on('delivered', (d) => metrics.consumed(d.topic, d.partition, d.records));
      metrics.sample(() => ({ inFlight: runner.inFlight, pausedPartitions: runner.pausedPartitions }));
      const reader = new LagReader(broker.client.acquire(node.id).admin(), {
        groupId: String(def.groupId),
        intervalMs: metricsConfig.lagIntervalMs,
        onLag: (lags) => {
          metrics.lag(lags);
          if (lastStatus) node.status(statusOf(t, lastStatus, reader.totalLag));
        },
        onError: (e) => node.debug(`kafka in: reading the consumer lag failed: ${e.message}`),
      });
      runner.on('assigned', (assignment) => {
        metrics.assigned(assignment);
        reader.setAssignment(assignment);
        reader.start();
      });
      lagReader = reader;
    }
    runner.start();

    node.on('close', (_removed: boolean, done: () => void) => {
      runner
        .close()
        .catch((e) => node.debug(`kafka in: close: ${(e as Error).message}`))
        .then(async () => {
          await lagReader?.stop();
          metrics.close();
          tracker?.forgetOwner(node.id);
          leaveTracker(RED.hooks, node.id);
          await broker.client.release(node.id);
        })
        .catch((e) => node.debug(`kafka in: close: ${(e as Error).message}`))
        .finally(() => {
          node.status({});
          done();
        });
    });
  }
  RED.nodes.registerType('ceh-kafka-in', KafkaIn);
};
