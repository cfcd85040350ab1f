/* The bench's Kafka client and a producer that stamps each record with the time it is sent (topics: test/support/kafka-test-kit). */
import { Kafka, logLevel, Message } from 'kafkajs';
import { BROKERS, RUN_ID, sleep } from './options';

/* ------------------------------------------------------------------ Kafka helpers */

export const kafka = new Kafka({ brokers: BROKERS, clientId: `ceh-bench-${RUN_ID}`, logLevel: logLevel.NOTHING });

/**
 * Produces records (topic names already prefixed), each stamped with the time it is sent; `rate` events/s or as fast
 * as the broker takes them (a few batches in flight). Returns when the last batch is acknowledged.
 */
export async function produceAll(
  records: Array<{ topic: string; key: string | null; value: unknown }>,
  rate?: number,
): Promise<{ first: number; last: number }> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const toMsg = (r: { key: string | null; value: unknown }, now: string): Message => ({
    key: r.key,
    value: r.value === null ? null : typeof r.value === 'string' ? r.value : JSON.stringify(r.value),
    timestamp: now,
  });
  const send = (slice: typeof records) => {
    const now = String(Date.now());
    const byTopic = new Map<string, Message[]>();
    for (const r of slice) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push(toMsg(r, now));
    }
    return producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: 1,
    });
  };
  const first = Date.now();
  try {
    if (rate) {
      const tickMs = 50;
      const chunk = Math.max(1, Math.round((rate * tickMs) / 1000));
      for (let i = 0; i < records.length; i += chunk) {
        await send(records.slice(i, i + chunk));
        const due = first + ((i + chunk) / rate) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    } else {
      const chunk = 2000;
      const inFlight = new Set<Promise<unknown>>();
      for (let i = 0; i < records.length; i += chunk) {
        const p: Promise<unknown> = send(records.slice(i, i + chunk)).finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= 4) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }
  } finally {
    await producer.disconnect();
  }
  return { first, last: Date.now() };
}
