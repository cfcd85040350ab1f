/*
 * graph map's CDC mode on messages captured from the real connector (test/fixtures/debezium/, written by
 * scripts/capture-debezium.js from PostgreSQL 15 → Debezium 3.6.1.Final → Kafka; never edited by hand).
 */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import {
  loadSpec,
  mapEvent,
  mapEvents,
  MappingError,
  decimalText,
  decodeValue,
  UnknownColumnTypeError,
} from '../../lib/mapping';
import { planBatch } from '../../lib/gremlin/plan';
import type { ChangeSet } from '../../lib/change-set';
import { ROOT } from '../support/project';

const DIR = path.join(ROOT, 'test', 'fixtures', 'debezium');
interface Captured {
  topic: string;
  partition: number;
  offset: string;
  headers: Record<string, unknown>;
  key: unknown;
  value: any;
}
const fixture = (name: string): Captured => {
  const file = fs.readdirSync(DIR).find((f) => f.slice(3) === `${name}.json`);
  assert.ok(file, `fixture ${name} (run scripts/capture-debezium.js)`);
  return JSON.parse(fs.readFileSync(path.join(DIR, file!), 'utf8'));
};
const customerSpec = loadSpec(fs.readFileSync(path.join(ROOT, 'mappings', 'customer.yaml'), 'utf8'));
const ref = (m: Captured) => ({ topic: m.topic, partition: m.partition, offset: m.offset });
const map = (name: string, spec = customerSpec): ChangeSet | null => {
  const m = fixture(name);
  return mapEvent(spec, m.value, ref(m));
};
const customer = (cs: ChangeSet | null) => cs!.vertices.find((v) => v.label === 'customer')!;

