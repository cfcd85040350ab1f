/* The Customer 360 pipeline in a Node-RED child process: throughput, RSS, CPU and latency of N demo events. */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, freePort, customerFlow } from '../../test/support/project';
import { launchNodeRed } from '../../test/support/node-red-child';
import { createTopics, deleteTopics } from '../../test/support/kafka-test-kit';
import { generate, TOPICS } from '../../lib/demo/generator';
import { BROKERS, GREMLIN_URL, RUN_ID, SOURCE, log, sleep } from './options';
import { changeSetsOf, clearGraph, connection, graphCounts } from './graph';
import { kafka, produceAll } from './kafka';

/* ------------------------------------------------------------------ the pipeline in a Node-RED child process */

/** After `gremlin upsert` (pass-through): per record, write acknowledged minus Kafka timestamp, in a 1 ms histogram. */
export const STATS_FN = `
const now = Date.now();
let st = flow.get('benchStats');
if (!st) { st = { n: 0, msgs: 0, first: 0, last: 0, records: 0, h: new Array(60001).fill(0) }; flow.set('benchStats', st); }
const k = msg.kafka || {};
const ts = Array.isArray(k.timestamps) ? k.timestamps : (k.timestamp !== undefined ? [k.timestamp] : []);
for (const t of ts) { st.h[Math.min(60000, Math.max(0, now - Number(t)))]++; st.records++; }
st.n += Array.isArray(msg.payload) ? msg.payload.length : 1;
st.msgs++;
if (!st.first) st.first = now;
st.last = now;
return null;`;
export const STATS_HTTP_FN = `
const st = flow.get('benchStats');
msg.payload = !st ? { n: 0 } : msg.req.query.full ? st : { n: st.n, msgs: st.msgs, first: st.first, last: st.last, records: st.records };
return msg;`;

export interface PipelineResult {
  events: number;
  expected: number;
  written: number;
  firstProduce: number;
  lastProduce: number;
  firstWrite: number;
  lastWrite: number;
  eventsPerSec: number;
  peakRssMB: number;
  hwmMB: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
  /** The graph's data, and the keyed-edge guard's identity vertices apart (JanusGraph: one per keyed edge). */
  graph: { v: number; e: number; identities: number };
  drainSecs: number;
  complete: boolean;
  /** CPU ms the Node-RED process spent per 1,000 events, from just before the produce to the last write. */
  cpuMsPer1000: number | null;
  /** About twice a second from the first poll: seconds since then, change sets written so far, RSS in MB. */
  series: Array<{ t: number; n: number; rssMB: number }>;
}

export function benchFlow(prefix: string, groupPrefix: string, port: number): unknown[] {
  const flow = customerFlow({
    topicPrefix: prefix,
    groupPrefix,
    traversalSource: SOURCE,
    brokers: BROKERS.join(','),
    gremlinUrl: GREMLIN_URL,
    httpPath: `/customer-${RUN_ID}/:id/360`,
  }) as Array<Record<string, any>>;
  const upsert = flow.find((n) => n.type === 'ceh-gremlin-upsert')!;
  const tab = upsert.z;
  upsert.passThrough = true;
  upsert.wires[0] = ['benchstats0001'];
  flow.push(
    {
      id: 'benchstats0001',
      type: 'function',
      z: tab,
      name: 'bench: written + latency',
      func: STATS_FN,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 1100,
      y: 270,
      wires: [[]],
    },
    {
      id: 'benchhttp0001',
      type: 'http in',
      z: tab,
      name: '',
      url: '/bench/stats',
      method: 'get',
      upload: false,
      swaggerDoc: '',
      x: 1100,
      y: 800,
      wires: [['benchhttp0002']],
    },
    {
      id: 'benchhttp0002',
      type: 'function',
      z: tab,
      name: 'bench stats',
      func: STATS_HTTP_FN,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 1300,
      y: 800,
      wires: [['benchhttp0003']],
    },
    {
      id: 'benchhttp0003',
      type: 'http response',
      z: tab,
      name: '',
      statusCode: '',
      headers: {},
      x: 1500,
      y: 800,
      wires: [],
    },
  );
  void port;
  return flow;
}

