/* The batch plan (pure logic): collapsing, delete ordering, validation messages; the cosmos script renderer. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { planBatch, validateChangeSet } from '../../lib/gremlin/plan';
import { buildRequests } from '../../lib/gremlin/dialects';
import type { ChangeSet } from '../../lib/change-set';

const v = (value: string, properties: Record<string, string | number> = {}) => ({
  label: 'customer',
  key: 'cid',
  value,
  properties,
});
const cs = (x: Partial<ChangeSet>): ChangeSet => ({ vertices: [], edges: [], deletes: [], ...x });

test('writes to one vertex collapse: properties merged in arrival order, every event remembered', () => {
  const plan = planBatch([
    cs({ vertices: [v('A', { a: 1, b: 1 })] }),
    cs({ vertices: [v('B')] }),
    cs({ vertices: [v('A', { b: 2 })] }),
  ]);
  assert.equal(plan.vertices.length, 2);
  assert.deepEqual(plan.vertices[0].properties, { a: 1, b: 2 });
  assert.deepEqual(plan.vertices[0].events, [0, 2]);
});

test('a delete supersedes earlier upserts of the key and its edges; later upserts stay', () => {
  const e = { label: 'knows', from: v('A'), to: v('B'), properties: {} };
  const plan = planBatch([
    cs({ vertices: [v('A', { old: 1 })], edges: [e] }),
    cs({ deletes: [{ kind: 'vertex', label: 'customer', key: 'cid', value: 'A' }] }),
    cs({ vertices: [v('A', { fresh: 1 })] }),
  ]);
  assert.deepEqual(
    plan.vertexDeletes.map((d) => [d.ref.value, d.events]),
    [['A', [0, 1]]],
  );
  assert.deepEqual(
    plan.vertices.map((x) => [x.ref.value, x.properties, x.events]),
    [['A', { fresh: 1 }, [2]]],
  );
  assert.equal(plan.edges.length, 0);
});

test('validation names the event and the field', () => {
  const bad = cs({
    source: { topic: 'orders', partition: 1, offset: '7' },
    edges: [{ label: 'knows', from: v('A'), to: { label: 'customer', key: 'c-id', value: 'B' }, properties: {} }],
  });
  assert.throws(() => validateChangeSet(bad), /orders\[1\]@7: edges\[0\]\.to\.key "c-id" is not an identifier/);
  assert.throws(
    () => validateChangeSet(cs({ vertices: [v('A', { cid: 'B' })] }), 3),
    /event #3: vertices\[0\]\.properties\.cid would change the vertex key/,
  );
  assert.throws(
    () => validateChangeSet(cs({ vertices: [{ ...v('A'), properties: { n: NaN } }] })),
    /properties\.n must be a string, a finite number/,
  );
});

test('the cosmos script carries no event value: values travel in the one `rows` binding', () => {
  const evil = "x'); g.V().drop(); //";
  const plan = planBatch([
    cs({
      vertices: [v(evil, { name: evil })],
      edges: [
        { label: 'knows', from: v(evil), to: v('B'), key: { name: 'k', value: evil }, properties: { why: evil } },
      ],
    }),
  ]);
  const reqs = buildRequests(plan, { dialect: 'cosmos', partitionKey: 'pk' });
  for (const r of [...reqs.vertices, ...reqs.edges]) {
    assert.equal(typeof r.message, 'string');
    assert.ok(!(r.message as string).includes('drop'), r.message as string);
    assert.deepEqual(Object.keys(r.bindings ?? {}), ['rows']);
    assert.ok(JSON.stringify(r.bindings).includes('drop()'));
  }
});

test("linked plan (tinkerpop): edges between the batch's vertices wait for their ids and name them in the search; others look their ends up", () => {
  const other = { label: 'product', key: 'sku', value: 'P-9', properties: {} };
  const plan = planBatch([
    cs({
      vertices: [v('A'), v('B')],
      edges: [
        { label: 'knows', from: v('A'), to: v('B'), properties: { w: 1 } },
        { label: 'bought', from: v('A'), to: other, properties: {} },
      ],
    }),
  ]);
  const reqs = buildRequests(plan, { dialect: 'tinkerpop' });
  assert.equal(reqs.vertices.length, 1);
  assert.equal(reqs.edges.length, 1, 'the edge to a vertex outside the batch goes the per-element way');
  assert.deepEqual(reqs.edges[0].items, [1]);
  assert.ok(reqs.linkEdges, 'the edge between A and B is linked');
  const linked = reqs.linkEdges!(
    new Map<number, unknown>([
      [0, 101],
      [1, 202],
    ]),
  );
  assert.equal(linked.length, 1);
  assert.deepEqual(linked[0].items, [0]);
  const text = JSON.stringify(linked[0].message, (_k, x) => (x instanceof Map ? [...x.entries()] : x));
  assert.ok(text.includes('101') && text.includes('202'), 'the ids travel in the search map');
  assert.ok(!text.includes('"outV"') && !text.includes('"inV"'), 'no Merge.outV/inV lookup');
  // The per-element plan (neptune's default) keeps every edge in the edge phase.
  const perElement = buildRequests(plan, { dialect: 'tinkerpop', mergePlan: 'per-element' });
  assert.equal(perElement.linkEdges, undefined);
  assert.deepEqual(
    perElement.edges.flatMap((r) => r.items),
    [0, 1],
  );
  assert.ok(
    JSON.stringify(perElement.edges[0].message).includes('"outV"'),
    'the per-element plan does look its ends up',
  );
});