describe('Debezium decoding by the Connect schema (real captured messages)', () => {
  test('the fixtures are real connector output: JsonConverter envelopes with schemas, Debezium 3.6.1.Final', () => {
    const m = fixture('insert-create');
    assert.equal(m.value.schema.name, 'crm.public.capture_customers.Envelope');
    assert.equal(m.value.payload.source.version, '3.6.1.Final');
    assert.equal(m.value.payload.source.connector, 'postgresql');
    assert.equal(m.value.payload.after.credit_limit, 'EtaH', 'numeric arrives as base64 bytes');
    assert.equal(m.value.payload.after.birth_date, 7441, 'date arrives as days since the epoch');
  });

  test('an insert maps every column type to its documented graph value', () => {
    const v = customer(map('insert-create'));
    assert.equal(v.value, 'CAP-1');
    assert.deepEqual(
      { ...v.properties, changedAt: undefined },
      {
        email: 'anna@example.com',
        firstName: 'Anna',
        lastName: 'Müller',
        segment: 'gold',
        createdAt: Date.UTC(2024, 2, 1, 11, 34, 56, 789), // '2024-03-01 12:34:56.789123+01'
        birthDate: Date.UTC(1990, 4, 17),
        creditLimit: 12345.67,
        marketingOptIn: true,
        tags: ['vip', 'new customer'], // text[] → a set property
        profile: '{"tier":"gold","score":9.5,"nested":{"a":[1,2]}}',
        tier: 'gold',
        lastContactAt: Date.UTC(2024, 2, 2, 8, 15, 30, 123),
        updatedAt: Date.UTC(2024, 2, 3, 10, 0, 0, 500),
        callWindowStart: '09:30:15.250000',
        changedAt: undefined,
      },
    );
    assert.equal(v.properties.changedAt, fixture('insert-create').value.payload.source.ts_ms);
    assert.equal(v.remove?.includes('loyaltyPoints'), true, 'a column the row does not have is no property');
    assert.deepEqual(v.cardinality, { tags: 'set' }, 'tags is written with set cardinality');
  });

  test('negative decimals, dates before 1970 and sub-second timestamps before the epoch', () => {
    const v = customer(map('insert-sparse-create'));
    assert.equal(v.properties.creditLimit, -0.05);
    assert.equal(v.properties.birthDate, Date.UTC(1960, 0, 1));
    assert.equal(v.properties.createdAt, Date.UTC(1969, 11, 31, 23, 59, 59, 500));
    assert.deepEqual(
      v.remove?.sort(),
      [
        'callWindowStart',
        'email',
        'lastContactAt',
        'loyaltyPoints',
        'marketingOptIn',
        'profile',
        'segment',
        'tags',
        'tier',
        'updatedAt',
      ].sort(),
    );
  });

  test('Decimal stays exact as text when the property has no type (per-property choice)', () => {
    const spec = loadSpec({
      mode: 'cdc',
      vertices: {
        c: {
          label: 'customer',
          key: 'customerId',
          value: '{{customer_id}}',
          properties: { exact: '{{credit_limit}}', num: { value: '{{credit_limit}}', type: 'double' } },
        },
      },
    });
    const v = customer(map('update-update', spec));
    assert.deepEqual(v.properties, { exact: '9999999999.99', num: 9999999999.99 });
    assert.equal(decimalText(Buffer.from([0x00, 0x80]).toString('base64'), 0), '128');
    assert.equal(decimalText(Buffer.from([0xff, 0x7f]).toString('base64'), 3), '-0.129');
  });

  test('an update setting columns to NULL removes their properties and the edge the old row implied', () => {
    const cs = map('update-to-null-update')!;
    const v = customer(cs);
    for (const p of ['email', 'creditLimit', 'tags', 'profile', 'tier', 'birthDate']) {
      assert.ok(v.remove?.includes(p), `${p} removed`);
      assert.ok(!(p in v.properties), `${p} not also set`);
    }
    // twitter_id went NULL: the old row's hasAccount edge is deleted (REPLICA IDENTITY FULL gives the old row).
    assert.deepEqual(cs.deletes, [
      {
        kind: 'edge',
        label: 'hasAccount',
        from: { label: 'customer', key: 'customerId', value: 'CAP-1' },
        to: { label: 'twitterUser', key: 'userId', value: 'T-7' },
      },
    ]);
    assert.deepEqual(
      cs.edges.map((e) => e.label),
      ['livesIn'],
    );
  });

  test('a primary-key change (delete + tombstone + create) leaves the row under its new key only', () => {
    const del = map('pk-change-delete')!;
    assert.equal(fixture('pk-change-delete').headers['__debezium.newkey'] !== undefined, true);
    assert.deepEqual(del.deletes, [{ kind: 'vertex', label: 'customer', key: 'customerId', value: 'CAP-2' }]);
    assert.equal(map('pk-change-tombstone'), null, 'the tombstone is skipped');
    const create = map('pk-change-create')!;
    assert.equal(customer(create).value, 'CAP-3');
    // Whatever order the two partitions deliver them in, one batch holds CAP-3 only.
    for (const order of [
      [del, create],
      [create, del],
    ]) {
      const plan = planBatch(order);
      assert.deepEqual(
        plan.vertices.map((p) => p.ref.value),
        ['CAP-3'],
      );
      assert.deepEqual(
        plan.vertexDeletes.map((p) => p.ref.value),
        ['CAP-2'],
      );
    }
  });

  test('an update that changes the mapped key (u with both rows) deletes the old vertex', () => {
    const m = fixture('update-update');
    const value = structuredClone(m.value);
    value.payload.before.customer_id = 'CAP-OLD';
    const cs = mapEvent(customerSpec, value)!;
    assert.equal(customer(cs).value, 'CAP-1');
    assert.deepEqual(
      cs.deletes.filter((d) => d.kind === 'vertex'),
      [{ kind: 'vertex', label: 'customer', key: 'customerId', value: 'CAP-OLD' }],
    );
  });

  test('a delete removes the vertex by the key in before; its tombstone is skipped', () => {
    assert.deepEqual(map('delete-delete')!.deletes, [
      { kind: 'vertex', label: 'customer', key: 'customerId', value: 'CAP-3' },
    ]);
    const r = mapEvents(
      customerSpec,
      [fixture('delete-delete').value, fixture('delete-tombstone').value],
      [undefined, undefined],
    );
    assert.deepEqual([r.mapped.length, r.skipped, r.failed.length], [1, [1], 0]);
  });

  test('a column added by ALTER TABLE mid-stream maps without a new spec (the schema travels in the message)', () => {
    const m = fixture('add-column-update');
    assert.ok(
      m.value.schema.fields.find((f: any) => f.field === 'after').fields.some((f: any) => f.field === 'loyalty_points'),
    );
    assert.equal(customer(map('add-column-update')).properties.loyaltyPoints, 7);
  });

  test('a column type the decoder does not know fails the event naming column and type', () => {
    const m = fixture('unknown-type-update');
    let err: unknown;
    try {
      mapEvent(customerSpec, m.value, ref(m));
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof MappingError);
    assert.equal(err.field, 'after.location');
    assert.match(
      err.message,
      /^crm\.public\.capture_customers\[\d\]@\d+: field "after\.location": column "after\.location" has Connect type io\.debezium\.data\.geometry\.Point \(struct\), which graph map cannot decode/,
    );
    const r = mapEvents(customerSpec, [fixture('insert-create').value, m.value], [undefined, undefined]);
    assert.deepEqual([r.mapped.length, r.failed.length], [1, 1], 'the other events still map');
  });
});

