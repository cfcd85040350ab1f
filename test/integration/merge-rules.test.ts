/*
 * Merge rules (first / max / min, last by default), match-only edge endpoints (ifMissing: skip) and the CDC re-pointing
 * of an edge when a foreign key changes (issue 19's account/owns case, through the real mapping engine) against the
 * REAL Gremlin Server, in every dialect it can serve: tinkerpop and neptune (mergeV/mergeE bytecode), legacy (coalesce
 * bytecode), cosmos (script + one list binding). Each rule is applied by the server in the write itself: the number
 * of requests per batch is the same as without rules (no read before the write).
 */
import { test, describe, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, uniqueLabel } from '../support/project';
import type { ChangeSet, MergeRule, PropertyValue } from '../../lib/change-set';
import { GremlinConnection, Dialect, Serializer } from '../../lib/gremlin/connection';
import { BatchWriter } from '../../lib/gremlin/batch-writer';
import { loadSpec, mapEvent } from '../../lib/mapping';

const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
const usedLabels: string[] = [];
after(async () => {
  for (const L of usedLabels) await admin.submit('g.V().hasLabel(L).drop()', { L });
  await admin.close();
});

async function vertexProps(L: string, id: string): Promise<Record<string, unknown>> {
  const [m] = await admin.submit('g.V().hasLabel(L).has("cid", V).valueMap()', { L, V: id });
  const out: Record<string, unknown> = {};
  for (const [k, v] of m as Map<string, unknown[]>) out[k] = v.length === 1 ? v[0] : v;
  return out;
}

async function edgeProps(L: string, from: string): Promise<Record<string, unknown>> {
  const [m] = await admin.submit('g.V().hasLabel(L).has("cid", V).outE("paid").valueMap()', { L, V: from });
  return Object.fromEntries(m as Map<string, unknown>);
}

const RULES: Record<string, MergeRule> = { createdAt: 'first', lastSeen: 'max', lowest: 'min' };

const DIALECTS: Array<{ dialect: Dialect; serializer: Serializer }> = [
  { dialect: 'tinkerpop', serializer: 'graphbinary' },
  { dialect: 'neptune', serializer: 'graphbinary' },
  { dialect: 'legacy', serializer: 'graphbinary' },
  { dialect: 'cosmos', serializer: 'graphson2' },
];