export function readProcStatus(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number((s.match(new RegExp(`${k}:\\s+(\\d+)`)) || [])[1] || 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process has used so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number | null {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export function percentile(h: number[], q: number): number | null {
  const total = h.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const want = Math.ceil(total * q);
  let seen = 0;
  for (let i = 0; i < h.length; i++) {
    seen += h[i];
    if (seen >= want) return i;
  }
  return h.length - 1;
}

/**
 * Runs N demo events through Kafka → kafka in → graph map → gremlin upsert → gBench in a Node-RED child process
 * started by test/support/node-red-child.ts (scripts/node-red-home.js). backlog: produce everything before Node-RED starts (a backlog drains);
 * otherwise Node-RED first, then produce (at `rate` events/s, or as fast as possible).
 */
export async function runPipeline(
  label: string,
  events: number,
  o: { backlog: boolean; rate?: number; seed?: number; profile?: boolean; metrics?: boolean },
): Promise<PipelineResult> {
  const prefix = `bench.${RUN_ID}.${label}.`;
  const groupPrefix = `bench-${RUN_ID}-${label}`;
  // Seconds spent in each phase, logged at the end: where a quick run's minutes go (issue 17, target 7).
  const phases: Record<string, number> = {};
  let phaseAt = Date.now();
  const phase = (name: string) => {
    phases[name] = Number(((Date.now() - phaseAt) / 1000).toFixed(1));
    phaseAt = Date.now();
  };
  const { records } = generate(events, o.seed ?? 7);
  const expected = changeSetsOf(records).length;
  const topics = [...Object.values(TOPICS)].map((t) => prefix + t);
  await createTopics(topics, 3);
  const prefixed = records.map((r) => ({ topic: prefix + r.topic, key: r.key, value: r.value }));
  await clearGraph();
  let produced: { first: number; last: number } | null = null;
  if (o.backlog) {
    log(`${label}: producing a backlog of ${events} events`);
    produced = await produceAll(prefixed);
  }
  phase('topics, graph, backlog');
  // The flow's HTTP endpoint names the port, so it is chosen before the flow is written.
  const port = await freePort();
  // Metrics on (the default) or off; when on, /metrics is scraped every second as a Prometheus would.
  const metricsOn = o.metrics !== false;
  const profDir = path.join(ROOT, 'bench', 'results', 'profiles');
  if (o.profile) fs.mkdirSync(profDir, { recursive: true });
  const nr = await launchNodeRed({
    name: `bench-${label}`,
    flow: benchFlow(prefix, groupPrefix, port),
    port,
    settings: {
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      cehMetrics: { enabled: metricsOn },
    },
    output: 'inherit',
    execArgv: o.profile
      ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${label}-${RUN_ID}.cpuprofile`]
      : [],
  }).catch(async (e) => {
    await deleteTopics(topics);
    throw e;
  });
  phase('Node-RED start');
  const { child } = nr;
  let peakRss = 0;
  let rssNow = 0;
  let scrapes = 0;
  const scraper = metricsOn
    ? setInterval(() => {
        fetch(`http://127.0.0.1:${port}/metrics`)
          .then((r) => r.text())
          .then(
            () => {
              scrapes++;
            },
            () => undefined,
          );
      }, 1000)
    : null;
  const sampler = setInterval(() => {
    const s = readProcStatus(child.pid!);
    if (s) {
      rssNow = s.rss;
      peakRss = Math.max(peakRss, s.rss);
    }
  }, 200);
  const url = `http://127.0.0.1:${port}/bench/stats`;
  let cpuBefore: number | null = null;
  const stats = async (full = false) => (await (await fetch(full ? `${url}?full=1` : url)).json()) as any;
  try {
    if (!o.backlog) {
      // The four consumer groups joined: the clock starts at the first produce, not at Node-RED's start.
      const admin = kafka.admin();
      await admin.connect();
      const groupIds = Object.values(TOPICS)
        .filter((t) => t !== TOPICS.deadletter)
        // The flow names its groups after the unprefixed topic (scripts/build-flow.js); with the prefix in them, no
        // group ever existed and every such pipeline waited out the 60 s below (a minute per run, issue 17 target 7).
        .map((t) => `${groupPrefix}-${t.replace(/\W/g, '')}`);
      const deadline = Date.now() + 60000;
      let stable = false;
      while (!stable && Date.now() < deadline) {
        const { groups } = await admin.describeGroups(groupIds);
        stable = groups.every((g) => g.state === 'Stable');
        if (!stable) await sleep(200);
      }
      if (!stable) log(`${label}: the consumer groups did not all join within 60 s; producing anyway`);
      await admin.disconnect();
      phase('groups joined');
      cpuBefore = cpuSeconds(child.pid!);
      log(`${label}: producing ${events} events${o.rate ? ` at ${o.rate} events/s` : ' as fast as possible'}`);
      produced = await produceAll(prefixed, o.rate);
    }
    const started = Date.now();
    const series: PipelineResult['series'] = [];
    let last = { n: -1, at: Date.now() };
    let s: any = { n: 0 };
    for (;;) {
      s = await stats();
      const at = (Date.now() - started) / 1000;
      if (!series.length || at - series[series.length - 1].t >= 0.5 || s.n >= expected)
        series.push({ t: at, n: s.n, rssMB: Math.round(rssNow) });
      if (s.n >= expected) break;
      if (s.n !== last.n) last = { n: s.n, at: Date.now() };
      else if (Date.now() - last.at > 60000) {
        log(`${label}: no progress for 60 s at ${s.n}/${expected} written; giving up`);
        break;
      }
      await sleep(250);
    }
    phase(o.backlog ? 'drain' : 'produce and drain');
    const full = await stats(true);
    const cpuAfter = cpuSeconds(child.pid!);
    const hwm = readProcStatus(child.pid!)?.hwm ?? 0;
    const c = await connection();
    const graph = await graphCounts(c);
    await c.close();
    const firstProduce = produced!.first;
    const result: PipelineResult = {
      events,
      expected,
      written: full.n,
      firstProduce,
      lastProduce: produced!.last,
      firstWrite: full.first,
      lastWrite: full.last,
      eventsPerSec: Math.round((events * 1000) / Math.max(1, full.last - (o.backlog ? started : firstProduce))),
      peakRssMB: Math.round(peakRss),
      hwmMB: Math.round(hwm),
      p50: percentile(full.h, 0.5),
      p99: percentile(full.h, 0.99),
      max: percentile(full.h, 1),
      graph,
      drainSecs: (full.last - started) / 1000,
      complete: full.n >= expected,
      series,
      cpuMsPer1000:
        cpuBefore !== null && cpuAfter !== null ? Math.round(((cpuAfter - cpuBefore) * 1000 * 1000) / events) : null,
    };
    log(`${label}: ${JSON.stringify({ ...result, series: `${series.length} samples`, metrics: metricsOn, scrapes })}`);
    return result;
  } finally {
    clearInterval(sampler);
    if (scraper) clearInterval(scraper);
    phase('checks');
    await nr.stop();
    phase('Node-RED stop');
    await deleteTopics(topics);
    phase('topics deleted');
    log(`${label}: seconds per phase ${JSON.stringify(phases)}`);
  }
}

/**
 * Events/s in each tenth of a drain (issue 17, target 5: throughput steady over the backlog), from the series: the
 * times at which the written change sets reach 10 %, 20 %, … of all, interpolated between samples; change sets
 * scaled back to events.
 */
export function decileRates(r: PipelineResult): number[] {
  const perEvent = r.events / Math.max(1, r.expected);
  const s = [{ t: 0, n: 0 }, ...r.series];
  const crossing = (want: number): number | null => {
    const j = s.findIndex((x) => x.n >= want);
    if (j <= 0) return j === 0 ? 0 : null;
    const a = s[j - 1];
    const b = s[j];
    return a.t + ((b.t - a.t) * (want - a.n)) / Math.max(1, b.n - a.n);
  };
  const out: number[] = [];
  let prev = 0;
  for (let d = 1; d <= 10; d++) {
    const at = crossing((r.expected * d) / 10);
    if (at === null) break;
    out.push(Math.round(((r.expected / 10) * perEvent) / Math.max(0.001, at - prev)));
    prev = at;
  }
  return out;
}
