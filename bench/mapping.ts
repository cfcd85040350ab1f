/*
 * Micro-benchmark of the mapping engine: maps generated demo events (orders with line items, clicks, tweets with
 * hashtags, CRM CDC changes, products) with the shipped mappings on one core and prints events/s per mapping and
 * for the mix. Target: ≥ 100,000 events/s. Prints only; speed is not asserted anywhere.
 * Two columns from one run: "before" compiles the templates with the old regex tokenizer (bench/baseline/), "mustache"
 * with lib/mapping/template.ts (Mustache.parse tokens compiled into closures). Cases alternate, so load drift hits both.
 *   npm run build && node dist/bench/mapping.js [seconds per case, default 2] [--baseline <dir>]
 * Rates are per second of the process's CPU time (CEH_BENCH_CLOCK=wall: per wall-clock second).
 * --baseline <dir>: instead, compare this build's engine with another build's dist/lib/mapping (e.g. main before a
 * change), in the same run, alternating, best of two rounds each.
 * The transfer mapping uses the second edition's features (transforms, locale numbers/dates, label map, match-only
 * endpoints, merge rules, any/gte/matches conditions); a baseline engine that cannot load it is skipped for it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as mappingEngine from '../lib/mapping';
import type { CompiledMapping } from '../lib/mapping';
import { compileTemplate as regexTemplate } from './baseline/regex-template';
import { ROOT } from '../test/support/project';

const samples = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8')) as Record<string, any>;

/** N distinct events per mapping, varied from the shipped sample so keys and array sizes differ. */
function generate(name: string, n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const e = structuredClone(samples[name]);
    switch (name) {
      case 'customer':
        e.payload.op = ['c', 'r', 'u', 'u', 'd'][i % 5];
        e.payload.after.customer_id = e.payload.before.customer_id = `C-${i}`;
        break;
      case 'product':
        e.sku = `SKU-${i}`;
        e.price = (i % 100) + 0.5;
        break;
      case 'order':
        e.orderId = `O-${i}`;
        e.customerId = `C-${i % 1000}`;
        e.items = Array.from({ length: 1 + (i % 4) }, (_, j) => ({
          lineNo: j + 1,
          sku: `SKU-${(i + j) % 500}`,
          quantity: 1 + j,
          price: 9.5 + j,
        }));
        break;
      case 'click':
        e.clickId = `K-${i}`;
        e.customerId = `C-${i % 1000}`;
        e.pageType = i % 2 ? 'product' : 'category';
        break;
      case 'transfer':
        e.id = `T-${i}`;
        e.kind = ['SEPA', 'INST', 'SWIFT', 'OTHER'][i % 4];
        e.amount = `${i % 9000},${String(i % 100).padStart(2, '0')}`;
        e.toIban = `DE${String(i % 2000).padStart(20, '0')}`;
        e.device = i % 3 ? { id: `D-${i % 700}` } : undefined;
        e.riskScore = (i % 10) / 10;
        break;
      case 'twitter':
        e.id_str = String(1050118621198921728n + BigInt(i));
        e.user.id_str = String(i % 5000);
        e.entities.hashtags = Array.from({ length: i % 4 }, (_, j) => ({ text: `tag${(i + j) % 300}` }));
        break;
    }
    out.push(e);
  }
  return out;
}

type Engine = Pick<typeof mappingEngine, 'loadSpec' | 'mapEvent'>;

/**
 * Events per second of this process's CPU time (user + system) by default: on a machine shared with other work the
 * wall clock also counts the time the process waited for a core, which swamps the difference between two engines
 * (±50 % per row at load 20 on 2 cores). With CEH_BENCH_CLOCK=wall, per wall-clock second as before.
 */
const CPU_CLOCK = process.env.CEH_BENCH_CLOCK !== 'wall';
const cpuNanos = () => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};

