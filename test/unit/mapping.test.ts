/* The mapping engine (lib/mapping): templates, coercion, cardinality, each/when, required, CDC and every error. */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import {
  loadSpec,
  checkSpec,
  mapEvent,
  mapEvents,
  eventRefs,
  compileTemplate,
  MappingError,
  SpecError,
  type MappingSpec,
} from '../../lib/mapping';
import type { ChangeSet } from '../../lib/change-set';

const one = (
  props: MappingSpec['vertices'][string]['properties'],
  extra: Partial<MappingSpec['vertices'][string]> = {},
): MappingSpec => ({ vertices: { v: { label: 'thing', key: 'id', value: '{{id}}', properties: props, ...extra } } });

function props(spec: MappingSpec, event: unknown): Record<string, unknown> {
  const cs = mapEvent(loadSpec(spec), event)!;
  return cs.vertices[0].properties;
}

function mappingError(
  spec: MappingSpec | string,
  event: unknown,
  source?: Parameters<typeof mapEvent>[2],
): MappingError {
  try {
    mapEvent(loadSpec(spec), event, source);
  } catch (e) {
    assert.ok(e instanceof MappingError, `expected MappingError, got ${e}`);
    return e;
  }
  assert.fail('expected the event to fail');
}

function specIssues(spec: unknown): string[] {
  const { issues } = checkSpec(spec as object);
  return issues.map((i) => `${i.definition ?? ''}|${i.field ?? ''}|${i.message}`);
}