for (const { dialect, serializer } of DIALECTS) {
  describe(`merge rules and match-only endpoints, dialect ${dialect}`, () => {
    const conn = new GremlinConnection({ url: ENDPOINTS.gremlinUrl, serializer });
    const writer = () =>
      new BatchWriter(conn, { dialect, partitionKey: dialect === 'cosmos' ? 'pk' : undefined, lingerMs: 5 });
    after(() => conn.close());

    test('first keeps, max/min compare, last overwrites: across batches and within one', async () => {
      const L = uniqueLabel(`mr_${dialect}`);
      usedLabels.push(L);
      const v = (id: string, properties: Record<string, PropertyValue>): ChangeSet => ({
        vertices: [{ label: L, key: 'cid', value: id, properties, merge: RULES }],
        edges: [],
        deletes: [],
      });
      const w = writer();
      assert.deepEqual(await w.write([v('A', { createdAt: 100, lastSeen: 100, lowest: 50, name: 'a' })]), []);
      const before = w.stats.requests;
      assert.deepEqual(await w.write([v('A', { createdAt: 200, lastSeen: 90, lowest: 60, name: 'b' })]), []);
      assert.equal(w.stats.requests - before, 1, 'one request: the rules need no read first');
      assert.deepEqual(pick(await vertexProps(L, 'A')), { createdAt: 100, lastSeen: 100, lowest: 50, name: 'b' });
      // One batch: duplicates collapse by the rules too; a row without a ruled property leaves it alone.
      assert.deepEqual(
        await w.write([
          v('A', { createdAt: 300, lastSeen: 500, lowest: 10, name: 'c' }),
          v('A', { createdAt: 400, lastSeen: 400, lowest: 20, name: 'd' }),
          v('B', { name: 'only a name' }),
        ]),
        [],
      );
      assert.deepEqual(pick(await vertexProps(L, 'A')), { createdAt: 100, lastSeen: 500, lowest: 10, name: 'd' });
      assert.deepEqual(pick(await vertexProps(L, 'B')), { name: 'only a name' });
      // first on an existing vertex that lacks the property sets it (first write of that property).
      assert.deepEqual(await w.write([v('B', { createdAt: 7, lastSeen: 7 })]), []);
      assert.deepEqual(pick(await vertexProps(L, 'B')), { createdAt: 7, lastSeen: 7, name: 'only a name' });
    });

    test('edges: rules on edge properties; ifMissing skip leaves the edge out, otherwise the event fails', async () => {
      const L = uniqueLabel(`me_${dialect}`);
      usedLabels.push(L);
      const ref = (id: string) => ({ label: L, key: 'cid', value: id });
      const account: ChangeSet = {
        vertices: [
          { ...ref('ACC-1'), properties: {} },
          { ...ref('ACC-2'), properties: {} },
        ],
        edges: [],
        deletes: [],
      };
      const w = writer();
      assert.deepEqual(await w.write([account]), []);
      const pay = (to: string, amount: number, at: number, skip: boolean): ChangeSet => ({
        vertices: [],
        deletes: [],
        source: { topic: 'bank.transfers', partition: 0, offset: `${to}-${amount}` },
        edges: [
          {
            label: 'paid',
            from: ref('ACC-1'),
            to: ref(to),
            properties: { maxAmount: amount, firstAt: at, last: amount },
            merge: { maxAmount: 'max', firstAt: 'first' },
            ...(skip ? { ifMissing: 'skip' as const } : {}),
          },
        ],
      });
      const failures = await w.write([
        pay('ACC-2', 30, 1, true),
        pay('CLOSED', 5, 2, true),
        pay('GONE', 6, 3, false),
        pay('ACC-2', 20, 4, false),
      ]);
      assert.deepEqual(
        failures.map((f) => f.position),
        [2],
        'only the edge without ifMissing: skip fails',
      );
      assert.match(failures[0].message, /edge endpoint vertex not found/);
      assert.deepEqual(await edgeProps(L, 'ACC-1'), { maxAmount: 30, firstAt: 1, last: 20 });
      const [n] = await admin.submit('g.V().hasLabel(L).outE("paid").count()', { L });
      assert.equal(Number(n), 1, 'no edge to the missing accounts, and no account vertex created for them');
      const [vn] = await admin.submit('g.V().hasLabel(L).count()', { L });
      assert.equal(Number(vn), 2);
    });

    test('CDC: the customer of an account changes → the owns edge is re-pointed (the old one goes)', async () => {
      const A = uniqueLabel(`acc_${dialect}`);
      const C = uniqueLabel(`cus_${dialect}`);
      usedLabels.push(A, C);
      // The accounts table's mapping: customers belong to another mapping, so they are match-only here.
      const accounts = loadSpec({
        mode: 'cdc',
        vertices: {
          account: {
            label: A,
            key: 'cid',
            value: '{{account_id}}',
            properties: { balance: { value: '{{balance}}', type: 'double' } },
          },
          customer: { label: C, key: 'cid', value: '{{customer_id}}', create: false, ifMissing: 'skip' },
        },
        edges: [{ name: 'owns', label: 'owns', from: 'customer', to: 'account' }],
        deletes: ['account'],
      });
      const w = writer();
      const customers: ChangeSet = {
        vertices: ['C-1', 'C-2'].map((id) => ({ label: C, key: 'cid', value: id, properties: {} })),
        edges: [],
        deletes: [],
      };
      assert.deepEqual(await w.write([customers]), []);
      const row = (customer: string | null) => ({ account_id: 'A-1', customer_id: customer, balance: 10 });
      const change = (offset: string, before: object | null, after: object) =>
        mapEvent(accounts, { op: before ? 'u' : 'c', before, after, ts_ms: 1 }, { topic: 'bank.accounts', offset })!;
      const owners = async () =>
        ((await admin.submit('g.V().hasLabel(A).in("owns").values("cid")', { A })) as string[]).sort();
      assert.deepEqual(await w.write([change('0', null, row('C-1'))]), []);
      assert.deepEqual(await owners(), ['C-1']);
      // Across batches, then within one batch (the re-pointing and a later update of the same row).
      assert.deepEqual(await w.write([change('1', row('C-1'), row('C-2'))]), []);
      assert.deepEqual(await owners(), ['C-2'], 'the old owns edge went, the new one is there');
      assert.deepEqual(
        await w.write([change('2', row('C-2'), row('C-1')), change('3', row('C-1'), { ...row('C-1'), balance: 5 })]),
        [],
      );
      assert.deepEqual(await owners(), ['C-1']);
      const [n] = await admin.submit('g.V().hasLabel(C).count()', { C });
      assert.equal(Number(n), 2, 'both customers stay (an edge delete keeps its endpoints)');
      const [balance] = await admin.submit('g.V().hasLabel(A).values("balance")', { A });
      assert.equal(balance, 5);
    });
  });
}

function pick(p: Record<string, unknown>): Record<string, unknown> {
  const { cid: _cid, pk: _pk, ...rest } = p;
  return rest;
}
