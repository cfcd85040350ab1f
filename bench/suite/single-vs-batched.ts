/* Part 1: the same demo events written one request per event vs by the batch writer, with both merge plans. */
import { generate } from '../../lib/demo/generator';
import { BatchWriter } from '../../lib/gremlin/batch-writer';
import { runQuery } from '../../lib/gremlin/query';
import { GRAPH_LABEL, SIZES, log } from './options';
import {
  EVENT_MERGES,
  changeSetsOf,
  clearGraph,
  connection,
  eventBinding,
  graphChecksum,
  graphCounts,
  serverCpuMs,
} from './graph';
import { rows, figures } from './report';

/* ------------------------------------------------------------------ part 1: single vs batched */

export async function part1(): Promise<void> {
  const { records } = generate(Math.ceil(SIZES.single * 1.05), 11);
  const sets = changeSetsOf(records).slice(0, SIZES.single);
  const vPer = sets.reduce((a, c) => a + c.vertices.length, 0) / sets.length;
  const ePer = sets.reduce((a, c) => a + c.edges.length, 0) / sets.length;
  log(`part 1: ${sets.length} change sets (${vPer.toFixed(2)} vertices + ${ePer.toFixed(2)} edges each)`);
  const script = `def ev = e\n${EVENT_MERGES}\nnull`;

  await clearGraph();
  let c = await connection();
  let t0 = Date.now();
  for (const cs of sets) await runQuery(c, script, { e: eventBinding(cs) }, 'tinkerpop');
  const singleMs = Date.now() - t0;
  const singleGraph = await graphCounts(c);
  const singleRequests = c.requestCount;
  await c.close();

  // The batch writer with each merge plan: wall time, server CPU and the final graph's checksum. The per-element plan
  // (today's default before issue 17) first, then the linked plan, then each again (ABAB: the better of two is kept,
  // since others' load only ever adds CPU to the shared server).
  const plans: Record<
    string,
    {
      ms: number;
      serverCpuMs: number;
      requests: number;
      graph: { v: number; e: number; identities: number };
      checksum: string;
      failures: number;
    }
  > = {};
  let failures: Awaited<ReturnType<BatchWriter['write']>> = [];
  for (const mergePlan of ['per-element', 'linked', 'per-element', 'linked'] as const) {
    await clearGraph();
    c = await connection();
    const writer = new BatchWriter(c, { dialect: 'tinkerpop', mergePlan });
    const cpu0 = await serverCpuMs(c);
    const before = c.requestCount;
    t0 = Date.now();
    const f = await writer.write(sets);
    const ms = Date.now() - t0;
    const cpu = (await serverCpuMs(c)) - cpu0;
    const run = {
      ms,
      serverCpuMs: cpu,
      requests: c.requestCount - before - 1,
      graph: await graphCounts(c),
      checksum: await graphChecksum(c),
      failures: f.length,
    };
    await c.close();
    log(`part 1: batch writer, ${mergePlan} plan: ${JSON.stringify(run)}`);
    const prev = plans[mergePlan];
    if (!prev || run.serverCpuMs < prev.serverCpuMs)
      plans[mergePlan] = { ...run, ms: prev ? Math.min(prev.ms, ms) : ms };
    else prev.ms = Math.min(prev.ms, ms);
    if (mergePlan === 'linked') failures = f;
  }
  await clearGraph();
  const batchMs = plans.linked.ms;
  const batchGraph = plans.linked.graph;
  const batchRequests = plans.linked.requests;
  if (failures.length) log(`part 1: ${failures.length} batched events failed, first: ${failures[0].message}`);
  const cpuBefore = (plans['per-element'].serverCpuMs * 1000) / sets.length;
  const cpuAfter = (plans.linked.serverCpuMs * 1000) / sets.length;
  const cpuRatio = cpuBefore / Math.max(1e-9, cpuAfter);
  const sameGraph = plans.linked.checksum === plans['per-element'].checksum;

  const single = (sets.length * 1000) / singleMs;
  const batched = (sets.length * 1000) / batchMs;
  const ratio = batched / single;
  figures.part1 = {
    events: sets.length,
    verticesPerEvent: vPer,
    edgesPerEvent: ePer,
    single: { ms: singleMs, eventsPerSec: single, requests: singleRequests, graph: singleGraph },
    batched: {
      ms: batchMs,
      eventsPerSec: batched,
      requests: batchRequests,
      graph: batchGraph,
      failures: failures.length,
    },
    plans,
  };
  rows.push({
    part: `1 merge plan, server CPU (${GRAPH_LABEL})`,
    figure: 'per-element plan (before): server CPU per event',
    value: Math.round(cpuBefore),
    unit: 'µs',
    target: '',
    ratio: null,
    met: null,
    note: `${Math.round((sets.length * 1000) / plans['per-element'].ms)} events/s`,
  });
  rows.push({
    part: `1 merge plan, server CPU (${GRAPH_LABEL})`,
    figure: 'linked plan (now): server CPU per event',
    value: Math.round(cpuAfter),
    unit: 'µs',
    target: '>= 3x lower, same checksum',
    ratio: cpuRatio,
    met: cpuRatio >= 3 && sameGraph,
    note: `checksum ${sameGraph ? 'equal' : 'DIFFERENT'}; ${Math.round((sets.length * 1000) / plans.linked.ms)} events/s`,
  });
  rows.push({
    part: `1 single vs batched (${GRAPH_LABEL})`,
    figure: 'one request per event',
    value: Math.round(single),
    unit: 'events/s',
    target: '',
    ratio: null,
    met: null,
  });
  rows.push({
    part: `1 single vs batched (${GRAPH_LABEL})`,
    figure: 'gremlin upsert batch writer',
    value: Math.round(batched),
    unit: 'events/s',
    target: '>= 30x single',
    ratio,
    met: ratio >= 30,
    note: `same graph: ${JSON.stringify(singleGraph) === JSON.stringify(batchGraph)}`,
  });
}