function measure({ mapEvent }: Engine, mapping: CompiledMapping, events: unknown[], seconds: number): number {
  for (let i = 0; i < 20000; i++) mapEvent(mapping, events[i % events.length]); // warm-up (JIT)
  let n = 0;
  let sink = 0;
  const cpu0 = cpuNanos();
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    for (let i = 0; i < 1000; i++, n++) {
      const cs = mapEvent(mapping, events[n % events.length], { topic: 'bench', partition: 0, offset: String(n) });
      if (cs) sink += cs.vertices.length + cs.edges.length + cs.deletes.length;
    }
    now = process.hrtime.bigint();
  }
  if (sink === 0) throw new Error('the benchmark produced nothing');
  return n / (Number(CPU_CLOCK ? cpuNanos() - cpu0 : now - start) / 1e9);
}

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--baseline');
  const baselineDir = at >= 0 ? path.resolve(args.splice(at, 2)[1]) : undefined;
  const seconds = Number(args[0] ?? 2);
  if (baselineDir) {
    compareEngines(baselineDir, seconds);
    return;
  }
  const names = NAMES;
  const before: number[] = [];
  const after: number[] = [];
  const fmt = (r: number) => Math.round(r).toLocaleString('en-US').padStart(12);
  console.log(
    `mapping engine benchmark — node ${process.version}, one core, ${seconds}s per mapping and compiler, events per ${CPU_CLOCK ? 'CPU' : 'wall-clock'} second`,
  );
  console.log(`  ${'mapping'.padEnd(9)} ${'before'.padStart(12)} ${'mustache'.padStart(12)}   events/s  ratio`);
  for (const name of names) {
    const text = fs.readFileSync(path.join(ROOT, 'mappings', `${name}.yaml`), 'utf8');
    const events = generate(name, 10000);
    const old = mappingEngine.loadSpec(text, { compileTemplate: regexTemplate as never });
    const now = mappingEngine.loadSpec(text);
    // Both compilers must produce the same change sets, or the comparison means nothing.
    for (const e of events.slice(0, 200)) {
      if (JSON.stringify(mappingEngine.mapEvent(old, e)) !== JSON.stringify(mappingEngine.mapEvent(now, e)))
        throw new Error(`${name}: the two template compilers disagree`);
    }
    before.push(measure(mappingEngine, old, events, seconds));
    after.push(measure(mappingEngine, now, events, seconds));
    const [b, a] = [before[before.length - 1], after[after.length - 1]];
    console.log(`  ${name.padEnd(9)} ${fmt(b)} ${fmt(a)}   ${(a / b).toFixed(2)}x`);
  }
  // Harmonic mean = the rate of an even mix of the event kinds.
  const mix = (rates: number[]) => names.length / rates.reduce((s, r) => s + 1 / r, 0);
  console.log(
    `  ${'mix'.padEnd(9)} ${fmt(mix(before))} ${fmt(mix(after))}   ${(mix(after) / mix(before)).toFixed(2)}x (target ≥ 100,000)`,
  );
}

const NAMES = ['customer', 'product', 'order', 'click', 'twitter', 'transfer'];

/** This build's engine against another build's, alternating in one run. */
function compareEngines(baselineDir: string, seconds: number): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- another build's compiled engine, found at run time
  const baseline: Engine = require(baselineDir);
  const names = NAMES;
  const rates: number[] = [];
  const baseRates: number[] = [];
  console.log(
    `mapping engine benchmark — node ${process.version}, one core, ${seconds}s per mapping${baseline ? `, baseline ${baselineDir}` : ''}, events per ${CPU_CLOCK ? 'CPU' : 'wall-clock'} second`,
  );
  if (baseline) console.log(`  ${'mapping'.padEnd(9)} ${'baseline'.padStart(12)} ${'this build'.padStart(12)}  ratio`);
  for (const name of names) {
    const text = fs.readFileSync(path.join(ROOT, 'mappings', `${name}.yaml`), 'utf8');
    const events = generate(name, 10000);
    const mapping = mappingEngine.loadSpec(text);
    let base: CompiledMapping | undefined;
    try {
      base = baseline?.loadSpec(text);
    } catch {
      base = undefined;
    }
    let rate = 0;
    let baseRate = 0;
    // Alternate (baseline, this build) twice and keep each one's best round.
    for (let round = 0; round < (baseline ? 2 : 1); round++) {
      if (baseline && base) baseRate = Math.max(baseRate, measure(baseline, base, events, seconds / 2));
      rate = Math.max(rate, measure(mappingEngine, mapping, events, baseline ? seconds / 2 : seconds));
    }
    rates.push(rate);
    const fmt = (r: number) => Math.round(r).toLocaleString('en-US').padStart(12);
    if (!baseline) console.log(`  ${name.padEnd(9)} ${fmt(rate)} events/s`);
    else {
      if (base) baseRates.push(baseRate);
      console.log(
        `  ${name.padEnd(9)} ${base ? fmt(baseRate) : 'cannot load'.padStart(12)} ${fmt(rate)}  ${base ? `${(rate / baseRate).toFixed(2)}x` : ''}`,
      );
    }
  }
  // Harmonic mean = the rate of an even mix of the event kinds.
  const harmonic = (rs: number[]) => rs.length / rs.reduce((s, r) => s + 1 / r, 0);
  const mix = harmonic(rates);
  console.log(
    `  ${'mix'.padEnd(9)} ${Math.round(mix).toLocaleString('en-US').padStart(12)} events/s (target ≥ 100,000)`,
  );
  if (baseline && baseRates.length) {
    const same = harmonic(rates.slice(0, baseRates.length));
    console.log(
      `  mix of the mappings both engines load: baseline ${Math.round(harmonic(baseRates)).toLocaleString('en-US')}, this build ${Math.round(same).toLocaleString('en-US')} events/s (${(same / harmonic(baseRates)).toFixed(2)}x)`,
    );
  }
}

main();
