/*
 * The demo events and the shipped mappings agree: mapping every good demo event with mappings/*.yaml (through the real
 * engine) and applying the change sets to an in-memory graph gives exactly the graph the generator's own model promises
 * — every vertex and edge, its endpoints and every property value, not only the counts — and exactly the deliberately
 * bad mappable events fail, each naming its field. The reliability suite compares the server's graph with that model.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';
import { generate, MAPPING_OF } from '../../lib/demo/generator';
import { loadSpec, mapEvent, MappingError } from '../../lib/mapping';
import { ChangeSet, vertexId, edgeId } from '../../lib/change-set';
import { expectedGraph, mappedGraph, compareGraphs } from '../support/graph-check';

function apply(graph: { vertices: Map<string, string>; edges: Map<string, string> }, cs: ChangeSet) {
  for (const v of cs.vertices) graph.vertices.set(vertexId(v), v.label);
  for (const e of cs.edges) graph.edges.set(edgeId(e), e.label);
  for (const d of cs.deletes) {
    if (d.kind === 'edge') {
      graph.edges.delete(edgeId(d));
      continue;
    }
    const id = vertexId(d);
    graph.vertices.delete(id);
    for (const [eid] of graph.edges) if (eid.startsWith(`${id}-[`) || eid.endsWith(`]->${id}`)) graph.edges.delete(eid);
  }
}

const countByLabel = (m: Map<string, string>) => {
  const out: Record<string, number> = {};
  for (const label of m.values()) out[label] = (out[label] ?? 0) + 1;
  return out;
};

test('5,000 demo events through the shipped mappings give the promised graph', () => {
  const mappings = Object.fromEntries(
    Object.entries(MAPPING_OF).map(([topic, file]) => [
      topic,
      loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', file), 'utf8')),
    ]),
  );
  const { records, summary } = generate(5000, 42);
  const graph = { vertices: new Map<string, string>(), edges: new Map<string, string>() };
  const failures: Array<{ bad?: string; message: string }> = [];
  for (const r of records) {
    if (typeof r.value === 'string') {
      assert.ok(r.bad, 'only bad events are undecodable');
      continue;
    }
    try {
      const cs = mapEvent(mappings[r.topic], r.value, { topic: r.topic, partition: 0, offset: '0' });
      if (cs) apply(graph, cs);
      else assert.equal(r.value, null, 'only tombstones map to nothing');
    } catch (e) {
      assert.ok(e instanceof MappingError, String(e));
      failures.push({ bad: r.bad, message: e.message });
    }
  }
  assert.ok(failures.length > 0);
  for (const f of failures) assert.ok(f.bad, `a good event failed: ${f.message}`);
  const mappableBad = records.filter((r) => r.bad && typeof r.value !== 'string').length;
  assert.equal(failures.length, mappableBad);
  assert.ok(
    failures.some((f) => /customerId/.test(f.message)),
    'the order without customerId names the field',
  );
  assert.deepEqual(countByLabel(graph.vertices), summary.expected.vertices);
  assert.deepEqual(countByLabel(graph.edges), summary.expected.edges);
});

test("every vertex and edge the mappings write, endpoints and properties, is the generator's model", () => {
  const demo = generate(5000, 42);
  const expected = expectedGraph(demo);
  const mapped = mappedGraph(demo.records);
  const cmp = compareGraphs(expected, mapped);
  assert.equal(cmp.lost, 0, `model lines the mappings do not write:\n${cmp.sample.join('\n')}`);
  assert.equal(cmp.duplicated, 0, `lines the mappings write that the model lacks:\n${cmp.sample.join('\n')}`);
  assert.equal(mapped.checksum, expected.checksum);
  // Every label carries its properties in the model (an empty model would agree with an empty mapping).
  for (const label of ['customer', 'order', 'tweet', 'twitterUser', 'page'])
    assert.ok(
      expected.lines.some(
        (l) => l.startsWith(`V|${label}|`) && (JSON.parse(l.slice(l.lastIndexOf('|') + 1)) as unknown[]).length > 1,
      ),
      `${label} vertices have properties`,
    );
  for (const label of ['placed', 'contains', 'viewed', 'clicked', 'uses'])
    assert.ok(
      expected.lines.some((l) => l.startsWith(`E|${label}|`) && !l.endsWith('|[]')),
      `${label} edges have properties`,
    );
});
