/*
 * The published schemas match the engine. schema/change-set.schema.json: every demo mapping's output validates and
 * malformed change sets are rejected. schema/mapping-spec.schema.json: every shipped mapping validates, it is the spec
 * loader's first check, and the editor's completion reads it. Both are checked with the pack's own validator
 * (lib/json-schema.ts), the one the spec loader uses.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';
import { loadSpec, mapEvent, checkSpec, parseSpecText } from '../../lib/mapping';
import { SchemaValidator } from '../../lib/json-schema';

type Schema = Record<string, any>;
const root: Schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'change-set.schema.json'), 'utf8'));
const specSchema: Schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'mapping-spec.schema.json'), 'utf8'));
const changeSets = new SchemaValidator(root);
const specs = new SchemaValidator(specSchema);

function validate(_s: Schema, v: unknown): string[] {
  return changeSets.validate(v).map((e) => `$${e.path.map((p) => `.${p}`).join('')}: ${e.message}`);
}

const samples = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8'));

for (const name of ['customer', 'product', 'order', 'click', 'twitter', 'transfer']) {
  test(`mapping schema: the ${name} demo mapping's change set validates against change-set.schema.json`, () => {
    const m = loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', `${name}.yaml`), 'utf8'));
    const cs = mapEvent(m, samples[name], { topic: `t.${name}`, partition: 2, offset: '42', key: 'k', index: 0 });
    assert.ok(cs && cs.vertices.length > 0);
    assert.deepEqual(validate(root, cs), []);
  });
}

test('mapping schema: a CDC delete change set validates', () => {
  const m = loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', 'customer.yaml'), 'utf8'));
  const del = structuredClone(samples.customer);
  del.payload.op = 'd';
  del.payload.after = null;
  const cs = mapEvent(m, del)!;
  assert.equal(cs.deletes.length, 1);
  assert.deepEqual(validate(root, cs), []);
});

test('mapping schema: malformed change sets are rejected (the check can fail)', () => {
  const ok = {
    vertices: [{ label: 'customer', key: 'customerId', value: 'C-1', properties: { n: 1 } }],
    edges: [],
    deletes: [],
  };
  assert.deepEqual(validate(root, ok), []);
  assert.ok(validate(root, { vertices: [], edges: [] }).some((e) => e.includes('"deletes" is required')));
  assert.ok(
    validate(root, { ...ok, vertices: [{ ...ok.vertices[0], label: 'bad label' }] }).some((e) =>
      e.includes('does not match'),
    ),
  );
  assert.ok(validate(root, { ...ok, vertices: [{ ...ok.vertices[0], properties: { n: { nested: 1 } } }] }).length > 0);
  assert.ok(validate(root, { ...ok, deletes: [{ kind: 'graph', label: 'x', key: 'k', value: 1 }] }).length > 0);
  assert.ok(validate(root, { ...ok, source: { offset: 42 } }).length > 0);
});

const MAPPINGS = fs.readdirSync(path.join(ROOT, 'mappings')).filter((f) => f.endsWith('.yaml'));

test('mapping spec schema: every shipped mapping validates against mapping-spec.schema.json', () => {
  assert.ok(MAPPINGS.length >= 6);
  for (const f of MAPPINGS) {
    const parsed = parseSpecText(fs.readFileSync(path.join(ROOT, 'mappings', f), 'utf8'));
    assert.deepEqual(specs.validate(parsed.spec), [], f);
  }
});

test('mapping spec schema: the spec loader checks it first, so what only the schema knows is reported with its line', () => {
  const { issues } = checkSpec(
    'description: 5\nvertices:\n  c:\n    label: customer\n    key: id\n    value: "{{id}}"\n    when: { all: [{ value: "{{a}}", gt: 1 }, 7] }\n',
  );
  // The description's type only the schema checks; the bad condition both find, and the compiler's message is kept.
  assert.deepEqual(
    issues.map((i) => [i.definition, i.field, i.message.slice(0, 40), i.line]),
    [
      ['vertices.c', 'when.all.1', 'when must be a template (true when it re', 7],
      [undefined, 'description', 'must be a string, not integer', 1],
    ],
  );
});

test("mapping spec schema: where the compiler is more precise, its message wins over the schema's", () => {
  const { issues } = checkSpec({
    vertices: {
      c: { label: 'customer', key: '1id', value: '{{id}}', properties: { p: { value: '{{p}}', type: 'decimal' } } },
    },
  });
  assert.deepEqual(
    issues.map((i) => `${i.field}: ${i.message}`),
    [
      'key: key "1id" is not a valid identifier (letters, digits and _; not starting with a digit; at most 128)',
      'properties.p.type: unknown type "decimal" (expected one of string, int, long, double, boolean, date)',
    ],
  );
});

test('mapping spec schema: it describes every field the compiler accepts (completion offers them all)', () => {
  const d = specSchema.$defs;
  assert.deepEqual(Object.keys(d.Vertex.properties).sort(), [
    'create',
    'each',
    'ifMissing',
    'key',
    'keyTransform',
    'keyType',
    'label',
    'properties',
    'required',
    'value',
    'when',
  ]);
  assert.deepEqual(Object.keys(d.Edge.properties).sort(), [
    'each',
    'from',
    'ifMissing',
    'key',
    'label',
    'name',
    'properties',
    'required',
    'to',
    'when',
  ]);
  assert.deepEqual(Object.keys(d.Property.anyOf[1].properties).sort(), [
    'cardinality',
    'decimal',
    'default',
    'format',
    'grouping',
    'merge',
    'pattern',
    'required',
    'transform',
    'type',
    'value',
  ]);
  // A field the schema does not know is refused by the loader (the compiler refuses it too: they agree).
  assert.match(
    checkSpec({ vertices: { c: { label: 'c', key: 'k', value: '{{k}}', colour: 'red' } } }).issues[0].message,
    /unknown field "colour"/,
  );
});
