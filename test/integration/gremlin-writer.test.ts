/*
 * The batch writer against the REAL Gremlin Server, for every dialect this server can serve: tinkerpop (mergeV/mergeE
 * bytecode), legacy (coalesce bytecode) and cosmos (script + one list binding, GraphSON v2). Each test uses its own
 * vertex label and counts only that label.
 */
import { test, describe, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import { ENDPOINTS, uniqueLabel, sleep } from '../support/project';
import { ChangeSet } from '../../lib/change-set';
import { GremlinConnection, gremlin, isTransient, Dialect, Serializer } from '../../lib/gremlin/connection';
import { BatchWriter } from '../../lib/gremlin/batch-writer';

const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
const usedLabels: string[] = [];
after(async () => {
  for (const L of usedLabels) await admin.submit('g.V().hasLabel(L).drop()', { L });
  await admin.close();
});

function label(prefix: string): string {
  const L = uniqueLabel(prefix);
  usedLabels.push(L);
  return L;
}

async function counts(L: string): Promise<{ vertices: number; edges: number }> {
  const [v] = await admin.submit('g.V().hasLabel(L).count()', { L });
  const [e] = await admin.submit('g.V().hasLabel(L).outE().count()', { L });
  return { vertices: Number(v), edges: Number(e) };
}

async function props(L: string, key: string, value: string | number): Promise<Record<string, unknown>> {
  const [m] = await admin.submit('g.V().hasLabel(L).has(K, V).valueMap()', { L, K: key, V: value });
  const out: Record<string, unknown> = {};
  for (const [k, v] of m as Map<string, unknown[]>) out[k] = v[0];
  return out;
}

/** A demo-like order event: customer and order vertices, a `placed` edge, a `contains` multi-edge per line. */
function orderEvent(L: string, i: number, extra: Partial<ChangeSet> = {}): ChangeSet {
  const customer = { label: L, key: 'cid', value: `C-${i % 7}` };
  const order = { label: L, key: 'cid', value: `O-${i}` };
  return {
    vertices: [
      { ...customer, properties: { name: `Customer ${i % 7}`, tier: i } },
      { ...order, properties: { total: i * 10 } },
    ],
    edges: [{ label: 'placed', from: customer, to: order, properties: { at: `t${i}` } }],
    deletes: [],
    source: { topic: 'orders', partition: 0, offset: String(i) },
    ...extra,
  };
}

const DIALECTS: Array<{ dialect: Dialect; serializer: Serializer }> = [
  { dialect: 'tinkerpop', serializer: 'graphbinary' },
  { dialect: 'legacy', serializer: 'graphbinary' },
  { dialect: 'cosmos', serializer: 'graphson2' },
];

for (const { dialect, serializer } of DIALECTS) {
  describe(`gremlin batch writer, dialect ${dialect} (${serializer})`, () => {
    const conn = new GremlinConnection({ url: ENDPOINTS.gremlinUrl, serializer });
    const writer = (o: Record<string, unknown> = {}) =>
      new BatchWriter(conn, { dialect, partitionKey: dialect === 'cosmos' ? 'pk' : undefined, ...o });
    after(() => conn.close());

    test('upsert then re-upsert the same batch leaves the same counts', async () => {
      const L = label(`re_${dialect}`);
      const batch = Array.from({ length: 20 }, (_, i) => orderEvent(L, i));
      const w = writer();
      assert.deepEqual(await w.write(batch), []);
      const first = await counts(L);
      assert.deepEqual(first, { vertices: 7 + 20, edges: 20 });
      assert.deepEqual(await w.write(batch), []);
      assert.deepEqual(await counts(L), first);
      if (dialect === 'cosmos') assert.equal((await props(L, 'cid', 'O-3')).pk, 'O-3', 'partition key set on create');
    });

    test('duplicates in one batch collapse: last write wins per vertex, one vertex', async () => {
      const L = label(`dd_${dialect}`);
      const v = (name: string, extra: Record<string, string> = {}): ChangeSet => ({
        vertices: [{ label: L, key: 'cid', value: 'X', properties: { name, ...extra } }],
        edges: [],
        deletes: [],
      });
      const w = writer();
      const before = w.stats.requests;
      assert.deepEqual(await w.write([v('first', { only: 'kept' }), v('second'), v('third')]), []);
      assert.equal(w.stats.requests - before, 1, 'one request for the collapsed vertex');
      assert.equal((await counts(L)).vertices, 1);
      const p = await props(L, 'cid', 'X');
      assert.equal(p.name, 'third');
      assert.equal(p.only, 'kept', 'properties of earlier writes that later ones do not set are kept');
    });

    test('a delete in the middle of a batch is applied in order with upserts of the same key', async () => {
      const L = label(`ord_${dialect}`);
      const up = (name: string, extra: Record<string, string> = {}): ChangeSet => ({
        vertices: [{ label: L, key: 'cid', value: 'Y', properties: { name, ...extra } }],
        edges: [],
        deletes: [],
      });
      const del: ChangeSet = {
        vertices: [],
        edges: [],
        deletes: [{ kind: 'vertex', label: L, key: 'cid', value: 'Y' }],
      };
      assert.deepEqual(await writer().write([up('a', { old: 'gone' }), del, up('b')]), []);
      assert.equal((await counts(L)).vertices, 1);
      assert.deepEqual(
        await props(L, 'cid', 'Y'),
        dialect === 'cosmos' ? { cid: 'Y', name: 'b', pk: 'Y' } : { cid: 'Y', name: 'b' },
      );
      assert.deepEqual(await writer().write([up('c'), del]), []);
      assert.equal((await counts(L)).vertices, 0);
    });

    test('multi-edges: with an edge key each key is one edge, without a key one edge per label and endpoints', async () => {
      const L = label(`me_${dialect}`);
      const a = { label: L, key: 'cid', value: 'A' };
      const b = { label: L, key: 'cid', value: 'B' };
      const line = (no: number, qty: number): ChangeSet => ({
        vertices: [
          { ...a, properties: {} },
          { ...b, properties: {} },
        ],
        edges: [{ label: 'contains', from: a, to: b, key: { name: 'lineNo', value: no }, properties: { qty } }],
        deletes: [],
      });
      const plain = (w: number): ChangeSet => ({
        vertices: [],
        edges: [{ label: 'knows', from: a, to: b, properties: { w } }],
        deletes: [],
      });
      const w = writer();
      assert.deepEqual(await w.write([line(1, 5), line(2, 6), line(1, 7)]), []);
      assert.deepEqual(await w.write([plain(1)]), []);
      assert.deepEqual(await w.write([plain(2), line(2, 6)]), []);
      const [keyed] = await admin.submit(
        "g.V().hasLabel(L).outE('contains').order().by('lineNo').project('n','q').by('lineNo').by('qty').fold()",
        { L },
      );
      assert.deepEqual(
        (keyed as Array<Map<string, number>>).map((m) => [m.get('n'), m.get('q')]),
        [
          [1, 7],
          [2, 6],
        ],
      );
      const [knows] = await admin.submit("g.V().hasLabel(L).outE('knows').values('w').fold()", { L });
      assert.deepEqual(knows, [2]);
    });

    test('a CDC vertex delete removes the vertex and its edges', async () => {
      const L = label(`del_${dialect}`);
      const batch = Array.from({ length: 5 }, (_, i) => orderEvent(L, i));
      const w = writer();
      assert.deepEqual(await w.write(batch), []);
      const before = await counts(L);
      // C-1 placed order 1 only: deleting it must drop one vertex and its one edge.
      const del: ChangeSet = {
        vertices: [],
        edges: [],
        deletes: [{ kind: 'vertex', label: L, key: 'cid', value: 'C-1' }],
      };
      assert.deepEqual(await w.write([del]), []);
      assert.deepEqual(await counts(L), { vertices: before.vertices - 1, edges: before.edges - 1 });
      const [dangling] = await admin.submit(
        "g.E().hasLabel('placed').where(inV().hasLabel(L).has('cid','O-1')).count()",
        { L },
      );
      assert.equal(Number(dangling), 0);
      // An edge delete removes only that edge.
      const edgeDel: ChangeSet = {
        vertices: [],
        edges: [],
        deletes: [
          {
            kind: 'edge',
            label: 'placed',
            from: { label: L, key: 'cid', value: 'C-2' },
            to: { label: L, key: 'cid', value: 'O-2' },
          },
        ],
      };
      assert.deepEqual(await w.write([edgeDel]), []);
      assert.deepEqual(await counts(L), { vertices: before.vertices - 1, edges: before.edges - 2 });
    });

    test('remove drops the named properties (a CDC column set to NULL), keeps the others, and a later set wins', async () => {
      const L = label(`rm_${dialect}`);
      const v = (
        value: string,
        properties: ChangeSet['vertices'][number]['properties'],
        remove?: string[],
      ): ChangeSet => ({
        vertices: [{ label: L, key: 'cid', value, properties, ...(remove ? { remove } : {}) }],
        edges: [],
        deletes: [],
      });
      const w = writer();
      assert.deepEqual(
        await w.write([v('A', { email: 'a@x', tier: 'gold', n: 1 }), v('B', { email: 'b@x', tier: 'gold' })]),
        [],
      );
      // A: email and tier go NULL; B: tier goes NULL and comes back later in the same batch.
      assert.deepEqual(
        await w.write([v('A', { n: 2 }, ['email', 'tier']), v('B', {}, ['tier']), v('B', { tier: 'silver' })]),
        [],
      );
      // (cosmos also writes its partition-key property `pk`: the dialect's own, not the event's)
      const own = async (value: string) => {
        const p = await props(L, 'cid', value);
        delete p.pk;
        return p;
      };
      assert.deepEqual(await own('A'), { cid: 'A', n: 2 });
      assert.deepEqual(await own('B'), { cid: 'B', email: 'b@x', tier: 'silver' });
    });

    test('a poison event (edge to a vertex that does not exist) is isolated; the rest of its batch is written', async () => {
      const L = label(`poi_${dialect}`);
      const poison: ChangeSet = {
        vertices: [],
        deletes: [],
        source: { topic: 'orders', partition: 3, offset: '42' },
        edges: [
          {
            label: 'placed',
            from: { label: L, key: 'cid', value: 'C-0' },
            to: { label: L, key: 'cid', value: 'NO-SUCH-ORDER' },
            properties: {},
          },
        ],
      };
      const batch = [orderEvent(L, 0), orderEvent(L, 1), poison, orderEvent(L, 2), orderEvent(L, 3)];
      const failures = await writer().write(batch);
      assert.equal(failures.length, 1);
      assert.equal(failures[0].position, 2);
      assert.equal(failures[0].changeSet, poison);
      assert.match(failures[0].message, /^orders\[3\]@42: edge endpoint vertex not found/);
      assert.deepEqual(await counts(L), { vertices: 4 + 4, edges: 4 });
    });

    test('injection strings in every event field end up as plain data in the graph', async () => {
      const L = label(`inj_${dialect}`);
      const evil = [
        "x'); g.V().drop(); //",
        '"); g.V().drop().iterate(); ("',
        '${g.V().drop()}',
        "' + System.exit(1) + '",
        "\\'; rows.clear(); '",
      ];
      const batch: ChangeSet[] = evil.map((s, i): ChangeSet => ({
        vertices: [
          { label: L, key: 'cid', value: s, properties: { name: s, note: `${s}#${i}` } },
          { label: L, key: 'cid', value: `${s}-to`, properties: {} },
        ],
        edges: [
          {
            label: 'rel',
            from: { label: L, key: 'cid', value: s },
            to: { label: L, key: 'cid', value: `${s}-to` },
            key: { name: 'ek', value: s },
            properties: { why: s },
          },
        ],
        deletes: [],
      }));
      assert.deepEqual(await writer().write(batch), []);
      assert.deepEqual(await counts(L), { vertices: evil.length * 2, edges: evil.length });
      for (const [i, s] of evil.entries()) {
        const p = await props(L, 'cid', s);
        assert.equal(p.name, s);
        assert.equal(p.note, `${s}#${i}`);
        const [e] = await admin.submit("g.V().hasLabel(L).has('cid', V).outE('rel').valueMap()", { L, V: s });
        assert.equal((e as Map<string, unknown>).get('ek'), s);
        assert.equal((e as Map<string, unknown>).get('why'), s);
      }
      // Deleting by an injection-string key deletes exactly that vertex.
      assert.deepEqual(
        await writer().write([
          { vertices: [], edges: [], deletes: [{ kind: 'vertex', label: L, key: 'cid', value: evil[0] }] },
        ]),
        [],
      );
      assert.deepEqual(await counts(L), { vertices: evil.length * 2 - 1, edges: evil.length - 1 });
    });

    test('round trips per batch are constant: 10 events and 500 events take the same number of requests', async () => {
      const L = label(`rt_${dialect}`);
      const perBatch: number[] = [];
      for (const n of [10, 500]) {
        const w = writer({ batchSize: 500, chunkSize: 1000, lingerMs: 5 });
        const events = Array.from({ length: n }, (_, i) => {
          const e = orderEvent(L, i + n * 1000);
          // Every event also deletes a vertex of an earlier run: the delete phase is in play too.
          e.deletes = [{ kind: 'vertex', label: L, key: 'cid', value: `GONE-${i}` }];
          return e;
        });
        const before = conn.requestCount;
        assert.deepEqual(await w.write(events), []);
        assert.equal(w.stats.batches, 1);
        perBatch.push(conn.requestCount - before);
      }
      assert.equal(perBatch[0], 3, 'deletes, vertices, edges');
      assert.equal(perBatch[1], perBatch[0]);
    });
  });
}

test('TinkerPop 3.8: mergeV option traversals see the merged vertex, so the row must be labelled and selected', async () => {
  const L = label('m38');
  const { t, merge } = gremlin.process;
  const __ = gremlin.process.statics;
  const g = () => new gremlin.structure.Graph().traversal();
  const row = (v: string, x: number) =>
    new Map<string, unknown>([
      [
        's',
        new Map<unknown, unknown>([
          [t.label, L],
          ['k', v],
        ]),
      ],
      ['p', new Map([['x', x]])],
    ]);
  const naive = (x: number) =>
    g()
      .inject([row('a', x)])
      .unfold()
      .mergeV(__.select('s'))
      .option(merge.onCreate, __.select('p'))
      .option(merge.onMatch, __.select('p'))
      .getBytecode();
  const labelled = (x: number) =>
    g()
      .inject([row('a', x)])
      .unfold()
      .as('m')
      .mergeV(__.select('m').select('s'))
      .option(merge.onCreate, __.select('m').select('p'))
      .option(merge.onMatch, __.select('m').select('p'))
      .getBytecode();
  await admin.submit(naive(1)); // creating still sees the row...
  await assert.rejects(admin.submit(naive(2)), /does not map to a value: v\[/); // ...matching sees the vertex
  assert.equal((await props(L, 'k', 'a')).x, 1);
  await admin.submit(labelled(3));
  assert.equal((await props(L, 'k', 'a')).x, 3);
  assert.equal((await counts(L)).vertices, 1);
});

/** A TCP proxy between the client and the shared server that the test can cut and restore. */
function tcpProxy(target: number): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        cut() {
          refusing = true;
          for (const s of sockets) s.destroy();
        },
        restore() {
          refusing = false;
        },
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

test('the writer reconnects after the connection is cut mid-stream and loses nothing', async () => {
  const L = label('rc');
  const proxy = await tcpProxy(Number(new URL(ENDPOINTS.gremlinUrl).port));
  const conn = new GremlinConnection({ url: `ws://127.0.0.1:${proxy.port}/gremlin`, requestTimeoutMs: 5000 });
  const states: string[] = [];
  conn.on('state', (s: string) => states.push(s));
  const w = new BatchWriter(conn, {
    dialect: 'tinkerpop',
    batchSize: 20,
    lingerMs: 5,
    retryBaseMs: 50,
    retryMaxMs: 400,
    maxRetries: 30,
  });
  try {
    const writes: Array<Promise<unknown[]>> = [];
    for (let i = 0; i < 30; i++) {
      writes.push(
        w.write(
          Array.from({ length: 10 }, (_, j) => ({
            vertices: [{ label: L, key: 'cid', value: `V-${i}-${j}`, properties: { i, j } }],
            edges: [],
            deletes: [],
          })),
        ),
      );
      if (i === 10) proxy.cut();
      if (i === 20) proxy.restore();
      await sleep(15); // time passes on purpose: the writes spread over ~0.5 s, so the cut falls between batches
    }
    const failures = (await Promise.all(writes)).flat();
    assert.deepEqual(failures, []);
    assert.ok(states.includes('disconnected'), `the cut was seen (states: ${states.join(',')})`);
    assert.ok(w.stats.retries > 0, 'requests were retried');
    assert.equal((await counts(L)).vertices, 300);
  } finally {
    await conn.close();
    await proxy.close();
  }
});

test('a value the driver cannot serialize fails its request at once, as an error of the request (not an outage)', async () => {
  // No server status: the driver's GraphBinary writer refuses the binding before anything is sent. Retried, it would
  // fail the same way forever (it used to be treated as a lost connection and waited out).
  const conn = new GremlinConnection({ url: ENDPOINTS.gremlinUrl, requestTimeoutMs: 5000 });
  try {
    await assert.rejects(conn.submit('x', { x: Symbol('x') }), (e: Error) => {
      assert.match(e.message, /No serializer found/);
      assert.equal(isTransient(e), false);
      return true;
    });
    assert.deepEqual(await conn.submit('1 + 1'), [2], 'the connection stays usable');
  } finally {
    await conn.close();
  }
});

test('the secure server (wss, SASL) works with the right password and fails loudly with a wrong one', async () => {
  const ca = fs.readFileSync(ENDPOINTS.caFile, 'utf8');
  const good = new GremlinConnection({
    url: ENDPOINTS.gremlinSecureUrl,
    tls: { ca },
    username: ENDPOINTS.gremlinUser,
    password: ENDPOINTS.gremlinPassword,
  });
  const bad = new GremlinConnection({
    url: ENDPOINTS.gremlinSecureUrl,
    tls: { ca },
    username: ENDPOINTS.gremlinUser,
    password: 'wrong-password',
    requestTimeoutMs: 5000,
  });
  try {
    const L = uniqueLabel('sec');
    const w = new BatchWriter(good, { dialect: 'tinkerpop' });
    assert.deepEqual(
      await w.write([
        { vertices: [{ label: L, key: 'cid', value: 'S1', properties: { ok: true } }], edges: [], deletes: [] },
      ]),
      [],
    );
    assert.deepEqual(await good.submit('g.V().hasLabel(L).values("ok")', { L }), [true]);
    await good.submit('g.V().hasLabel(L).drop()', { L });
    const err = await bad.submit('g.V().limit(1).count()').then(
      () => null,
      (e) => e,
    );
    assert.ok(err, 'a wrong password must not succeed');
    assert.match(String(err.message), /(password|credentials|authenticat)/i);
    assert.equal(isTransient(err), false, 'an authentication failure is not retried');
    // The next request says the same at once (the server leaves a socket whose authentication failed unanswered).
    const again = await bad.submit('g.V().limit(1).count()').then(
      () => null,
      (e) => e,
    );
    assert.match(String(again?.message), /(password|credentials|authenticat)/i, 'a second request after a 401');
    const failures = await new BatchWriter(bad, { dialect: 'tinkerpop' }).write([
      { vertices: [{ label: L, key: 'cid', value: 'S2', properties: {} }], edges: [], deletes: [] },
    ]);
    assert.equal(failures.length, 1);
    assert.match(failures[0].message, /(password|credentials|authenticat)/i);
  } finally {
    await good.close();
    await bad.close();
  }
});
