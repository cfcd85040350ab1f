/*
 * A first start as a newcomer has it: a brand-new, empty Kafka broker (a private one: no topics, no __consumer_offsets
 * yet) and Node-RED with the Customer 360 flow. Until the first event is produced, Node-RED logs no error-level line;
 * each `kafka in` says once, at info level, that it waits for its topic; once demo:produce has created the topics and
 * sent events, every consumer group consumes them and commits (the flow finished them).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { unique, eventually, sleep } from '../support/project';
import { startCustomerFlow, CustomerFlowChild } from '../support/node-red-child';
import { PrivateKafka } from '../support/private-kafka';
import { produceDemo } from '../../lib/demo/produce';
import { TOPICS } from '../../lib/demo/generator';

test(
  'first start on an empty broker: no error-level log line before the first event, "waiting for topic", then consuming',
  { timeout: 240000 },
  async () => {
    const broker = new PrivateKafka();
    const run = unique('first');
    let nr: CustomerFlowChild | undefined;
    try {
      await broker.init();
      await broker.start();
      nr = await startCustomerFlow(
        { groupPrefix: run, brokers: broker.brokers.join(','), traversalSource: 'gE2e' },
        {
          settings: { logging: { console: { level: 'info', metrics: false, audit: false } } },
        },
      );
      const kafkaIns = nr.flow.filter((n) => n.type === 'ceh-kafka-in');
      // Time passes on purpose: several reconnect rounds (3 s each) while the topics do not exist, in which each
      // kafka in must say only once that it waits (an absence of repeats is shown only by waiting).
      await sleep(12000);
      const before = nr.log.join('');
      const errors = before.split('\n').filter((l) => /\[error\]/.test(l));
      assert.deepEqual(errors, [], 'no error-level line before the first event');
      for (const n of kafkaIns) {
        const lines = before.split('\n').filter((l) => l.includes(`waiting for topic ${n.topics} to be created`));
        assert.equal(
          lines.length,
          1,
          `kafka in "${n.name}" said once that it waits for ${n.topics}:\n${before.slice(-2000)}`,
        );
        assert.match(lines[0], /\[info\]/);
      }

      // The first events: demo:produce creates the topics; every consumer picks them up without a redeploy.
      const sent = await produceDemo({ events: 200, seed: 3, brokers: broker.brokers, log: () => undefined });
      assert.ok(sent.events > 0);
      const admin = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        for (const n of kafkaIns) {
          await eventually(
            `group ${n.groupId} commits on ${n.topics}`,
            async () => {
              const [t] = await admin.fetchOffsets({ groupId: String(n.groupId), topics: [String(n.topics)] });
              return t && t.partitions.some((p) => Number(p.offset) > 0);
            },
            90000,
            500,
          );
        }
      } finally {
        await admin.disconnect();
      }
      assert.ok(Object.values(TOPICS).length >= kafkaIns.length);
    } catch (e) {
      if (nr) (e as Error).message += `\nNode-RED log:\n${nr.log.join('').slice(-4000)}`;
      throw e;
    } finally {
      await nr?.stop();
      await broker.destroy();
    }
  },
);
