/*
 * Quick comparison on the local Gremlin Server: the same N demo-like change sets (customer + order vertices, a
 * `placed` edge) written one request per event vs through the batch writer. Prints events/s and the ratio; asserts
 * nothing. Run: npm run build && node dist/bench/upsert.js [N] [dialect]
 */
import { GremlinConnection, Dialect } from '../lib/gremlin/connection';
import { BatchWriter } from '../lib/gremlin/batch-writer';
import { ChangeSet } from '../lib/change-set';

const URL = process.env.CEH_GREMLIN_URL || 'ws://127.0.0.1:8182/gremlin';

function events(L: string, n: number): ChangeSet[] {
  return Array.from({ length: n }, (_, i): ChangeSet => {
    const customer = { label: L, key: 'cid', value: `C-${i % 50}` };
    const order = { label: L, key: 'cid', value: `O-${i}` };
    return {
      vertices: [
        { ...customer, properties: { name: `Customer ${i % 50}`, seen: i } },
        { ...order, properties: { total: i } },
      ],
      edges: [{ label: 'placed', from: customer, to: order, properties: { at: i } }],
      deletes: [],
    };
  });
}

async function run(n: number, dialect: Dialect, batched: boolean): Promise<{ perSec: number; requests: number }> {
  const conn = new GremlinConnection({ url: URL, serializer: dialect === 'cosmos' ? 'graphson2' : 'graphbinary' });
  const L = `bench_${batched ? 'b' : 's'}_${Date.now().toString(36)}`;
  const list = events(L, n);
  await conn.open();
  const started = Date.now();
  if (batched) {
    const writer = new BatchWriter(conn, { dialect, partitionKey: dialect === 'cosmos' ? 'pk' : undefined });
    const failures = await writer.write(list);
    if (failures.length) throw new Error(failures[0].message);
  } else {
    // One request per event: the same traversals, a batch of one, awaited in order.
    const writer = new BatchWriter(conn, {
      dialect,
      batchSize: 1,
      lingerMs: 0,
      maxConcurrentBatches: 1,
      partitionKey: dialect === 'cosmos' ? 'pk' : undefined,
    });
    for (const cs of list) {
      const failures = await writer.write([cs]);
      if (failures.length) throw new Error(failures[0].message);
    }
  }
  const ms = Date.now() - started;
  const requests = conn.requestCount;
  await conn.submit('g.V().hasLabel(L).drop()', { L });
  await conn.close();
  return { perSec: Math.round((n * 1000) / Math.max(1, ms)), requests };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2]) || 2000;
  const dialect = (process.argv[3] as Dialect) || 'tinkerpop';
  const single = await run(n, dialect, false);
  const batched = await run(n, dialect, true);
  console.log(`${n} events, dialect ${dialect}, ${URL}`);
  console.log(`one request per event: ${single.perSec} events/s (${single.requests} requests)`);
  console.log(`batch writer:          ${batched.perSec} events/s (${batched.requests} requests)`);
  console.log(`ratio: ${(batched.perSec / Math.max(1, single.perSec)).toFixed(1)}x`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