describe('Debezium messages without schemas (schemas.enable=false): the spec declares the column types', () => {
  const bare = (name: string) => fixture(name).value.payload;
  const spec = (columns: unknown) =>
    loadSpec({
      mode: 'cdc',
      columns,
      vertices: {
        c: {
          label: 'customer',
          key: 'customerId',
          value: '{{customer_id}}',
          properties: {
            credit: { value: '{{credit_limit}}', type: 'double' },
            born: { value: '{{birth_date}}', type: 'date', format: 'iso' },
            tier: '{{profile.tier}}',
            seen: { value: '{{last_contact_at}}', type: 'date' },
          },
        },
      },
    } as never);

  test('declared columns decode like the schema would', () => {
    const s = spec({
      credit_limit: { type: 'decimal', scale: 2 },
      birth_date: 'date',
      profile: 'json',
      last_contact_at: 'micro-timestamp',
    });
    const withSchema = mapEvent(s, fixture('insert-create').value)!.vertices[0].properties;
    const without = mapEvent(s, bare('insert-create'))!.vertices[0].properties;
    assert.deepEqual(without, {
      credit: 12345.67,
      born: '1990-05-17T00:00:00.000Z',
      tier: 'gold',
      seen: Date.UTC(2024, 2, 2, 8, 15, 30, 123),
    });
    assert.deepEqual(without, withSchema);
  });

  test('undeclared columns arrive raw and fail where a type cannot take them', () => {
    const s = spec({});
    assert.throws(
      () => mapEvent(s, bare('insert-create')),
      (e: MappingError) => e.field === 'properties.credit' && /"EtaH" is not a number/.test(e.message),
    );
  });

  test('spec checks: columns only in cdc mode, known types, scale only for decimal', () => {
    const issues = (s: object) => {
      try {
        loadSpec(s);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.match(
      issues({ columns: { a: 'date' }, vertices: { v: { label: 'x', key: 'k', value: '{{a}}' } } }),
      /columns applies only to mode: cdc/,
    );
    assert.match(
      issues({ mode: 'cdc', columns: { a: 'money' }, vertices: { v: { label: 'x', key: 'k', value: '{{a}}' } } }),
      /unknown column type "money"/,
    );
    assert.match(
      issues({
        mode: 'cdc',
        columns: { a: { type: 'date', scale: 2 } },
        vertices: { v: { label: 'x', key: 'k', value: '{{a}}' } },
      }),
      /scale is an integer and applies only to type decimal/,
    );
  });

  test('decodeValue refuses values that do not match their schema', () => {
    assert.throws(
      () => decodeValue('x', { type: 'int32', name: 'io.debezium.time.Date' }, 'after.d'),
      UnknownColumnTypeError,
    );
    assert.throws(
      () => decodeValue('{', { type: 'string', name: 'io.debezium.data.Json' }, 'after.j'),
      /not valid JSON/,
    );
    assert.equal(
      decodeValue(86399999999, { type: 'int64', name: 'io.debezium.time.MicroTime' }, 't'),
      '23:59:59.999999',
    );
  });
});
