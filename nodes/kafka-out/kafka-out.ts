/*
 * `kafka out`: publishes each message as one record. done() only after the broker acknowledged (per the acks
 * setting); a failed send goes to done(err) with the msg so Catch nodes see it. While the producer is not connected
 * messages wait, up to `maxQueue`; beyond that they fail at once instead of piling up in memory.
 * Dead-letter mode (`mode: deadLetter`) publishes the failed message's original event with its reason and origin as
 * headers (lib/kafka/dead-letter.ts), whichever node's error output or Catch node it comes from.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage } from '../shared/red';
import type { KafkaBrokerNode } from '../shared/contracts';
import { CompressionTypes } from 'kafkajs';
import { encodeHeaders, encodeKey, encodeValue } from '../../lib/kafka/codec';
import { deadLetterRecord, DeadLetterNotWritten } from '../../lib/kafka/dead-letter';
import { KafkaOutMetrics } from '../../lib/metrics/series';
import { serveMetrics, metricsSettings } from '../shared/metrics';
import { kafkaConfigText } from '../shared/texts';

const ACKS: Record<string, number> = { all: -1, leader: 1, none: 0 };

/** The node's saved configuration (key, headers and partition are TypedInputs: value + type). */
interface KafkaOutDef extends NodeDef {
  broker?: string;
  topic?: string;
  mode?: 'publish' | 'deadLetter';
  key?: string;
  keyType?: string;
  headers?: string;
  headersType?: string;
  partition?: string;
  partitionType?: string;
  acks?: string;
  compression?: 'none' | 'gzip';
  maxQueue?: number | string;
}

export = function (RED: NodeAPI) {
  serveMetrics(RED);
  const t = (key: string, subs?: Record<string, unknown>) => RED._(key, subs);
  function KafkaOut(this: Node, def: KafkaOutDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const broker = RED.nodes.getNode(String(def.broker || '')) as KafkaBrokerNode | null;
    const acks = ACKS[String(def.acks || 'all')] ?? -1;
    const gzip = def.compression === 'gzip';
    const maxQueue = Number(def.maxQueue) > 0 ? Number(def.maxQueue) : 1000;
    const deadLetter = def.mode === 'deadLetter';
    // In dead-letter mode every failure says the event was not secured, so kafka in holds its offset (see
    // DeadLetterNotWritten); a failed publish is an ordinary error that Catch nodes handle.
    const failure = (text: string) =>
      deadLetter ? new DeadLetterNotWritten(`kafka out: ${text}`) : new Error(`kafka out: ${text}`);
    let pending = 0;
    let sent = 0;
    let lastError = '';

    if (!broker) {
      const text = t('ceh-kafka-out.errors.noBroker');
      node.status({ fill: 'red', shape: 'ring', text });
      node.on('input', (_msg: NodeMessage, _send, done) => done(failure(text)));
      return;
    }
    try {
      broker.client.acquire(node.id);
    } catch (e) {
      const text = kafkaConfigText(t, e);
      node.status({ fill: 'red', shape: 'ring', text });
      node.on('input', (_msg: NodeMessage, _send, done) => done(failure(text)));
      return;
    }

    const metrics = new KafkaOutMetrics(node, metricsSettings(RED).enabled);
    const showStatus = () => {
      if (lastError) node.status({ fill: 'red', shape: 'ring', text: lastError.slice(0, 60) });
      else if (pending > 0)
        node.status({ fill: 'yellow', shape: 'dot', text: t('ceh-kafka-out.status.waiting', { sent, pending }) });
      else
        node.status({
          fill: deadLetter && sent > 0 ? 'yellow' : 'green',
          shape: 'dot',
          text: deadLetter ? t('ceh-kafka-out.status.deadLetters', { sent }) : t('ceh-kafka-out.status.sent', { sent }),
        });
    };
    node.status({ fill: 'grey', shape: 'ring', text: t('ceh-kafka-out.status.ready') });

    function evaluate(value: string | undefined, type: string | undefined, msg: NodeMessage): unknown {
      if (type === 'none' || type === undefined || type === '') return undefined;
      return RED.util.evaluateNodeProperty(value ?? '', type, node, msg);
    }

    node.on('input', (msg: NodeMessage, send, done) => {
      let record: {
        topic: string;
        partition?: number;
        key: Buffer | string | null;
        value: Buffer | string | null;
        headers?: Record<string, string | Buffer>;
      };
      try {
        const topic = (def.topic as string) || (typeof msg.topic === 'string' ? msg.topic : '');
        if (!topic) throw new Error(t('ceh-kafka-out.errors.noTopic'));
        const partitionValue = evaluate(def.partition, def.partitionType, msg);
        let partition: number | undefined;
        if (partitionValue !== undefined && partitionValue !== null && partitionValue !== '') {
          partition = Number(partitionValue);
          if (!Number.isInteger(partition) || partition < 0)
            throw new Error(t('ceh-kafka-out.errors.badPartition', { value: JSON.stringify(partitionValue) }));
        }
        if (deadLetter) {
          const letter = deadLetterRecord(msg as Record<string, unknown>);
          // Configured headers add to the dead letter's own (which win: they describe the failure).
          const extra = encodeHeaders(evaluate(def.headers, def.headersType, msg));
          record = { topic, partition, key: letter.key, value: letter.value, headers: { ...extra, ...letter.headers } };
        } else {
          record = {
            topic,
            partition,
            key: encodeKey(evaluate(def.key, def.keyType, msg)),
            value: encodeValue(msg.payload),
            headers: encodeHeaders(evaluate(def.headers, def.headersType, msg)),
          };
        }
      } catch (e) {
        done(failure((e as Error).message));
        return;
      }
      if (pending >= maxQueue) {
        done(failure(t('ceh-kafka-out.errors.queueFull', { pending, maxQueue, topic: record.topic })));
        return;
      }
      pending += 1;
      showStatus();
      broker.client
        .producer()
        .then((producer) =>
          producer.send({
            topic: record.topic,
            acks,
            compression: gzip ? CompressionTypes.GZIP : CompressionTypes.None,
            messages: [{ key: record.key, value: record.value, headers: record.headers, partition: record.partition }],
          }),
        )
        .then(
          (result) => {
            pending -= 1;
            sent += 1;
            lastError = '';
            // Dead-letter mode, or a message carrying msg.error (it came from an error output): a dead letter.
            metrics.published(record.topic, deadLetter || (msg.error !== undefined && msg.error !== null));
            const r = result && result[0];
            if (r)
              msg.kafka = {
                ...(typeof msg.kafka === 'object' && msg.kafka ? (msg.kafka as object) : {}),
                topic: r.topicName,
                partition: r.partition,
                offset: r.baseOffset,
              };
            showStatus();
            send(msg);
            done();
          },
          (err: Error) => {
            pending -= 1;
            lastError = err.message;
            metrics.failed(record.topic);
            showStatus();
            done(failure(t('ceh-kafka-out.errors.sendFailed', { topic: record.topic, message: err.message })));
          },
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      metrics.close();
      broker.client.release(node.id).then(done, done);
    });
  }
  RED.nodes.registerType('ceh-kafka-out', KafkaOut);
};
