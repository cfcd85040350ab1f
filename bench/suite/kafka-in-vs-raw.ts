/* Part 3: kafka in (per message, batch mode; metrics on and off) vs a bare kafkajs consumer. */
import { startNodeRed as startEmbedded } from '../../test/support/node-red-runtime';
import { generate } from '../../lib/demo/generator';
import { BROKERS, QUICK, RUN_ID, SIZES, log, sleep } from './options';
import { kafka, createTopics, deleteTopics, produceAll } from './kafka';
import { rows, figures } from './report';

/* ------------------------------------------------------------------ part 3: kafka in vs raw kafkajs */

export async function part3(): Promise<void> {
  const total = SIZES.kafka;
  const topic = `bench.${RUN_ID}.kafkain`;
  await createTopics([topic]);
  const { records } = generate(Math.max(1000, Math.ceil(total / 50)), 3);
  const values = records.filter((r) => r.value && typeof r.value === 'object').map((r) => JSON.stringify(r.value));
  log(`part 3: producing ${total} records`);
  await produceAll(
    Array.from({ length: total }, (_, i) => ({ topic, key: `k${i % 997}`, value: values[i % values.length] })),
  );
  const results: Record<string, { secs: number; perSec: number }> = {};
  const runs: Array<{ run: string; secs: number; perSec: number }> = [];
  try {
    // Raw kafkajs: eachBatch, decode each value, resolve its offset; clock from first to last record. Three runs (before,
    // between and after the kafka in modes), the best kept as for kafka in: others' load only ever slows a run down.
    const rawRun = async (k: number): Promise<void> => {
      let n = 0;
      let first = 0;
      let lastAt = 0;
      const consumer = kafka.consumer({ groupId: `bench-${RUN_ID}-raw${k}` });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            if (!first) first = Date.now();
            for (const m of batch.messages) {
              JSON.parse(m.value!.toString());
              n++;
              resolveOffset(m.offset);
            }
            lastAt = Date.now();
            await heartbeat();
            if (n >= total) resolve();
          },
        });
      });
      await done;
      await consumer.disconnect();
      const secs = (lastAt - first) / 1000;
      const perSec = Math.round(total / secs);
      runs.push({ run: 'raw', secs, perSec });
      if (!results.raw || perSec > results.raw.perSec) results.raw = { secs, perSec };
      log(`part 3: raw kafkajs ${perSec} records/s`);
    };
    await rawRun(1);
    const counter = {
      n: 0,
      first: 0,
      last: 0,
      count(msg: { payload: unknown }) {
        if (!this.first) this.first = Date.now();
        this.n += Array.isArray(msg.payload) ? msg.payload.length : 1;
        this.last = Date.now();
      },
    };
    // Node-RED reads its settings through getters on this object: flipping `enabled` between deploys switches the
    // metrics of the next nodes on or off in the same runtime. With metrics on, the registry is rendered every second.
    const cehMetrics = { enabled: true };
    const rt = await startEmbedded({ globals: { counter }, settings: { cehMetrics } });
    const { metricsText } = await import('../../lib/metrics/registry');
    try {
      // Each mode with metrics on and off, three times each in ABBAAB order (quick: twice, ABBA) after one warm-up run (the runtime's first
      // deploy is slower: JIT); the best of each three is reported, since others' load only ever slows a run down.
      const abba = (m: string) => [m, `${m}-off`, `${m}-off`, m, ...(QUICK ? [] : [m, `${m}-off`])];
      for (const run of ['warmup', ...abba('message'), 'raw', ...abba('batch'), 'raw']) {
        if (run === 'raw') {
          await rawRun(runs.length);
          continue;
        }
        const mode = run === 'warmup' ? 'message' : run.replace('-off', '');
        cehMetrics.enabled = !run.endsWith('-off');
        const scraper = cehMetrics.enabled
          ? setInterval(() => {
              void metricsText();
            }, 1000)
          : null;
        Object.assign(counter, { n: 0, first: 0, last: 0 });
        await rt.deploy([
          { id: 'broker', type: 'ceh-kafka-broker', brokers: BROKERS.join(','), clientId: 'ceh-bench' },
          {
            id: 'kin',
            type: 'ceh-kafka-in',
            broker: 'broker',
            topics: topic,
            groupId: `bench-${RUN_ID}-${run}-${Math.random().toString(36).slice(2, 6)}`,
            start: 'earliest',
            valueDecoding: 'json',
            mode,
            wires: [['cnt'], []],
          },
          {
            id: 'cnt',
            type: 'function',
            func: "global.get('counter').count(msg); return null;",
            outputs: 1,
            wires: [],
          },
        ] as any);
        const deadline = Date.now() + 600000;
        while (counter.n < total && Date.now() < deadline) await sleep(20);
        const secs = (counter.last - counter.first) / 1000;
        if (scraper) clearInterval(scraper);
        const perSec = Math.round(counter.n / secs);
        runs.push({ run, secs, perSec });
        if (run !== 'warmup' && (!results[run] || perSec > results[run].perSec)) results[run] = { secs, perSec };
        log(
          `part 3: kafka in ${mode} mode, metrics ${cehMetrics.enabled ? 'on' : 'off'}: ${perSec} records/s (${counter.n} records)`,
        );
        await rt.deploy([]);
      }
    } finally {
      await rt.stop();
    }
  } finally {
    await deleteTopics([topic]);
  }
  figures.part3 = { records: total, ...results, runs };
  rows.push({
    part: '3 kafka in vs raw',
    figure: 'raw kafkajs eachBatch',
    value: results.raw.perSec,
    unit: 'records/s',
    target: '',
    ratio: null,
    met: null,
  });
  rows.push({
    part: '3 kafka in vs raw',
    figure: 'kafka in, per message',
    value: results.message.perSec,
    unit: 'records/s',
    target: '>= 0.5x raw',
    ratio: results.message.perSec / results.raw.perSec,
    met: results.message.perSec / results.raw.perSec >= 0.5,
  });
  const r = results.batch.perSec / results.raw.perSec;
  rows.push({
    part: '3 kafka in vs raw',
    figure: 'kafka in, batch mode',
    value: results.batch.perSec,
    unit: 'records/s',
    target: '>= 0.8x raw',
    ratio: r,
    met: r >= 0.8,
  });
  for (const mode of ['message', 'batch']) {
    const cost = results[mode].perSec / results[`${mode}-off`].perSec;
    rows.push({
      part: '3 kafka in vs raw',
      figure: `kafka in, ${mode === 'message' ? 'per message' : 'batch mode'}, metrics off`,
      value: results[`${mode}-off`].perSec,
      unit: 'records/s',
      target: 'on >= 0.95x off',
      ratio: cost,
      met: cost >= 0.95,
    });
  }
}
