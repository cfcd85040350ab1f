/*
 * The change set is described three times: the JSON Schema (schema/change-set.schema.json, for users who build change
 * sets by hand), the TypeScript type (lib/change-set.ts) and the runtime check gremlin upsert applies
 * (validateChangeSet). They must agree. Ajv, an independent JSON Schema implementation, is the referee for the
 * schema and for the pack's own validator (lib/json-schema.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv/dist/2020';
import { ROOT } from '../support/project';
import { loadSpec, mapEvent } from '../../lib/mapping';
import { SchemaValidator } from '../../lib/json-schema';
import { validateChangeSet } from '../../lib/gremlin/plan';
import type { ChangeSet } from '../../lib/change-set';
import { generate, MAPPING_OF } from '../../lib/demo/generator';

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'change-set.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false }).compile(schema);
const own = new SchemaValidator(schema);
const runtimeAccepts = (cs: unknown) => {
  try {
    validateChangeSet(cs as ChangeSet);
    return true;
  } catch {
    return false;
  }
};

/** Change sets the demo mappings make of the shipped samples and of generated demo events. */
function validChangeSets(): ChangeSet[] {
  const out: ChangeSet[] = [];
  const samples = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8'));
  for (const name of Object.keys(samples)) {
    const file = path.join(ROOT, 'mappings', `${name}.yaml`);
    if (!fs.existsSync(file)) continue;
    const cs = mapEvent(loadSpec(fs.readFileSync(file, 'utf8')), samples[name], {
      topic: `t.${name}`,
      partition: 0,
      offset: '1',
      key: 'k',
      index: 0,
      lease: 3,
    });
    if (cs) out.push(cs);
  }
  const specs = Object.fromEntries(
    Object.entries(MAPPING_OF).map(([t, f]) => [t, loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', f), 'utf8'))]),
  );
  for (const r of generate(400, 3).records) {
    if (r.bad || r.value === null || !specs[r.topic]) continue;
    const cs = mapEvent(specs[r.topic], r.value, {
      topic: r.topic,
      partition: 0,
      offset: '1',
      key: r.key ?? undefined,
      index: 0,
    });
    if (cs) out.push(cs);
  }
  return out;
}

const OK: ChangeSet = {
  vertices: [{ label: 'customer', key: 'customerId', value: 'C-1', properties: { n: 1 } }],
  edges: [],
  deletes: [],
};
const MALFORMED: Array<[string, unknown]> = [
  ['a label with a space', { ...OK, vertices: [{ ...OK.vertices[0], label: 'bad label' }] }],
  ['a nested property value', { ...OK, vertices: [{ ...OK.vertices[0], properties: { n: { nested: 1 } } }] }],
  ['a delete of an unknown kind', { ...OK, deletes: [{ kind: 'graph', label: 'x', key: 'k', value: 1 }] }],
  ['an edge without endpoints', { ...OK, edges: [{ label: 'owns' }] }],
  ['a vertex without a key value', { ...OK, vertices: [{ label: 'customer', key: 'customerId' }] }],
  ['vertices that are not a list', { ...OK, vertices: { label: 'customer' } }],
];

test("change set: every demo change set is valid for ajv, the pack's validator and gremlin upsert's check", () => {
  const sets = validChangeSets();
  assert.ok(sets.length > 100, `${sets.length} change sets`);
  for (const cs of sets) {
    assert.equal(ajv(cs), true, `ajv: ${JSON.stringify(ajv.errors)}\n${JSON.stringify(cs)}`);
    assert.deepEqual(own.validate(cs), []);
    assert.equal(runtimeAccepts(cs), true, JSON.stringify(cs));
  }
});

test('change set: malformed change sets are rejected by all three alike', () => {
  assert.equal(ajv(OK), true);
  for (const [what, cs] of MALFORMED) {
    assert.equal(ajv(cs), false, `ajv accepts ${what}`);
    assert.ok(own.validate(cs).length > 0, `the pack's validator accepts ${what}`);
    assert.equal(runtimeAccepts(cs), false, `gremlin upsert accepts ${what}`);
  }
});

test('change set: the TypeScript type rejects the same shapes (checked when this file compiles)', () => {
  // @ts-expect-error a delete must be of kind vertex or edge
  const badDelete: ChangeSet = { ...OK, deletes: [{ kind: 'graph', label: 'x', key: 'k', value: 1 }] };
  // @ts-expect-error an edge needs its endpoints
  const noEndpoints: ChangeSet = { ...OK, edges: [{ label: 'owns' }] };
  // @ts-expect-error a property value is a scalar (or a list of scalars), never an object
  const nested: ChangeSet = { ...OK, vertices: [{ ...OK.vertices[0], properties: { n: { nested: 1 } } }] };
  // @ts-expect-error vertices are a list
  const notAList: ChangeSet = { ...OK, vertices: { label: 'customer' } };
  for (const cs of [badDelete, noEndpoints, nested, notAList]) assert.equal(ajv(cs), false);
});
