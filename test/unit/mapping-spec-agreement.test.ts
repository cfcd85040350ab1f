/*
 * schema/mapping-spec.schema.json is checked by the pack's own validator (lib/json-schema.ts), the spec loader's
 * first check. Ajv, an independent JSON Schema implementation, referees it: every shipped mapping (mappings/*.yaml)
 * is valid for both, and each malformed spec below is invalid for both, at the same place. Only the schema's verdict
 * is compared here; what the compiler adds (unknown vertex names in edges...) is mapping-schema.test.ts's business.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv/dist/2020';
import { ROOT } from '../support/project';
import { parseSpecText } from '../../lib/mapping';
import { SchemaValidator } from '../../lib/json-schema';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'mapping-spec.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false }).compile(schema);
const own = new SchemaValidator(schema);
/** Ajv's error locations as the pack's validator writes them (JSON pointer → path segments joined by dots). */
const ajvPaths = () => (ajv.errors ?? []).map((e) => e.instancePath.split('/').slice(1).join('.'));

const MAPPINGS = fs.readdirSync(path.join(ROOT, 'mappings')).filter((f) => f.endsWith('.yaml'));

test('mapping spec schema: every shipped mapping is valid for ajv and for the pack validator', () => {
  assert.ok(MAPPINGS.length >= 6, MAPPINGS.join(', '));
  for (const f of MAPPINGS) {
    const { spec } = parseSpecText(fs.readFileSync(path.join(ROOT, 'mappings', f), 'utf8'));
    assert.equal(ajv(spec), true, `ajv rejects ${f}: ${JSON.stringify(ajv.errors)}`);
    assert.deepEqual(own.validate(spec), [], f);
  }
});

const V = { label: 'customer', key: 'customerId', value: '{{id}}' };
const spec = (vertex: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  vertices: { c: { ...V, ...vertex } },
  ...rest,
});
/** [what, spec, where the error is (the instance path of the offending value)]. */
const INVALID: Array<[string, unknown, string]> = [
  ['no vertices', { edges: [] }, ''],
  ['empty vertices', { vertices: {} }, 'vertices'],
  ['an unknown top-level field', { ...spec({}), colour: 'red' }, ''],
  ['description not a string', { ...spec({}), description: 5 }, 'description'],
  ['an unknown mode', { ...spec({}), mode: 'stream' }, 'mode'],
  ['a vertex name that is not an identifier', { vertices: { '1c': V } }, 'vertices'],
  ['a vertex without a key', { vertices: { c: { label: 'customer', value: '{{id}}' } } }, 'vertices.c'],
  ['an unknown vertex field', spec({ colour: 'red' }), 'vertices.c'],
  ['a label with a space', spec({ label: 'bad label' }), 'vertices.c.label'],
  ['a label map without map', spec({ label: { value: '{{kind}}' } }), 'vertices.c.label'],
  ['an unknown key type', spec({ keyType: 'uuid' }), 'vertices.c.keyType'],
  ['a key value that is an object', spec({ value: { id: 1 } }), 'vertices.c.value'],
  ['create not a boolean', spec({ create: 'no' }), 'vertices.c.create'],
  ['an unknown ifMissing', spec({ ifMissing: 'ignore' }), 'vertices.c.ifMissing'],
  [
    'an unknown property type',
    spec({ properties: { p: { value: '{{p}}', type: 'decimal' } } }),
    'vertices.c.properties.p',
  ],
  ['a property without value', spec({ properties: { p: { type: 'int' } } }), 'vertices.c.properties.p'],
  [
    'an unknown cardinality',
    spec({ properties: { p: { value: '{{p}}', cardinality: 'bag' } } }),
    'vertices.c.properties.p',
  ],
  ['an unknown merge rule', spec({ properties: { p: { value: '{{p}}', merge: 'sum' } } }), 'vertices.c.properties.p'],
  [
    'an unknown transform',
    spec({ properties: { p: { value: '{{p}}', transform: 'reverse' } } }),
    'vertices.c.properties.p',
  ],
  [
    'an empty split',
    spec({ properties: { p: { value: '{{p}}', transform: [{ split: '' }] } } }),
    'vertices.c.properties.p',
  ],
  ['a property name with a dash', spec({ properties: { 'first-name': '{{n}}' } }), 'vertices.c.properties'],
  ['a when that is a number', spec({ when: 7 }), 'vertices.c.when'],
  ['a when test with an unknown operator', spec({ when: { value: '{{a}}', near: 1 } }), 'vertices.c.when'],
  ['an all that is not a list', spec({ when: { all: { value: '{{a}}', gt: 1 } } }), 'vertices.c.when'],
  ['an each without path', spec({ each: { as: 'item' } }), 'vertices.c.each'],
  ['an edge without to', spec({}, { edges: [{ label: 'owns', from: 'c' }] }), 'edges.0'],
  ['an edge with an unknown field', spec({}, { edges: [{ label: 'owns', from: 'c', to: 'c', weight: 1 }] }), 'edges.0'],
  ['edges not a list', spec({}, { edges: { label: 'owns', from: 'c', to: 'c' } }), 'edges'],
  [
    'an edge key without name',
    spec({}, { edges: [{ label: 'x', from: 'c', to: 'c', key: { value: '{{n}}' } }] }),
    'edges.0.key',
  ],
  ['deletes naming a non-identifier', spec({}, { mode: 'cdc', deletes: ['c-1'] }), 'deletes.0'],
  ['an unknown column type', spec({}, { mode: 'cdc', columns: { credit: 'money' } }), 'columns.credit'],
  [
    'a decimal column with a text scale',
    spec({}, { mode: 'cdc', columns: { credit: { type: 'decimal', scale: 'two' } } }),
    'columns.credit',
  ],
];

