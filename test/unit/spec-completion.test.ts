/*
 * The graph map editor's completion (specSuggestions in nodes/graph-map/graph-map.html, run here as the browser runs
 * it) offers what schema/mapping-spec.schema.json allows at the cursor of a YAML spec.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';

const html = fs.readFileSync(path.join(ROOT, 'nodes', 'graph-map', 'graph-map.html'), 'utf8');
const code = html.slice(html.indexOf('/* spec-completion:start */'), html.indexOf('/* spec-completion:end */'));
// eslint-disable-next-line no-new-func -- the editor's own code, cut out of graph-map.html, run as the browser runs it
const specSuggestions = new Function(`${code}; return specSuggestions;`)() as (
  schema: unknown,
  lines: string[],
  line: number,
  column: number,
) => Array<{ label: string; kind: string; documentation: string }>;
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'mapping-spec.schema.json'), 'utf8'));

/** Suggestions with the cursor at the end of the last line. */
function at(text: string): string[] {
  const lines = text.split('\n');
  return specSuggestions(schema, lines, lines.length, lines[lines.length - 1].length + 1).map((s) => s.label);
}

test('completion: top-level fields at the start of a line', () => {
  assert.deepEqual(at(''), ['description', 'mode', 'vertices', 'edges', 'deletes', 'columns']);
});

test('completion: vertex fields under a vertex definition, property fields under a property', () => {
  const vertex = at('vertices:\n  account:\n    label: account\n    ');
  for (const f of ['label', 'key', 'value', 'create', 'ifMissing', 'keyTransform', 'when', 'each'])
    assert.ok(vertex.includes(f), f);
  const prop = at('vertices:\n  account:\n    properties:\n      balance:\n        value: "{{b}}"\n        ');
  assert.deepEqual(prop, [
    'value',
    'type',
    'format',
    'cardinality',
    'default',
    'required',
    'transform',
    'decimal',
    'grouping',
    'pattern',
    'merge',
  ]);
});

test('completion: edge fields in a list item, enumeration values after a key', () => {
  const edge = at('vertices:\n  a: { label: a, key: k, value: "{{k}}" }\nedges:\n  - ');
  for (const f of ['label', 'from', 'to', 'name', 'ifMissing']) assert.ok(edge.includes(f), f);
  assert.deepEqual(at('vertices:\n  d:\n    properties:\n      lastSeen:\n        merge: '), [
    'last',
    'first',
    'max',
    'min',
  ]);
  assert.deepEqual(at('vertices:\n  d:\n    ifMissing: '), ['skip', 'fail']);
  assert.deepEqual(at('mode: '), ['event', 'cdc']);
  const docs = specSuggestions(schema, ['vertices:', '  d:', '    '], 3, 5).find((s) => s.label === 'create');
  assert.match(docs!.documentation, /match only, never create/);
});
