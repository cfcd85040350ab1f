/*
 * lib/graph-schema against the real graphs: the schema generated from mapping specs is applied idempotently, an
 * existing conflicting definition is reported by name and left alone, a unique LOCK index stops concurrent writers
 * ... and a value that violates the schema is an
 * event error naming the property and both types while the rest of the batch is written. (Concurrent writers of one
 * new key are NOT kept apart by the unique index on BerkeleyJE's default isolation — see the JanusGraph properties.)
 */
import { test, describe, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { uniqueLabel } from '../support/project';
import { GRAPHS, JANUSGRAPH } from '../support/graphs';
import { loadSpec } from '../../lib/mapping';
import { mapEvent } from '../../lib/mapping/engine';
import { schemaFromMappings, applySchema, renderSchema } from '../../lib/graph-schema';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { BatchWriter } from '../../lib/gremlin/batch-writer';
import { ChangeSet } from '../../lib/change-set';

function specFor(L: string, p: string, amountType: string): string {
  return `vertices:
  c:
    label: ${L}
    key: ${p}Id
    value: "{{id}}"
    properties:
      ${p}Amount: { value: "{{amount}}", type: ${amountType} }
      ${p}Tags: { value: "{{tags}}", cardinality: set, type: string }
`;
}

describe('graph schema from mappings', () => {
  test('the generated schema names keys with types and cardinality, labels and one unique index per vertex key', () => {
    const s = schemaFromMappings([loadSpec(specFor('shop', 'x', 'double'))], ['shop.yaml']);
    assert.deepEqual(
      s.propertyKeys.map((k) => [k.name, k.dataType, k.cardinality]),
      [
        ['xAmount', 'Double', 'SINGLE'],
        ['xId', 'String', 'SINGLE'],
        ['xTags', 'String', 'SET'],
      ],
    );
    assert.deepEqual(s.vertexIndexes, [{ name: 'by_shop_xId', label: 'shop', key: 'xId' }]);
    const two = schemaFromMappings(
      [loadSpec(specFor('a', 'x', 'double')), loadSpec(specFor('b', 'x', 'long'))],
      ['a.yaml', 'b.yaml'],
    );
    assert.equal(two.problems.length, 1);
    assert.match(
      two.problems[0],
      /xAmount: b\.yaml: b\.xAmount declares Long SINGLE, a\.yaml: a\.xAmount declares Double SINGLE/,
    );
    assert.match(renderSchema(s, 'cosmos'), /Partition key/);
    assert.match(renderSchema(s, 'neptune'), /no user-defined indexes/);
    assert.match(renderSchema(s, 'tinkergraph'), /createIndex\('xId', Vertex.class\)/);
  });

  for (const graph of GRAPHS) {
    test(`${graph.name}: applying twice creates once; the second run finds everything there`, async () => {
      const conn = new GremlinConnection({ url: graph.url });
      try {
        const L = uniqueLabel('sch');
        const p = `p${Date.now().toString(36)}`;
        const s = schemaFromMappings([loadSpec(specFor(L, p, 'double'))]);
        const kind = graph.name === 'janusgraph' ? 'janusgraph' : 'tinkergraph';
        const first = await applySchema(conn, s, kind);
        assert.equal(first.conflicts.length, 0, first.conflicts.join('; '));
        assert.ok(first.created.length > 0, first.summary);
        const second = await applySchema(conn, s, kind);
        assert.deepEqual(second.created, []);
        assert.equal(second.existing.length, first.created.length + first.existing.length);
        if (graph.name === 'tinkergraph') {
          const [has] = await conn.submit('graph.getIndexedKeys(Vertex.class).contains(k)', { k: `${p}Id` });
          assert.equal(has, true);
        } else {
          const desc = await conn.submit(
            'def m = graph.openManagement(); def i = m.getGraphIndex(n); def r = [i.isUnique(), m.getConsistency(i).toString(), i.getIndexStatus(m.getPropertyKey(k)).toString(), m.getPropertyKey(t).cardinality().toString()]; m.rollback(); r',
            { n: `by_${L}_${p}Id`, k: `${p}Id`, t: `${p}Tags` },
          );
          assert.deepEqual(desc, [true, 'LOCK', 'ENABLED', 'SET']);
        }
      } finally {
        await conn.close();
      }
    });
  }

  describe('on JanusGraph', () => {
    const conn = new GremlinConnection({ url: JANUSGRAPH.url });
    const labels: string[] = [];
    after(async () => {
      for (const L of labels) await conn.submit('g.V().hasLabel(L).drop()', { L }).catch(() => undefined);
      await conn.close();
    });

    test('an existing key with another data type is a conflict named in the report, and is not changed', async () => {
      const L = uniqueLabel('cf');
      const p = `q${Date.now().toString(36)}`;
      await conn.submit(
        'def m = graph.openManagement(); m.makePropertyKey(k).dataType(String.class).make(); m.commit(); 1',
        { k: `${p}Amount` },
      );
      const report = await applySchema(conn, schemaFromMappings([loadSpec(specFor(L, p, 'long'))]), 'janusgraph');
      assert.equal(report.conflicts.length, 1);
      assert.match(
        report.conflicts[0],
        new RegExp(`property key ${p}Amount: the graph has String SINGLE, the mappings want Long SINGLE`),
      );
      const [dt] = await conn.submit(
        'def m = graph.openManagement(); def d = m.getPropertyKey(k).dataType().getSimpleName(); m.rollback(); d',
        { k: `${p}Amount` },
      );
      assert.equal(dt, 'String');
    });

    test('a value violating the schema is an event error naming the property and both types; the rest of the batch is written', async () => {
      const L = uniqueLabel('sv');
      labels.push(L);
      const p = `v${Date.now().toString(36)}`;
      // The graph says Long, the mapping says double. (The other way round — a number for a String key — JanusGraph
      // 1.1 converts silently: 17 is stored as "17"; the schema check on deploy reports that mismatch instead.)
      await conn.submit(
        'def m = graph.openManagement(); m.makePropertyKey(k).dataType(Long.class).make(); m.commit(); 1',
        { k: `${p}Amount` },
      );
      const mapping = loadSpec(specFor(L, p, 'double'));
      const events = [1, 2, 3].map((i) =>
        mapEvent(
          mapping,
          { id: `S-${i}`, amount: i === 2 ? 12.5 : undefined, tags: ['a'] },
          { topic: 't', partition: 0, offset: String(i) },
        ),
      );
      const css = events as ChangeSet[];
      const failures = await new BatchWriter(conn, { dialect: 'tinkerpop' }).write(css);
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.match(failures[0].message, /t\[0\]@2/);
      assert.match(failures[0].message, new RegExp(`${p}Amount`));
      assert.match(failures[0].message, /Expected: class java\.lang\.Long, found: class java\.lang\.Double/);
      const [ids] = await conn.submit(`g.V().hasLabel(L).values(K).order().fold()`, { L, K: `${p}Id` });
      assert.deepEqual(ids, ['S-1', 'S-3']);
    });
  });
});