test('mapping spec schema: each malformed spec is invalid for ajv and for the pack validator, at the same place', () => {
  for (const [what, s, where] of INVALID) {
    assert.equal(ajv(s), false, `ajv accepts ${what}`);
    const mine = own.validate(s);
    assert.ok(mine.length > 0, `the pack's validator accepts ${what}`);
    // Both name the offending value: ajv the object holding it, the pack's validator that or the offending field in it.
    const ours = mine.map((e) => e.path.join('.'));
    const under = (p: string) => p === where || where === '' || p.startsWith(`${where}.`);
    assert.ok(
      ours.some(under),
      `${what}: the pack's validator reports ${JSON.stringify(ours)}, expected ${where || '(root)'}`,
    );
    assert.ok(
      ajvPaths().some((p) => p === where || p.startsWith(`${where}.`)),
      `${what}: ajv reports ${JSON.stringify(ajvPaths())}, expected ${where || '(root)'}`,
    );
  }
});

test('mapping spec schema: the shipped mappings with one field broken are invalid for both (the check can fail)', () => {
  // Derived from real specs, so the cases cover every feature the mappings use, not only the hand-written ones.
  let n = 0;
  for (const f of MAPPINGS) {
    const { spec: s } = parseSpecText(fs.readFileSync(path.join(ROOT, 'mappings', f), 'utf8'));
    const broken = structuredClone(s) as { vertices: Record<string, Record<string, unknown>> };
    for (const name of Object.keys(broken.vertices)) {
      for (const [field, bad] of [
        ['key', 'has space'],
        ['keyType', 'float'],
        ['required', 'yes'],
      ] as const) {
        const one = structuredClone(broken);
        one.vertices[name][field] = bad;
        assert.equal(ajv(one), false, `${f} vertices.${name}.${field}: ajv accepts ${JSON.stringify(bad)}`);
        assert.ok(own.validate(one).length > 0, `${f} vertices.${name}.${field}: the pack's validator accepts it`);
        n++;
      }
    }
  }
  assert.ok(n >= 60, `${n} broken variants`);
});
