/*
 * Measures kafka in throughput (records/s) on the local broker in a real Node-RED runtime, per-message and batch
 * mode, at-least-once commits on. Prints figures; asserts nothing.
 *   CEH_STACK_DIR=/work/main/stack/.run npm run build && node dist/bench/kafka-in.js [records] [message|batch]
 * (with node --cpu-prof: a CPU profile of kafka in's per-message path, issue 17 target 4).
 */
import { startNodeRed } from '../test/support/node-red-runtime';
import { unique, eventually } from '../test/support/project';
import { createTopic, deleteTopics, kafkaClient, brokerNode } from '../test/support/kafka-test-kit';
import { COUNT_NODE, newCounter, registerCountNode } from './suite/count-node';

async function main(): Promise<void> {
  const total = Number(process.argv[2] || 50000);
  const topic = unique('ceh-bench');
  await createTopic(topic, 1);
  const producer = kafkaClient().producer();
  await producer.connect();
  const value = JSON.stringify({
    type: 'customer.updated',
    customerId: 'C-1',
    name: 'Ada Lovelace',
    tags: ['a', 'b'],
    n: 1,
  });
  for (let sent = 0; sent < total; sent += 5000) {
    await producer.send({
      topic,
      messages: Array.from({ length: Math.min(5000, total - sent) }, (_, i) => ({ key: `k${sent + i}`, value })),
    });
  }
  await producer.disconnect();
  const counter = newCounter();
  const rt = await startNodeRed();
  registerCountNode(rt.RED, counter);
  try {
    for (const mode of process.argv[3] ? [process.argv[3]] : ['message', 'batch']) {
      counter.reset(total);
      const started = Date.now();
      await rt.deploy([
        brokerNode(),
        {
          id: 'kin',
          type: 'ceh-kafka-in',
          broker: 'broker',
          topics: topic,
          groupId: unique('g-bench'),
          start: 'earliest',
          valueDecoding: 'auto',
          mode,
          maxInFlight: 1000,
          wires: [['cnt'], []],
        },
        { id: 'cnt', type: COUNT_NODE, wires: [] },
      ]);
      await eventually('all records', () => counter.n >= total, 300000, 20);
      const secs = (Date.now() - started) / 1000;
      console.log(
        `kafka in ${mode} mode: ${total} records in ${secs.toFixed(1)} s = ${Math.round(total / secs)} records/s (incl. group join); ` +
          `${((counter.cpuLast - counter.cpuFirst) / total).toFixed(1)} µs CPU per record from the first to the last`,
      );
      await rt.deploy([]);
    }
  } finally {
    await rt.stop();
    await deleteTopics([topic]);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
