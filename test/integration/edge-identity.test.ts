/*
 * The keyed-edge guard's bookkeeping (EDGE_IDENTITY), on the stack's TinkerGraph: what the schema adds for keyed
 * edges, that a guarded writer leaves exactly one identity vertex per keyed edge (none for an edge without a key),
 * however often the edge is written and whichever merge plan writes it, and that a delete of the edge drops its
 * identity. The lock itself needs JanusGraph on Cassandra: test/cluster/concurrent-edge.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { uniqueLabel, ENDPOINTS } from '../support/project';
import { loadSpec } from '../../lib/mapping';
import { schemaFromMappings } from '../../lib/graph-schema';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { BatchWriter } from '../../lib/gremlin/batch-writer';
import { EDGE_IDENTITY, type ChangeSet } from '../../lib/change-set';

test('schema: keyed edges bring the identity label, its String key and its unique index; unkeyed ones do not', () => {
  const keyed = schemaFromMappings([
    loadSpec(`vertices:
  c: { label: c, key: cId, value: "{{c}}" }
  p: { label: p, key: url, value: "{{u}}" }
edges:
  - { label: viewed, from: c, to: p, key: { name: clickId, value: "{{k}}" } }
`),
  ]);
  assert.ok(keyed.vertexLabels.includes('edgeIdentity'));
  assert.deepEqual(
    keyed.propertyKeys.filter((k) => k.name === 'edgeId').map((k) => [k.dataType, k.cardinality]),
    [['String', 'SINGLE']],
  );
  assert.deepEqual(
    keyed.vertexIndexes.find((i) => i.label === 'edgeIdentity'),
    { name: 'by_edgeIdentity_edgeId', label: 'edgeIdentity', key: 'edgeId' },
  );
  const unkeyed = schemaFromMappings([
    loadSpec(`vertices:
  c: { label: c, key: cId, value: "{{c}}" }
  o: { label: o, key: oId, value: "{{o}}" }
edges:
  - { label: placed, from: c, to: o }
`),
  ]);
  assert.ok(!unkeyed.vertexLabels.includes('edgeIdentity'));
  assert.ok(!unkeyed.vertexIndexes.some((i) => i.label === 'edgeIdentity'));
});

test('TinkerGraph: a guarded writer keeps one identity per keyed edge, none for unkeyed ones; a delete drops it', async () => {
  const conn = new GremlinConnection({ url: ENDPOINTS.gremlinUrl, requestTimeoutMs: 60000 });
  const L = uniqueLabel('eid');
  const [C, P, VIEWED, SEEN] = ['c', 'p', 'viewed', 'seen'].map((x) => `${x}_${L}`);
  const ref = (label: string, key: string, value: string) => ({ label, key, value });
  const click = (n: number, k: string, page: string): ChangeSet => ({
    vertices: [
      { ...ref(C, 'cid', `C-${n}`), properties: {} },
      { ...ref(P, 'url', page), properties: {} },
    ],
    edges: [
      {
        label: VIEWED,
        from: ref(C, 'cid', `C-${n}`),
        to: ref(P, 'url', page),
        key: { name: 'clickId', value: k },
        properties: {},
      },
      { label: SEEN, from: ref(C, 'cid', `C-${n}`), to: ref(P, 'url', page), properties: {} },
    ],
    deletes: [],
  });
  // The identities of this test's edges (their edgeId names the test's unique labels).
  const identities = async () =>
    (
      (await conn.submit('g.V().hasLabel(I).values(K).filter{ it.get().contains(L) }.order()', {
        I: EDGE_IDENTITY.label,
        K: EDGE_IDENTITY.key,
        L,
      })) as string[]
    ).map(String);
  try {
    const linked = new BatchWriter(conn, { dialect: 'tinkerpop', edgeIdentities: true });
    // Two clicks of C-1 on one page (two keyed edges, one pair), written twice; C-2's click by the per-element plan
    // (its endpoints exist already: the edge is written without them in the batch).
    assert.deepEqual(await linked.write([click(1, 'K-1', '/a'), click(1, 'K-2', '/a'), click(2, 'K-3', '/b')]), []);
    assert.deepEqual(await linked.write([click(1, 'K-1', '/a'), click(1, 'K-2', '/a')]), []);
    const perElement = new BatchWriter(conn, { dialect: 'tinkerpop', mergePlan: 'per-element', edgeIdentities: true });
    assert.deepEqual(
      await perElement.write([
        {
          edges: [
            {
              label: VIEWED,
              from: ref(C, 'cid', 'C-2'),
              to: ref(P, 'url', '/b'),
              key: { name: 'clickId', value: 'K-3' },
              properties: {},
            },
          ],
          vertices: [],
          deletes: [],
        },
      ]),
      [],
    );
    const [viewed] = await conn.submit('g.E().hasLabel(E).count()', { E: VIEWED });
    assert.equal(Number(viewed), 3, 'three keyed edges');
    const ids = await identities();
    assert.equal(ids.length, 3, `one identity per keyed edge, none for ${SEEN}: ${ids.join(' ')}`);
    assert.ok(ids.every((id) => id.includes(`[${VIEWED}#clickId=`)));
    assert.equal(new Set(ids).size, 3);

    // An edge delete drops the edge and its identity, and only those.
    assert.deepEqual(
      await linked.write([
        {
          vertices: [],
          edges: [],
          deletes: [
            {
              kind: 'edge',
              label: VIEWED,
              from: ref(C, 'cid', 'C-1'),
              to: ref(P, 'url', '/a'),
              key: { name: 'clickId', value: 'K-1' },
            },
          ],
        },
      ]),
      [],
    );
    const left = await identities();
    assert.equal(left.length, 2);
    assert.ok(!left.some((id) => id.includes('clickId=string:K-1]')), left.join(' '));
    const [after] = await conn.submit('g.E().hasLabel(E).count()', { E: VIEWED });
    assert.equal(Number(after), 2);
  } finally {
    await conn.submit('g.V().hasLabel(C, P).drop()', { C, P }).catch(() => undefined);
    await conn
      .submit('g.V().hasLabel(I).filter{ it.get().value(K).contains(L) }.drop()', {
        I: EDGE_IDENTITY.label,
        K: EDGE_IDENTITY.key,
        L,
      })
      .catch(() => undefined);
    await conn.close();
  }
});
