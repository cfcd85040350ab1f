/*
 * Micro-benchmark of the mapping engine: maps generated demo events (orders with line items, clicks, tweets with
 * hashtags, CRM CDC changes, products) with the shipped mappings on one core and prints events/s per mapping and
 * for the mix. Target: ≥ 100,000 events/s. Prints only; speed is not asserted anywhere.
 * Two columns from one run: "before" compiles the templates with the old regex tokenizer (bench/baseline/), "mustache"
 * with lib/mapping/template.ts (Mustache.parse tokens compiled into closures). Cases alternate, so load drift hits both.
 *   npm run build && node dist/bench/mapping.js [seconds per case, default 2]
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadSpec, mapEvent, type CompiledMapping } from '../lib/mapping';
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
      case 'product': e.sku = `SKU-${i}`; e.price = (i % 100) + 0.5; break;
      case 'order':
        e.orderId = `O-${i}`; e.customerId = `C-${i % 1000}`;
        e.items = Array.from({ length: 1 + (i % 4) }, (_, j) => ({ lineNo: j + 1, sku: `SKU-${(i + j) % 500}`, quantity: 1 + j, price: 9.5 + j }));
        break;
      case 'click': e.clickId = `K-${i}`; e.customerId = `C-${i % 1000}`; e.pageType = i % 2 ? 'product' : 'category'; break;
      case 'twitter':
        e.id_str = String(1050118621198921728n + BigInt(i)); e.user.id_str = String(i % 5000);
        e.entities.hashtags = Array.from({ length: i % 4 }, (_, j) => ({ text: `tag${(i + j) % 300}` }));
        break;
    }
    out.push(e);
  }
  return out;
}

function measure(mapping: CompiledMapping, events: unknown[], seconds: number): number {
  for (let i = 0; i < 20000; i++) mapEvent(mapping, events[i % events.length]); // warm-up (JIT)
  let n = 0;
  let sink = 0;
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
  return n / (Number(now - start) / 1e9);
}

function main(): void {
  const seconds = Number(process.argv[2] ?? 2);
  const names = ['customer', 'product', 'order', 'click', 'twitter'];
  const before: number[] = [];
  const after: number[] = [];
  const fmt = (r: number) => Math.round(r).toLocaleString('en-US').padStart(12);
  console.log(`mapping engine benchmark — node ${process.version}, one core, ${seconds}s per mapping and compiler`);
  console.log(`  ${'mapping'.padEnd(9)} ${'before'.padStart(12)} ${'mustache'.padStart(12)}   events/s  ratio`);
  for (const name of names) {
    const text = fs.readFileSync(path.join(ROOT, 'mappings', `${name}.yaml`), 'utf8');
    const events = generate(name, 10000);
    const old = loadSpec(text, { compileTemplate: regexTemplate as never });
    const now = loadSpec(text);
    // Both compilers must produce the same change sets, or the comparison means nothing.
    for (const e of events.slice(0, 200)) {
      if (JSON.stringify(mapEvent(old, e)) !== JSON.stringify(mapEvent(now, e))) throw new Error(`${name}: the two template compilers disagree`);
    }
    before.push(measure(old, events, seconds));
    after.push(measure(now, events, seconds));
    const [b, a] = [before[before.length - 1], after[after.length - 1]];
    console.log(`  ${name.padEnd(9)} ${fmt(b)} ${fmt(a)}   ${(a / b).toFixed(2)}x`);
  }
  // Harmonic mean = the rate of an even mix of the five event kinds.
  const mix = (rates: number[]) => names.length / rates.reduce((s, r) => s + 1 / r, 0);
  console.log(`  ${'mix'.padEnd(9)} ${fmt(mix(before))} ${fmt(mix(after))}   ${(mix(after) / mix(before)).toFixed(2)}x (target ≥ 100,000)`);
}

main();
