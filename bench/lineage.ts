/*
 * The cost of lineage (opt-in per graph map), one run, off vs on: (1) mapping demo orders, clicks and tweets with the
 * shipped mappings, with and without the five _ceh_ properties; (2) writing the same change sets through the batch
 * writer into the real local Gremlin Server. Rounds alternate off/on so drift hits both alike. Prints events/s and
 * the ratios; asserts nothing.
 *   npm run build && node dist/bench/lineage.js [events to write, default 3000]
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadSpec, mapEvent, type CompiledMapping } from '../lib/mapping';
import { addLineage, lineageProperties } from '../lib/lineage';
import { GremlinConnection } from '../lib/gremlin/connection';
import { BatchWriter } from '../lib/gremlin/batch-writer';
import type { ChangeSet, EventRef } from '../lib/change-set';
import { ROOT } from '../test/support/project';
import { generate, MAPPING_OF, TOPICS } from '../lib/demo/generator';

const URL = process.env.CEH_GREMLIN_URL || 'ws://127.0.0.1:8182/gremlin';
// The shipped mappings of orders, clicks and tweets (the CRM's customers are Debezium events of another shape).
const MAPPINGS: Record<string, string> = Object.fromEntries(
  [TOPICS.orders, TOPICS.clicks, TOPICS.tweets].map((t) => [t, MAPPING_OF[t]]),
);

interface Event {
  topic: string;
  value: unknown;
  ref: EventRef;
  time: string;
}

function demoEvents(n: number): Event[] {
  const out: Event[] = [];
  const records = generate(n * 3, 11).records;
  for (const r of records) {
    if (!MAPPINGS[r.topic] || r.value === null || typeof r.value !== 'object' || (r as { bad?: string }).bad) continue;
    out.push({
      topic: r.topic,
      value: r.value,
      ref: { topic: r.topic, partition: 0, offset: String(out.length) },
      time: String(1700000000000 + out.length),
    });
    if (out.length === n) break;
  }
  return out;
}

function mapAll(mappings: Record<string, CompiledMapping>, events: Event[], lineage: boolean): ChangeSet[] {
  const out: ChangeSet[] = [];
  for (const e of events) {
    const cs = mapEvent(mappings[e.topic], e.value, e.ref);
    if (!cs) continue;
    if (lineage) addLineage(cs, lineageProperties(e.ref, e.time, `map ${e.topic}`));
    out.push(cs);
  }
  return out;
}

/** The change sets on labels of their own (<prefix>_<label>), so the bench never touches the demo's graph. */
function relabel(list: ChangeSet[], prefix: string): ChangeSet[] {
  const ref = <T extends { label: string }>(r: T): T => ({ ...r, label: `${prefix}_${r.label}` });
  return list.map((cs) => ({
    ...cs,
    vertices: cs.vertices.map(ref),
    edges: cs.edges.map((e) => ({ ...e, label: e.label, from: ref(e.from), to: ref(e.to) })),
    deletes: [],
  }));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 3000);
  const mappings = Object.fromEntries(
    Object.entries(MAPPINGS).map(([k, f]) => [k, loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', f), 'utf8'))]),
  );
  const events = demoEvents(n);
  const fmt = (r: number) => Math.round(r).toLocaleString('en-US').padStart(10);
  console.log(
    `lineage cost — node ${process.version}, ${events.length} demo events (orders, clicks, tweets), off vs on in one run`,
  );

  // (1) Mapping: best of 5 rounds each, alternating.
  const mapRate = { off: 0, on: 0 };
  for (let round = 0; round < 10; round++) {
    const mode = round % 2 === 0 ? 'off' : 'on';
    const t0 = process.hrtime.bigint();
    for (let rep = 0; rep < 5; rep++) mapAll(mappings, events, mode === 'on');
    const rate = (events.length * 5) / (Number(process.hrtime.bigint() - t0) / 1e9);
    mapRate[mode] = Math.max(mapRate[mode], rate);
  }
  console.log(
    `  mapping        off ${fmt(mapRate.off)} events/s   on ${fmt(mapRate.on)} events/s   on/off ${(mapRate.on / mapRate.off).toFixed(2)}x`,
  );

  // (2) Writing into the real Gremlin Server: two rounds each, alternating, fresh labels per round.
  const conn = new GremlinConnection({ url: URL });
  await conn.open();
  const writeRate = { off: [] as number[], on: [] as number[] };
  const prefixes: string[] = [];
  const elements = { off: 0, on: 0 };
  try {
    for (let round = 0; round < 4; round++) {
      const mode = round % 2 === 0 ? 'off' : 'on';
      const prefix = `benchLin${mode}${round}_${Date.now().toString(36)}`;
      prefixes.push(prefix);
      const list = relabel(mapAll(mappings, events, mode === 'on'), prefix);
      elements[mode] = list.reduce((s, cs) => s + cs.vertices.length + cs.edges.length, 0);
      const writer = new BatchWriter(conn, { dialect: 'tinkerpop' });
      const t0 = Date.now();
      const failures = await writer.write(list);
      if (failures.length) throw new Error(`write failed: ${failures[0].message}`);
      writeRate[mode].push(list.length / ((Date.now() - t0) / 1000));
    }
  } finally {
    for (const p of prefixes) {
      const labels = ((await conn.submit('g.V().label().dedup()')) as string[]).filter((l) => l.startsWith(`${p}_`));
      if (labels.length) await conn.submit('g.V().hasLabel(within(ls)).drop()', { ls: labels });
    }
    await conn.close();
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [off, on] = [mean(writeRate.off), mean(writeRate.on)];
  console.log(
    `  write (batch)  off ${fmt(off)} events/s   on ${fmt(on)} events/s   on/off ${(on / off).toFixed(2)}x   (${elements.on} elements per round, rounds: off ${writeRate.off.map(Math.round).join('/')}, on ${writeRate.on.map(Math.round).join('/')})`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