describe('mapping templates', () => {
  test('a template that is exactly one tag keeps the JSON type', () => {
    const p = props(one({ n: '{{n}}', b: '{{b}}', s: '{{s}}', z: '{{ n }}', t: '{{{n}}}' }), {
      id: 1,
      n: 42.5,
      b: false,
      s: 'x',
    });
    assert.deepEqual(p, { n: 42.5, b: false, s: 'x', z: 42.5, t: 42.5 });
  });
  test('mixed templates render to strings, without HTML escaping', () => {
    const p = props(one({ a: 'n={{n}}', h: '<b>{{html}}</b>' }), { id: 1, n: 7, html: `Tom & "Jerry" <'x'>` });
    assert.deepEqual(p, { a: 'n=7', h: `<b>Tom & "Jerry" <'x'></b>` });
  });
  test('paths reach nested objects and array items', () => {
    const p = props(one({ sku: '{{items.1.sku}}', city: '{{a.b.c}}' }), {
      id: 1,
      items: [{ sku: 'A' }, { sku: 'B' }],
      a: { b: { c: 'Paris' } },
    });
    assert.deepEqual(p, { sku: 'B', city: 'Paris' });
  });
  test('a mixed template with a missing part is missing as a whole (no half keys)', () => {
    const t = compileTemplate('order-{{id}}');
    assert.equal(t.render({ root: {} }), undefined);
    assert.equal(t.render({ root: { id: 5 } }), 'order-5');
    assert.equal(compileTemplate('{{constructor}}').render({ root: {} }), undefined);
  });
  test('plain text and YAML numbers are constants', () => {
    const p = props(one({ kind: 'retail', rank: 3 as unknown as string }), { id: 1 });
    assert.deepEqual(p, { kind: 'retail', rank: 3 });
  });
  test('templates that mustache cannot parse, partials and odd tags are spec errors naming the field and position', () => {
    const cases: Array<[string, RegExp]> = [
      ['x {{ y', /invalid template "x \{\{ y": Unclosed tag at 6/],
      ['{{#items}}x', /invalid template .*Unclosed section "items" at 11/],
      ['x{{/items}}', /invalid template .*Unopened section "items" at 1/],
      ['{{> partial}}', /partials are not supported in a mapping: "\{\{> partial\}\}"/],
      ['{{a b}}', /unsupported template tag "\{\{a b\}\}"/],
      ['{{a..b}}', /empty segment in path "a\.\.b"/],
    ];
    for (const [t, message] of cases) {
      const issues = specIssues(one({ p: t }));
      assert.equal(issues.length, 1, t);
      assert.match(issues[0], /^vertices\.v\|properties\.p\|/, t);
      assert.match(issues[0], message, t);
    }
  });
  test('sections: once per array item with {{.}}, once for a truthy value or object, nothing when missing or empty', () => {
    const t = compileTemplate('{{#tags}}{{.}};{{/tags}}');
    assert.equal(t.typed, false);
    assert.equal(t.render({ root: { tags: ['a', 'b', 3] } }), 'a;b;3;');
    assert.equal(t.render({ root: { tags: [] } }), '');
    assert.equal(t.render({ root: {} }), '', 'a section over a missing value renders nothing, it is not missing');
    // Objects in arrays: names resolve in the item first, then outward (mustache's context stack), then the event.
    const lines = compileTemplate('{{#items}}{{sku}}x{{qty}}@{{shop}},{{/items}}');
    assert.equal(
      lines.render({
        root: {
          shop: 'S1',
          items: [
            { sku: 'A', qty: 2 },
            { sku: 'B', qty: 1, shop: 'S2' },
          ],
        },
      }),
      'Ax2@S1,Bx1@S2,',
    );
    assert.equal(
      lines.render({ root: { shop: 'S1', items: [{ sku: 'A' }] } }),
      undefined,
      'a missing value inside a section is missing as a whole',
    );
    assert.equal(
      compileTemplate('{{#vip}}VIP {{/vip}}{{name}}').render({ root: { vip: true, name: 'Ann' } }),
      'VIP Ann',
    );
    assert.equal(compileTemplate('{{#vip}}VIP {{/vip}}{{name}}').render({ root: { vip: false, name: 'Ann' } }), 'Ann');
    assert.equal(compileTemplate('{{#addr}}{{city}}{{/addr}}').render({ root: { addr: { city: 'Paris' } } }), 'Paris');
    // each-bound names are visible inside sections too.
    assert.equal(
      compileTemplate('{{#item.tags}}{{item.sku}}:{{.}} {{/item.tags}}').render({
        root: {},
        vars: { item: { sku: 'A', tags: ['x', 'y'] } },
      }),
      'A:x A:y ',
    );
  });
  test('inverted sections are defaults: a value with one in the same template may be missing', () => {
    const t = compileTemplate('{{currency}}{{^currency}}EUR{{/currency}}');
    assert.equal(t.render({ root: { currency: 'USD' } }), 'USD');
    assert.equal(t.render({ root: {} }), 'EUR');
    assert.equal(t.render({ root: { currency: null } }), 'EUR');
    assert.equal(compileTemplate('{{^tags}}none{{/tags}}').render({ root: { tags: [] } }), 'none');
    assert.equal(compileTemplate('{{^tags}}none{{/tags}}').render({ root: { tags: ['a'] } }), '');
    assert.equal(
      compileTemplate('{{a}}-{{b}}{{^b}}0{{/b}}').render({ root: {} }),
      undefined,
      'a value without a default stays missing-aware',
    );
  });
  test('comments and set delimiters follow mustache; a lone tag among comments keeps its type; no HTML escaping', () => {
    assert.equal(compileTemplate('{{! the order id }}{{n}}').render({ root: { n: 42 } }), 42);
    assert.equal(compileTemplate('{{=<% %>=}}id-<% n %>').render({ root: { n: 7 } }), 'id-7');
    assert.equal(compileTemplate('{{! only a note }}abc').render({ root: {} }), 'abc');
    assert.equal(compileTemplate('{{&h}}|{{h}}|{{{h}}}').render({ root: { h: '<&>' } }), '<&>|<&>|<&>');
    assert.equal(compileTemplate('{{.}}').render({ root: 5 }), 5, '{{.}} outside a section is the whole event');
    assert.deepEqual(compileTemplate('{{#a}}{{b}}{{/a}} {{c.d}}').paths, ['a', 'b', 'c.d']);
  });
});

