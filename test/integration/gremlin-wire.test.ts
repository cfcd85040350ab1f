/*
 * What the driver gets wrong unless lib/gremlin/wire.ts corrects it, checked against each real graph:
 * - a declared double / long / int reaches the graph as Double / Long / Integer (the stored value's Java class is
 *   read back from the server) in every dialect and serializer, whatever the number's value;
 * - edge-returning results (g.E(), mergeE results, paths with edges, edge ids) arrive as plain JSON through the
 *   `gremlin query` code path, with JanusGraph's RelationIdentifier ids as strings g.E(id) accepts;
 * - a response the driver cannot decode fails that request only: no uncaught exception, and the connection answers
 *   the next request.
 */
import { test, describe, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { uniqueLabel } from '../support/project';
import { GRAPHS } from '../support/graphs';
import { ChangeSet } from '../../lib/change-set';
import { GremlinConnection, Dialect, Serializer } from '../../lib/gremlin/connection';
import { BatchWriter } from '../../lib/gremlin/batch-writer';
import { runQuery } from '../../lib/gremlin/query';

const WRITERS: Array<{ dialect: Dialect; serializer: Serializer }> = [
  { dialect: 'tinkerpop', serializer: 'graphbinary' },
  { dialect: 'tinkerpop', serializer: 'graphson3' },
  { dialect: 'legacy', serializer: 'graphbinary' },
  { dialect: 'cosmos', serializer: 'graphson2' },
];

/** The Java class of every value of `key` on the vertex, read on the server. */
const CLASS_OF = "g.V().hasLabel(L).has('cid', V).values(K).map{ it.get().getClass().getSimpleName() }.fold()";

for (const graph of GRAPHS) {
  describe(`driver and wire types on ${graph.name}`, () => {
    const admin = new GremlinConnection({ url: graph.url });
    const labels: string[] = [];
    const label = (p: string) => {
      const L = uniqueLabel(p);
      labels.push(L);
      return L;
    };
    after(async () => {
      for (const L of labels) await admin.submit('g.V().hasLabel(L).drop()', { L }).catch(() => undefined);
      await admin.close();
    });
    const classOf = async (L: string, V: string, K: string) => (await admin.submit(CLASS_OF, { L, V, K }))[0];

    for (const { dialect, serializer } of WRITERS) {
      test(`declared types are stored as declared: ${dialect} over ${serializer}`, async () => {
        const conn = new GremlinConnection({ url: graph.url, serializer });
        try {
          const L = label(`ty_${dialect}_${serializer}`);
          const a = { label: L, key: 'cid', value: 'A' };
          const b = { label: L, key: 'cid', value: 'B' };
          // Whole numbers declared double/long are the case the driver got wrong (3100 went out as an Int32).
          const cs: ChangeSet = {
            vertices: [
              {
                ...a,
                properties: { amount: 3100, big: 17, small: 5, plain: 7, ratio: 0.5 },
                types: { amount: 'double', big: 'long', small: 'int', ratio: 'double' },
              },
              { ...b, properties: {} },
            ],
            edges: [
              {
                label: `${L}_paid`,
                from: a,
                to: b,
                properties: { amount: 2400, seq: 3 },
                types: { amount: 'double', seq: 'long' },
              },
            ],
            deletes: [],
          };
          const w = new BatchWriter(conn, { dialect, partitionKey: dialect === 'cosmos' ? 'pk' : undefined });
          assert.deepEqual(await w.write([cs]), []);
          assert.deepEqual(await classOf(L, 'A', 'amount'), ['Double']);
          assert.deepEqual(await classOf(L, 'A', 'big'), ['Long']);
          assert.deepEqual(await classOf(L, 'A', 'small'), ['Integer']);
          assert.deepEqual(await classOf(L, 'A', 'ratio'), ['Double']);
          assert.deepEqual(
            await classOf(L, 'A', 'plain'),
            ['Integer'],
            'an undeclared whole number stays as the driver sends it',
          );
          const [edge] = await admin.submit(
            "g.V().hasLabel(L).has('cid','A').outE(E).project('a','s').by(values('amount').map{ it.get().getClass().getSimpleName() }).by(values('seq').map{ it.get().getClass().getSimpleName() })",
            { L, E: `${L}_paid` },
          );
          assert.deepEqual(Object.fromEntries(edge as Map<string, string>), { a: 'Double', s: 'Long' });
          // Replaying the same event matches (no second vertex), whatever the key's wire type.
          assert.deepEqual(await w.write([cs]), []);
          const [n] = await admin.submit('g.V().hasLabel(L).count()', { L });
          assert.equal(Number(n), 2);
        } finally {
          await conn.close();
        }
      });
    }

    for (const { dialect, serializer } of WRITERS) {
      test(`list and set properties are multi-properties, written idempotently: ${dialect} over ${serializer}`, async () => {
        const conn = new GremlinConnection({ url: graph.url, serializer });
        try {
          const L = label(`card_${dialect}_${serializer}`);
          const tags = `${L}_tags`;
          const seen = `${L}_seen`;
          const write = async (tagValues: string[], seenValues: number[]) => {
            const cs: ChangeSet = {
              vertices: [
                {
                  label: L,
                  key: 'cid',
                  value: 'A',
                  properties: { name: 'a', [tags]: tagValues, [seen]: seenValues },
                  cardinality: { [tags]: 'set', [seen]: 'list' },
                  types: { [seen]: 'long' },
                },
              ],
              edges: [],
              deletes: [],
            };
            assert.deepEqual(
              await new BatchWriter(conn, { dialect, partitionKey: dialect === 'cosmos' ? 'pk' : undefined }).write([
                cs,
              ]),
              [],
            );
          };
          const read = async () => {
            const [t] = await admin.submit("g.V().hasLabel(L).has('cid','A').values(K).order().fold()", { L, K: tags });
            const [s2] = await admin.submit("g.V().hasLabel(L).has('cid','A').values(K).order().fold()", {
              L,
              K: seen,
            });
            const [c] = await admin.submit(
              "g.V().hasLabel(L).has('cid','A').values(K).map{ it.get().getClass().getSimpleName() }.dedup().fold()",
              { L, K: seen },
            );
            return { tags: t, seen: s2, seenClass: c };
          };
          await write(['red', 'blue'], [3, 3, 5]);
          assert.deepEqual(await read(), { tags: ['blue', 'red'], seen: [3, 3, 5], seenClass: ['Long'] });
          await write(['red', 'blue'], [3, 3, 5]);
          assert.deepEqual(
            await read(),
            { tags: ['blue', 'red'], seen: [3, 3, 5], seenClass: ['Long'] },
            'replaying adds no second copy',
          );
          await write(['green'], [7]);
          assert.deepEqual(
            await read(),
            { tags: ['green'], seen: [7], seenClass: ['Long'] },
            'a changed list replaces the old values',
          );
          const [n] = await admin.submit('g.V().hasLabel(L).count()', { L });
          assert.equal(Number(n), 1);
        } finally {
          await conn.close();
        }
      });
    }

    for (const serializer of ['graphbinary', 'graphson3'] as Serializer[]) {
      test(`edge results are plain JSON through gremlin query (${serializer}); g.E(id) accepts the id`, async () => {
        const conn = new GremlinConnection({ url: graph.url, serializer, requestTimeoutMs: 15000 });
        const uncaught: Error[] = [];
        const onUncaught = (e: Error) => uncaught.push(e);
        process.on('uncaughtException', onUncaught);
        try {
          const L = label(`ed_${serializer}`);
          const E = `${L}_knows`;
          await admin.submit(
            "g.addV(L).property('cid','A').as('a').addV(L).property('cid','B').addE(E).from('a').property('since', 7).iterate()",
            { L, E },
          );
          const edges = await runQuery(conn, 'g.V().hasLabel(L).outE(E)', { L, E }, 'tinkerpop');
          assert.equal(edges.length, 1);
          const e = edges[0] as Record<string, unknown>;
          assert.equal(e.label, E);
          assert.deepEqual(e.properties, { since: 7 });
          assert.ok(typeof e.id === 'string' || typeof e.id === 'number', `edge id is plain: ${JSON.stringify(e.id)}`);
          // The id round-trips: g.E(id) finds the same edge.
          const again = await runQuery(conn, 'g.E(eid).label()', { eid: e.id }, 'tinkerpop');
          assert.deepEqual(again, [E]);
          // mergeE returns the edge it matched.
          const merged = await runQuery(
            conn,
            "g.V().hasLabel(L).has('cid','A').as('a').V().hasLabel(L).has('cid','B').as('b').mergeE([(T.label): E, (Direction.OUT): select('a'), (Direction.IN): select('b')])",
            { L, E },
            'tinkerpop',
          ).catch(async () =>
            // 3.7 servers want vertices (or ids) in the map itself: look them up first.
            runQuery(
              conn,
              "a = g.V().hasLabel(L).has('cid','A').next(); b = g.V().hasLabel(L).has('cid','B').next(); g.mergeE([(T.label): E, (Direction.OUT): a, (Direction.IN): b])",
              { L, E },
              'tinkerpop',
            ),
          );
          assert.equal(merged.length, 1);
          assert.deepEqual((merged[0] as Record<string, unknown>).id, e.id, 'mergeE matched the existing edge');
          const paths = await runQuery(
            conn,
            "g.V().hasLabel(L).has('cid','A').outE(E).inV().path()",
            { L, E },
            'tinkerpop',
          );
          const objects = (paths[0] as { objects: Array<Record<string, unknown>> }).objects;
          assert.deepEqual(
            objects.map((o) => o.label),
            [L, E, L],
          );
          assert.equal(objects[1].id, e.id);
          const ids = await runQuery(conn, 'g.V().hasLabel(L).outE(E).id()', { L, E }, 'tinkerpop');
          assert.deepEqual(ids, [e.id]);
          // Same connection still answers.
          assert.deepEqual(await runQuery(conn, 'g.V().hasLabel(L).count()', { L }, 'tinkerpop'), [2]);
          assert.deepEqual(uncaught, []);
        } finally {
          process.off('uncaughtException', onUncaught);
          await conn.close();
        }
      });
    }

    test('an answer the driver cannot decode fails that request only; no uncaught exception; the next request works', async () => {
      const conn = new GremlinConnection({ url: graph.url, requestTimeoutMs: 15000 });
      const uncaught: Error[] = [];
      const onUncaught = (e: Error) => uncaught.push(e);
      process.on('uncaughtException', onUncaught);
      try {
        assert.deepEqual(await conn.submit('g.inject(1)'), [1]);
        // GraphBinary has a Duration type (0x81) that the JS driver has no reader for.
        await assert.rejects(conn.submit('g.inject(java.time.Duration.ofSeconds(5))'), (err: Error) => {
          assert.match(err.message, /could not decode the server's answer/);
          assert.match(err.message, /connection is replaced/);
          return true;
        });
        assert.deepEqual(await conn.submit('g.inject(2)'), [2], 'the connection answers again (a new socket)');
        assert.deepEqual(uncaught, []);
      } finally {
        process.off('uncaughtException', onUncaught);
        await conn.close();
      }
    });
  });
}
