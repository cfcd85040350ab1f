/*
 * The published change set schema (schema/change-set.schema.json) matches what the engine produces: every demo
 * mapping's output validates, and malformed change sets are rejected. A tiny validator for the JSON Schema subset the
 * file uses (type, required, additionalProperties, properties, propertyNames, items, anyOf, enum, const, pattern,
 * minimum, $ref to #/$defs) keeps the pack free of a schema library.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';
import { loadSpec, mapEvent } from '../../lib/mapping';

type Schema = Record<string, any>;
const root: Schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'change-set.schema.json'), 'utf8'));
const SUPPORTED = new Set(['$schema', '$id', 'title', 'description', '$defs', '$ref', 'type', 'required', 'additionalProperties', 'properties', 'propertyNames', 'items', 'anyOf', 'enum', 'const', 'pattern', 'minimum']);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(s: Schema, v: unknown, at = '$'): string[] {
  for (const k of Object.keys(s)) if (!SUPPORTED.has(k)) throw new Error(`validator does not support keyword ${k}`);
  if (s.$ref) return validate(root.$defs[s.$ref.replace('#/$defs/', '')], v, at);
  const errs: string[] = [];
  if (s.type) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: ${t} is not ${types.join('|')}`];
  }
  if (s.const !== undefined && v !== s.const) errs.push(`${at}: not ${s.const}`);
  if (s.enum && !s.enum.includes(v)) errs.push(`${at}: not one of ${s.enum.join(',')}`);
  if (s.pattern && typeof v === 'string' && !new RegExp(s.pattern).test(v)) errs.push(`${at}: "${v}" does not match ${s.pattern}`);
  if (s.minimum !== undefined && typeof v === 'number' && v < s.minimum) errs.push(`${at}: below ${s.minimum}`);
  if (s.anyOf && !s.anyOf.some((x: Schema) => validate(x, v, at).length === 0)) errs.push(`${at}: matches none of anyOf`);
  if (s.items && Array.isArray(v)) v.forEach((x, i) => errs.push(...validate(s.items, x, `${at}[${i}]`)));
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errs.push(`${at}: missing ${r}`);
    for (const [k, x] of Object.entries(o)) {
      if (s.propertyNames) errs.push(...validate(s.propertyNames, k, `${at}.${k} (name)`));
      if (s.properties?.[k]) errs.push(...validate(s.properties[k], x, `${at}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${at}: unexpected ${k}`);
      else if (typeof s.additionalProperties === 'object') errs.push(...validate(s.additionalProperties, x, `${at}.${k}`));
    }
  }
  return errs;
}

const samples = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8'));

for (const name of ['customer', 'product', 'order', 'click', 'twitter']) {
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
  const ok = { vertices: [{ label: 'customer', key: 'customerId', value: 'C-1', properties: { n: 1 } }], edges: [], deletes: [] };
  assert.deepEqual(validate(root, ok), []);
  assert.ok(validate(root, { vertices: [], edges: [] }).some((e) => e.includes('missing deletes')));
  assert.ok(validate(root, { ...ok, vertices: [{ ...ok.vertices[0], label: 'bad label' }] }).some((e) => e.includes('does not match')));
  assert.ok(validate(root, { ...ok, vertices: [{ ...ok.vertices[0], properties: { n: { nested: 1 } } }] }).length > 0);
  assert.ok(validate(root, { ...ok, deletes: [{ kind: 'graph', label: 'x', key: 'k', value: 1 }] }).length > 0);
  assert.ok(validate(root, { ...ok, source: { offset: 42 } }).length > 0);
});