describe('mapping type coercion and cardinality', () => {
  test('string, int, long, double, boolean and date (epoch and ISO) coerce', () => {
    const spec = one({
      s: { value: '{{n}}', type: 'string' },
      i: { value: '{{is}}', type: 'int' },
      l: { value: '{{big}}', type: 'long' },
      d: { value: '{{ds}}', type: 'double' },
      b: { value: '{{bs}}', type: 'boolean' },
      b0: { value: '{{zero}}', type: 'boolean' },
      t1: { value: '{{iso}}', type: 'date' },
      t2: { value: '{{ms}}', type: 'date', format: 'iso' },
      t3: { value: '{{mss}}', type: 'date' },
      o: { value: '{{obj}}', type: 'string' },
    });
    const p = props(spec, {
      id: 1,
      n: 12,
      is: '-7',
      big: '9007199254740991',
      ds: '3.25',
      bs: 'TRUE',
      zero: 0,
      iso: '2025-01-01T00:00:00Z',
      ms: 0,
      mss: '1735689600000',
      obj: { a: 1 },
    });
    assert.deepEqual(p, {
      s: '12',
      i: -7,
      l: 9007199254740991,
      d: 3.25,
      b: true,
      b0: false,
      t1: 1735689600000,
      t2: '1970-01-01T00:00:00.000Z',
      t3: 1735689600000,
      o: '{"a":1}',
    });
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ['int', '1.5', /"1\.5" is not an integer \(type int\)/],
    ['int', 3000000000, /outside the int range/],
    ['long', '99999999999999999999', /outside the exactly representable long range/],
    ['double', 'abc', /"abc" is not a number \(type double\)/],
    ['boolean', 'maybe', /"maybe" is not a boolean/],
    ['date', 'yesterday', /"yesterday" is not a date/],
    ['date', '2025-13-45T99:00:00Z', /is not a valid date/],
  ];
  for (const [type, value, re] of bad) {
    test(`a value that is not a ${type} fails the event naming definition and field (${JSON.stringify(value)})`, () => {
      const e = mappingError(
        one({ x: { value: '{{x}}', type: type as 'int' } }),
        { id: 1, x: value },
        { topic: 'in', partition: 1, offset: '9' },
      );
      assert.equal(e.definition, 'vertices.v');
      assert.equal(e.field, 'properties.x');
      assert.match(e.message, re);
      assert.match(e.message, /^in\[1\]@9: vertices\.v field "properties\.x": /);
    });
  }
  test('without a type, objects and arrays are refused; null is missing', () => {
    assert.match(
      mappingError(one({ o: '{{o}}' }), { id: 1, o: { a: 1 } }).message,
      /an object, not a string, number or boolean/,
    );
    assert.match(
      mappingError(one({ a: '{{a}}' }), { id: 1, a: [1] }).message,
      /is an array: use cardinality list or set/,
    );
    assert.deepEqual(props(one({ n: '{{n}}' }), { id: 1, n: null }), {});
  });
  test('list keeps order and duplicates, set removes duplicates; one value becomes a one-item list', () => {
    const cs = mapEvent(
      loadSpec(
        one({
          l: { value: '{{tags}}', cardinality: 'list' },
          s: { value: '{{tags}}', cardinality: 'set' },
          n: { value: '{{nums}}', cardinality: 'set', type: 'int' },
          one: { value: '{{tag}}', cardinality: 'list' },
        }),
      ),
      { id: 1, tags: ['a', 'b', 'a'], nums: ['1', 1, 2], tag: 'x' },
    )!;
    assert.deepEqual(cs.vertices[0].properties, { l: ['a', 'b', 'a'], s: ['a', 'b'], n: [1, 2], one: ['x'] });
    assert.deepEqual(cs.vertices[0].cardinality, { l: 'list', s: 'set', n: 'set', one: 'list' });
  });
  test('defaults fill missing values; required properties fail without one', () => {
    assert.deepEqual(
      props(one({ c: { value: '{{c}}', default: 'EUR' }, q: { value: '{{q}}', type: 'int', default: '1' } }), {
        id: 1,
      }),
      { c: 'EUR', q: 1 },
    );
    const e = mappingError(one({ total: { value: '{{total}}', required: true } }), { id: 1 });
    assert.equal(e.field, 'properties.total');
    assert.match(e.message, /required value missing \(template "\{\{total\}\}" rendered nothing\)/);
  });
  test('key values: keyType coerces; booleans and empty keys are refused', () => {
    const cs = mapEvent(loadSpec(one({}, { keyType: 'string' })), { id: 17 })!;
    assert.equal(cs.vertices[0].value, '17');
    assert.match(
      mappingError(one({}), { id: true }).message,
      /vertices\.v field "value": a key value must be text or a number/,
    );
    assert.match(mappingError(one({}), { id: '' }).message, /key value is empty/);
  });
});

const orderSpec: MappingSpec = {
  vertices: {
    customer: { label: 'customer', key: 'customerId', value: '{{customerId}}' },
    order: { label: 'order', key: 'orderId', value: '{{orderId}}' },
    product: {
      label: 'product',
      key: 'sku',
      value: '{{item.sku}}',
      each: 'items',
      properties: { lastOrder: '{{orderId}}' },
    },
  },
  edges: [
    { label: 'placed', from: 'customer', to: 'order' },
    {
      label: 'contains',
      from: 'order',
      to: 'product',
      key: { name: 'lineNo', value: '{{item.lineNo}}' },
      properties: { qty: { value: '{{item.qty}}', type: 'int' }, pos: '{{index}}' },
    },
  ],
};

describe('mapping each (one-to-many) and when', () => {
  test('each yields one vertex per item and pairs per-item edges with their own item', () => {
    const cs = mapEvent(loadSpec(orderSpec), {
      orderId: 'O1',
      customerId: 'C1',
      items: [
        { lineNo: 1, sku: 'A', qty: '2' },
        { lineNo: 2, sku: 'B', qty: 5 },
      ],
    })!;
    assert.deepEqual(
      cs.vertices.map((v) => `${v.label}=${v.value}`),
      ['customer=C1', 'order=O1', 'product=A', 'product=B'],
    );
    assert.deepEqual(cs.vertices[2].properties, { lastOrder: 'O1' }, 'outer event fields are visible inside each');
    const contains = cs.edges.filter((e) => e.label === 'contains');
    assert.deepEqual(
      contains.map((e) => [e.from.value, e.to.value, e.key?.value, e.properties.qty, e.properties.pos]),
      [
        ['O1', 'A', 1, 2, 0],
        ['O1', 'B', 2, 5, 1],
      ],
    );
    assert.deepEqual(
      cs.edges.filter((e) => e.label === 'placed').map((e) => [e.from.value, e.to.value]),
      [['C1', 'O1']],
    );
  });
  test('the same vertex twice is written once; edge keys keep multi-edges apart', () => {
    const cs = mapEvent(loadSpec(orderSpec), {
      orderId: 'O1',
      customerId: 'C1',
      items: [
        { lineNo: 1, sku: 'A' },
        { lineNo: 2, sku: 'A' },
      ],
    })!;
    assert.equal(cs.vertices.filter((v) => v.label === 'product').length, 1);
    assert.deepEqual(
      cs.edges.filter((e) => e.label === 'contains').map((e) => e.key?.value),
      [1, 2],
    );
  });
  test('a missing array iterates nothing; a non-array is an error naming the each field', () => {
    const cs = mapEvent(loadSpec(orderSpec), { orderId: 'O1', customerId: 'C1' })!;
    assert.deepEqual(
      cs.vertices.map((v) => v.label),
      ['customer', 'order'],
    );
    assert.equal(cs.edges.length, 1);
    const e = mappingError(orderSpec, { orderId: 'O1', customerId: 'C1', items: 'A,B' });
    assert.equal(e.definition, 'vertices.product');
    assert.equal(e.field, 'each');
    assert.match(e.message, /each path "items" is string, not an array/);
  });
  test('each with `as`, scalars as items, and per-item when', () => {
    const spec: MappingSpec = {
      vertices: {
        tweet: { label: 'tweet', key: 'tweetId', value: '{{id}}' },
        term: {
          label: 'term',
          key: 'text',
          value: '{{tag}}',
          each: { path: 'tags', as: 'tag' },
          when: { value: '{{tag}}', notEquals: 'spam' },
        },
      },
      edges: [{ label: 'uses', from: 'tweet', to: 'term', properties: { at: '{{index}}' } }],
    };
    const cs = mapEvent(loadSpec(spec), { id: 't1', tags: ['a', 'spam', 'b'] })!;
    assert.deepEqual(
      cs.vertices.map((v) => v.value),
      ['t1', 'a', 'b'],
    );
    assert.deepEqual(
      cs.edges.map((e) => [e.to.value, e.properties.at]),
      [
        ['a', 0],
        ['b', 2],
      ],
      'the skipped item has no edge; pairing stays by item',
    );
  });
  test('when: truthy templates and equals / in / exists', () => {
    const spec = (when: unknown): MappingSpec => ({
      vertices: { v: { label: 'x', key: 'id', value: '{{id}}', when: when as string } },
    });
    const yields = (when: unknown, event: object) =>
      mapEvent(loadSpec(spec(when)), { id: 1, ...event })!.vertices.length;
    assert.equal(yields('{{flag}}', { flag: true }), 1);
    for (const f of [false, 0, '', 'false', null, []])
      assert.equal(yields('{{flag}}', { flag: f }), 0, JSON.stringify(f));
    assert.equal(yields({ value: '{{t}}', equals: 'a' }, { t: 'a' }), 1);
    assert.equal(yields({ value: '{{t}}', equals: 5 }, { t: '5' }), 1, 'compares as text');
    assert.equal(yields({ value: '{{t}}', equals: 'a' }, { t: 'b' }), 0);
    assert.equal(yields({ value: '{{t}}', in: ['a', 'b'] }, { t: 'b' }), 1);
    assert.equal(yields({ value: '{{t}}', in: ['a', 'b'] }, { t: 'c' }), 0);
    assert.equal(yields({ value: '{{t}}', exists: true }, {}), 0);
    assert.equal(yields({ value: '{{t}}', exists: false }, {}), 1);
  });
  test('an edge whose when is false is skipped; its vertices stay', () => {
    const spec: MappingSpec = {
      ...orderSpec,
      edges: [{ label: 'placed', from: 'customer', to: 'order', when: '{{confirmed}}' }],
    };
    const cs = mapEvent(loadSpec(spec), { orderId: 'O1', customerId: 'C1', confirmed: false })!;
    assert.equal(cs.vertices.length, 2);
    assert.equal(cs.edges.length, 0);
  });
});

describe('mapping required keys', () => {
  test('a missing key value fails the event by default, naming definition and field', () => {
    const e = mappingError(
      orderSpec,
      { orderId: 'O1' },
      { topic: 'customer.orders', partition: 0, offset: '12', index: 3 },
    );
    assert.equal(e.definition, 'vertices.customer');
    assert.equal(e.field, 'value');
    assert.deepEqual(e.event, { topic: 'customer.orders', partition: 0, offset: '12', index: 3 });
    assert.equal(
      e.message,
      'customer.orders[0]@12 (item 3): vertices.customer field "value": key value missing (template "{{customerId}}" rendered nothing); set required: false to skip instead',
    );
  });
  test('required: false skips the vertex and every edge touching it', () => {
    const spec: MappingSpec = {
      ...orderSpec,
      vertices: { ...orderSpec.vertices, customer: { ...orderSpec.vertices.customer, required: false } },
    };
    const cs = mapEvent(loadSpec(spec), { orderId: 'O1' })!;
    assert.deepEqual(
      cs.vertices.map((v) => v.label),
      ['order'],
    );
    assert.equal(cs.edges.length, 0);
  });
  test('a missing edge key fails the event unless the edge is optional', () => {
    const e = mappingError(orderSpec, { orderId: 'O1', customerId: 'C1', items: [{ sku: 'A' }] });
    assert.equal(e.definition, 'edges[1]');
    assert.equal(e.field, 'key.value');
    assert.match(e.message, /edge key value missing \(template "\{\{item\.lineNo\}\}" rendered nothing\)/);
    const optional: MappingSpec = {
      ...orderSpec,
      edges: [orderSpec.edges![0], { ...orderSpec.edges![1], required: false }],
    };
    assert.equal(
      mapEvent(loadSpec(optional), { orderId: 'O1', customerId: 'C1', items: [{ sku: 'A' }] })!.edges.length,
      1,
    );
  });
  test('a null event fails in event mode', () => {
    assert.match(mappingError(orderSpec, null).message, /^event: the event is empty \(null\)/);
  });
});

const cdcSpec = `
mode: cdc
vertices:
  customer:
    label: customer
    key: customerId
    value: "{{id}}"
    properties:
      email: "{{email}}"
      op: "{{$op}}"
      table: "{{$source.table}}"
`;
const row = { id: 'C-1', email: 'a@b.c' };
const source = { table: 'customers' };

describe('mapping CDC mode (Debezium)', () => {
  for (const op of ['c', 'r', 'u']) {
    for (const wrapped of [false, true]) {
      test(`op ${op} upserts from after (${wrapped ? 'with' : 'without'} the schema/payload wrapper)`, () => {
        const env = { op, before: op === 'u' ? { id: 'C-1', email: 'old@b.c' } : null, after: row, source, ts_ms: 1 };
        const cs = mapEvent(loadSpec(cdcSpec), wrapped ? { schema: { type: 'struct' }, payload: env } : env)!;
        assert.deepEqual(cs.vertices, [
          {
            label: 'customer',
            key: 'customerId',
            value: 'C-1',
            properties: { email: 'a@b.c', op, table: 'customers' },
          },
        ]);
        assert.deepEqual(cs.deletes, []);
      });
    }
  }
  for (const wrapped of [false, true]) {
    test(`op d deletes the row's vertex keyed from before (${wrapped ? 'with' : 'without'} wrapper)`, () => {
      const env = { op: 'd', before: row, after: null, source };
      const cs = mapEvent(loadSpec(cdcSpec), wrapped ? { schema: {}, payload: env } : env)!;
      assert.deepEqual(cs, {
        vertices: [],
        edges: [],
        deletes: [{ kind: 'vertex', label: 'customer', key: 'customerId', value: 'C-1' }],
      } satisfies ChangeSet);
    });
  }
  test('tombstones (null, or a wrapper with a null payload) are skipped', () => {
    const m = loadSpec(cdcSpec);
    assert.equal(mapEvent(m, null), null);
    assert.equal(mapEvent(m, { schema: null, payload: null }), null);
    const r = mapEvents(m, [null, { op: 'c', after: row }], [undefined, undefined]);
    assert.deepEqual(r.skipped, [0]);
    assert.deepEqual(
      r.mapped.map((x) => x.index),
      [1],
    );
  });
  test('an unknown op is an error naming the op field', () => {
    const e = mappingError(cdcSpec, { op: 't', after: row }, { topic: 'crm.customers.cdc', partition: 0, offset: '7' });
    assert.equal(e.field, 'op');
    assert.equal(e.message, 'crm.customers.cdc[0]@7: field "op": unknown Debezium op "t" (expected c, r, u or d)');
  });
  test('envelope errors: not an object, no op, no after, no before', () => {
    assert.match(mappingError(cdcSpec, [1]).message, /not a Debezium change event: an array/);
    assert.match(
      mappingError(cdcSpec, { after: row }).message,
      /field "op": not a Debezium change event: op is missing/,
    );
    assert.match(
      mappingError(cdcSpec, { op: 'u', after: null }).message,
      /field "after": op "u" needs the row in after, which is null/,
    );
    assert.match(
      mappingError(cdcSpec, { op: 'd', before: null }).message,
      /field "before": op "d" needs the deleted row's key in before/,
    );
    const e = mappingError(cdcSpec, { op: 'd', before: { email: 'x' } });
    assert.equal(e.definition, 'vertices.customer');
    assert.match(e.message, /key value missing in before/);
  });
  test('deletes names the definitions a delete removes', () => {
    const spec = `${cdcSpec}  country:\n    label: country\n    key: code\n    value: "{{country}}"\ndeletes: [country]\n`;
    const cs = mapEvent(loadSpec(spec), { op: 'd', before: { id: 'C-1', country: 'FR' } })!;
    assert.deepEqual(cs.deletes, [{ kind: 'vertex', label: 'country', key: 'code', value: 'FR' }]);
  });
});

describe('mapping spec validation', () => {
  test('YAML and JSON texts both load', () => {
    const fromJson = loadSpec(JSON.stringify(orderSpec));
    assert.equal(fromJson.vertices.length, 3);
    assert.equal(loadSpec('vertices:\n  v: { label: x, key: id, value: "{{id}}" }\n').vertices[0].label, 'x');
  });
  test('each problem names definition and field', () => {
    const issues = specIssues({
      mode: 'stream',
      extra: 1,
      vertices: {
        a: { label: 'bad label', key: 'id', value: '{{id}}', lable: 'x' },
        b: {
          label: 'b',
          key: '1id',
          value: '{{id}}',
          properties: { p: { value: '{{p}}', type: 'strng', cardinality: 'bag', format: 'iso' }, 'bad-name': '{{x}}' },
        },
        c: { label: 'c', key: 'id' },
        d: { label: 'd', key: 'id', value: '{{id}}', each: 'x y', required: 'yes', when: { value: '{{a}}' } },
        e: { label: 'e', key: 'id', value: '{{id}}', properties: { id: '{{id}}' } },
      },
      edges: [{ label: 'l', from: 'a', to: 'nope' }, 'x'],
      deletes: ['a'],
    });
    const expected = [
      '|extra|unknown field "extra"',
      '|mode|unknown mode "stream"',
      'vertices.a|lable|unknown field "lable"',
      'vertices.a|label|label "bad label" is not a valid identifier',
      'vertices.b|key|key "1id" is not a valid identifier',
      'vertices.b|properties.p.type|unknown type "strng"',
      'vertices.b|properties.p.format|format applies only to type date',
      'vertices.b|properties.p.cardinality|unknown cardinality "bag"',
      'vertices.b|properties.bad-name|property name "bad-name" is not a valid identifier',
      'vertices.c|value|value is required',
      'vertices.d|required|must be true or false',
      'vertices.d|when|when needs at least one of',
      'vertices.d|each|each needs the path of an array',
      'vertices.e|properties.id|property "id" is the key property',
      'edges[0]|to|to names no vertex definition: "nope"',
      'edges[1]||an edge definition must be a map',
      '|deletes|deletes applies only to mode: cdc',
    ];
    for (const want of expected)
      assert.ok(
        issues.some((i) => i.startsWith(want)),
        `missing issue ${want}\n${issues.join('\n')}`,
      );
  });
  test('edges cannot pair vertices of different each arrays', () => {
    const issues = specIssues({
      vertices: {
        a: { label: 'a', key: 'k', value: '{{item}}', each: 'xs' },
        b: { label: 'b', key: 'k', value: '{{item}}', each: 'ys' },
      },
      edges: [
        { label: 'ab', from: 'a', to: 'b' },
        { label: 'ab2', from: 'a', to: 'a', each: 'zs' },
      ],
    });
    assert.ok(
      issues.some((i) => i.startsWith('edges[0]||from "a" iterates "xs" and to "b" iterates "ys"')),
      issues.join('\n'),
    );
    assert.ok(
      issues.some((i) => i.startsWith('edges[1]|each|each "zs" differs from its endpoint\'s each "xs"')),
      issues.join('\n'),
    );
  });
  test('issues from YAML text carry line numbers; SpecError lists them', () => {
    const text =
      'vertices:\n  customer:\n    label: customer\n    key: customerId\n    value: "{{id}}"\n    properties:\n      age: { value: "{{age}}", type: number }\n';
    const { issues } = checkSpec(text);
    assert.equal(issues.length, 1);
    assert.equal(issues[0].line, 7);
    assert.deepEqual(issues[0].path, ['vertices', 'customer', 'properties', 'age', 'type']);
    assert.throws(
      () => loadSpec(text),
      (e: unknown) =>
        e instanceof SpecError &&
        e.definition === 'vertices.customer' &&
        e.field === 'properties.age.type' &&
        /^invalid mapping spec: vertices\.customer\.properties\.age\.type: unknown type "number" \(expected one of string, int, long, double, boolean, date\) \(line 7\)$/.test(
          e.message,
        ),
    );
  });
  test('YAML syntax errors, empty specs and specs without vertices are reported', () => {
    assert.match(checkSpec('vertices: [\n').issues[0].message, /^cannot parse the spec: /);
    assert.ok(checkSpec('vertices: [\n').issues[0].line! >= 1);
    assert.equal(checkSpec('  ').issues[0].message, 'the mapping spec is empty');
    assert.match(checkSpec('edges: []').issues[0].message, /vertices must be a map of at least one vertex definition/);
    assert.match(checkSpec('- 1').issues[0].message, /the mapping spec must be a map/);
  });
  test('cdc mode refuses an each on the row vertex when deletes is not given', () => {
    const issues = specIssues({
      mode: 'cdc',
      vertices: { t: { label: 't', key: 'k', value: '{{item}}', each: 'xs' } },
    });
    assert.ok(
      issues.some((i) => i.startsWith('vertices.t|each|in mode cdc the first vertex definition')),
      issues.join('\n'),
    );
  });
});

describe('mapping event references', () => {
  test('per-message kafka metadata names topic, partition, offset and key', () => {
    assert.deepEqual(eventRefs({ topic: 't', partition: 1, offset: '5', key: 'k', timestamp: '1' }, 1, false), [
      { topic: 't', partition: 1, offset: '5', key: 'k' },
    ]);
    assert.deepEqual(eventRefs(undefined, 1, false), [undefined]);
  });
  test('batch metadata gives each item its own offset and index', () => {
    const refs = eventRefs({ topic: 't', partition: 0, batch: true, offsets: ['7', '8'], keys: ['a', null] }, 2, true);
    assert.deepEqual(refs, [
      { topic: 't', partition: 0, offset: '7', key: 'a', index: 0 },
      { topic: 't', partition: 0, offset: '8', key: null, index: 1 },
    ]);
    assert.deepEqual(eventRefs(undefined, 2, true), [{ index: 0 }, { index: 1 }]);
  });
  test('the partition lease kafka in stamped is carried into every reference, per message and per batch', () => {
    assert.deepEqual(eventRefs({ topic: 't', partition: 1, offset: '5', key: 'k', lease: 4 }, 1, false), [
      { topic: 't', partition: 1, offset: '5', key: 'k', lease: 4 },
    ]);
    const refs = eventRefs(
      { topic: 't', partition: 0, batch: true, offsets: ['7', '8'], keys: ['a', 'b'], lease: 9 },
      2,
      true,
    );
    assert.deepEqual(
      refs.map((r) => r?.lease),
      [9, 9],
    );
    assert.equal(
      eventRefs({ topic: 't', partition: 1, offset: '5', lease: '4' }, 1, false)[0]?.lease,
      undefined,
      'only a number is a lease',
    );
  });
  test('mapEvents separates mapped and failed events and keeps each error', () => {
    const r = mapEvents(
      loadSpec(orderSpec),
      [{ orderId: 'O1', customerId: 'C1' }, { orderId: 'O2' }],
      eventRefs(undefined, 2, true),
    );
    assert.deepEqual(
      r.mapped.map((x) => [x.index, x.changeSet.source?.index]),
      [[0, 0]],
    );
    assert.deepEqual(
      r.failed.map((x) => [x.index, x.error.definition, x.error.field]),
      [[1, 'vertices.customer', 'value']],
    );
    assert.match(r.failed[0].error.message, /^event #1: /);
  });
});
