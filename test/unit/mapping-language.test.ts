/*
 * The mapping language's second edition through the real engine (loadSpec + mapEvent): numeric/regex/all/any
 * conditions, labels from a map, value transforms and locale numbers/dates, match-only vertices, merge rules, CDC edge
 * re-pointing and edge deletes. Each expected value is written out by hand.
 */
import { test, describe } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadSpec, checkSpec, mapEvent, MappingError, type MappingSpec } from '../../lib/mapping';

function mapOne(spec: MappingSpec, event: unknown) {
  return mapEvent(loadSpec(spec), event)!;
}

function failure(spec: MappingSpec, event: unknown): MappingError {
  try {
    mapEvent(loadSpec(spec), event);
  } catch (e) {
    assert.ok(e instanceof MappingError, String(e));
    return e;
  }
  assert.fail('expected the event to fail');
}

function issues(spec: unknown): string[] {
  return checkSpec(spec as object).issues.map((i) => `${i.definition ?? ''}|${i.field ?? ''}|${i.message}`);
}

const vertexWhen = (when: unknown): MappingSpec => ({
  vertices: { v: { label: 'x', key: 'id', value: '{{id}}', when: when as string } },
});
const yields = (when: unknown, event: object) => mapOne(vertexWhen(when), { id: 1, ...event }).vertices.length;

describe('conditions', () => {
  test('gt / gte / lt / lte compare as numbers (numeric text too); missing or non-numeric is false', () => {
    assert.equal(yields({ value: '{{amount}}', gt: 1000 }, { amount: 1000.5 }), 1);
    assert.equal(yields({ value: '{{amount}}', gt: 1000 }, { amount: 1000 }), 0);
    assert.equal(yields({ value: '{{amount}}', gte: 1000 }, { amount: '1000' }), 1, 'numeric text');
    assert.equal(yields({ value: '{{amount}}', gt: 9 }, { amount: '10' }), 1, 'as numbers, not as text ("10" < "9")');
    assert.equal(yields({ value: '{{amount}}', lt: 0 }, { amount: -3 }), 1);
    assert.equal(yields({ value: '{{amount}}', lte: 5 }, { amount: 'five' }), 0);
    assert.equal(yields({ value: '{{amount}}', lt: 5 }, {}), 0);
    assert.equal(
      yields({ value: '{{amount}}', gte: 10, lt: 100 }, { amount: 50 }),
      1,
      'two tests in one condition: a range',
    );
    assert.equal(yields({ value: '{{amount}}', gte: 10, lt: 100 }, { amount: 100 }), 0);
  });
  test('matches is a regular expression on the text', () => {
    assert.equal(yields({ value: '{{iban}}', matches: '^DE[0-9]{20}$' }, { iban: 'DE89370400440532013000' }), 1);
    assert.equal(yields({ value: '{{iban}}', matches: '^DE[0-9]{20}$' }, { iban: 'FR7630006000011234567890189' }), 0);
    assert.equal(yields({ value: '{{code}}', matches: '^4' }, { code: 404 }), 1, 'a number is matched as its text');
    assert.equal(yields({ value: '{{code}}', matches: '.*' }, {}), 0, 'missing never matches');
  });
  test('all / any / not combine conditions, nested', () => {
    const risky = {
      any: [
        { value: '{{amount}}', gt: 10000 },
        { all: [{ value: '{{country}}', in: ['XX', 'YY'] }, { not: { value: '{{verified}}', equals: true } }] },
      ],
    };
    assert.equal(yields(risky, { amount: 20000, country: 'DE', verified: true }), 1);
    assert.equal(yields(risky, { amount: 5, country: 'XX', verified: false }), 1);
    assert.equal(yields(risky, { amount: 5, country: 'XX', verified: true }), 0);
    assert.equal(yields(risky, { amount: 5, country: 'DE', verified: false }), 0);
  });
  test('bad conditions are spec issues naming the field', () => {
    assert.deepEqual(issues(vertexWhen({ value: '{{a}}', gt: '10' })), [
      'vertices.v|when.gt|gt must be a number (the value is compared as a number)',
    ]);
    assert.match(
      issues(vertexWhen({ value: '{{a}}', matches: '([' }))[0],
      /^vertices\.v\|when\.matches\|not a valid regular expression/,
    );
    assert.deepEqual(issues(vertexWhen({ all: [] })), [
      'vertices.v|when.all|all must be a non-empty list of conditions',
    ]);
    assert.match(
      issues(vertexWhen({ any: [{ value: '{{a}}', between: 1 }] }))[0],
      /^vertices\.v\|when\.any\.0\.between\|unknown field "between"/,
    );
  });
});

describe('labels from a map', () => {
  const spec: MappingSpec = {
    vertices: {
      account: { label: { value: '{{type}}', map: { C: 'checking', S: 'savings' } }, key: 'iban', value: '{{iban}}' },
      owner: { label: 'customer', key: 'customerId', value: '{{owner}}' },
    },
    edges: [
      {
        label: { value: '{{role}}', map: { P: 'owns', J: 'coOwns' }, default: 'relatedTo' },
        from: 'owner',
        to: 'account',
      },
    ],
  };
  test('the label comes from the map by the field; an edge label may have a default', () => {
    const cs = mapOne(spec, { type: 'S', iban: 'DE1', owner: 'C-1', role: 'J' });
    assert.deepEqual(
      cs.vertices.map((v) => v.label),
      ['savings', 'customer'],
    );
    assert.equal(cs.edges[0].label, 'coOwns');
    assert.deepEqual(
      cs.edges[0].to,
      { label: 'savings', key: 'iban', value: 'DE1' },
      'the edge joins the labelled vertex',
    );
    assert.equal(mapOne(spec, { type: 'C', iban: 'DE2', owner: 'C-1', role: 'Z' }).edges[0].label, 'relatedTo');
  });
  test('a value not in the map, without default, fails the event naming the label field', () => {
    const e = failure(spec, { type: 'X', iban: 'DE3', owner: 'C-1' });
    assert.equal(e.definition, 'vertices.account');
    assert.equal(e.field, 'label');
    assert.match(e.message, /no label for "X" .*label\.map has "C", "S"; set label\.default/);
  });
  test('map values must be identifiers', () => {
    assert.deepEqual(
      issues({ vertices: { a: { label: { value: '{{t}}', map: { C: 'bad label' } }, key: 'k', value: '{{k}}' } } }),
      [
        'vertices.a|label.map.C|label "bad label" is not a valid identifier (letters, digits and _; not starting with a digit; at most 128)',
      ],
    );
  });
});

describe('value transforms and locale values', () => {
  const one = (p: Record<string, unknown>) =>
    ({ vertices: { v: { label: 'x', key: 'id', value: '{{id}}', properties: p } } }) as unknown as MappingSpec;
  const props = (p: Record<string, unknown>, event: object) =>
    mapOne(one(p), { id: 1, ...event }).vertices[0].properties;
  test('trim, lower, upper, split and lookup run in order before coercion', () => {
    assert.deepEqual(
      props(
        {
          email: { value: '{{email}}', transform: ['trim', 'lower'] },
          code: { value: '{{code}}', transform: 'upper' },
          tags: { value: '{{tags}}', transform: [{ split: ';' }, 'trim', 'lower'], cardinality: 'set' },
          country: { value: '{{cc}}', transform: ['trim', 'upper', { lookup: { DE: 'Germany', FR: 'France' } }] },
          n: { value: '{{n}}', transform: 'trim', type: 'int' },
        },
        { email: '  Ann@Example.COM ', code: 'de', tags: 'VIP; vip ;Gold', cc: ' de', n: ' 42 ' },
      ),
      {
        email: 'ann@example.com',
        code: 'DE',
        tags: ['vip', 'gold'],
        country: 'Germany',
        n: 42,
      },
    );
  });
  test('a lookup miss is a missing value: default and required apply', () => {
    const lookup = { lookup: { DE: 'Germany' } };
    assert.deepEqual(props({ country: { value: '{{cc}}', transform: lookup, default: 'unknown' } }, { cc: 'XX' }), {
      country: 'unknown',
    });
    assert.deepEqual(props({ country: { value: '{{cc}}', transform: lookup } }, { cc: 'XX' }), {});
    const e = failure(one({ country: { value: '{{cc}}', transform: lookup, required: true } }), { id: 1, cc: 'XX' });
    assert.equal(e.field, 'properties.country');
    assert.match(e.message, /required value missing .* after its transform/);
  });
  test('locale decimals: "12,50" with decimal ","; grouping "." removed; a stray "." is an error, not 1.25', () => {
    assert.deepEqual(
      props(
        {
          amount: { value: '{{a}}', type: 'double', decimal: ',' },
          big: { value: '{{b}}', type: 'double', decimal: ',', grouping: '.' },
          n: { value: '{{n}}', type: 'long', grouping: ',' },
        },
        { a: '12,50', b: '1.234.567,89', n: '1,000,000' },
      ),
      { amount: 12.5, big: 1234567.89, n: 1000000 },
    );
    assert.deepEqual(
      props({ amount: { value: '{{a}}', type: 'double', decimal: ',' } }, { a: 7.25 }),
      { amount: 7.25 },
      'numbers pass unchanged',
    );
    const e = failure(one({ amount: { value: '{{a}}', type: 'double', decimal: ',' } }), { id: 1, a: '1.25' });
    assert.match(e.message, /"1\.25" has "\." but the decimal separator is ","/);
  });
  test('a date pattern reads non-ISO dates (UTC unless it has an offset); impossible dates fail', () => {
    assert.deepEqual(
      props(
        {
          d: { value: '{{d}}', type: 'date', pattern: 'dd.MM.yyyy' },
          t: { value: '{{t}}', type: 'date', pattern: 'dd.MM.yyyy HH:mm', format: 'iso' },
          z: { value: '{{z}}', type: 'date', pattern: 'yyyy/MM/dd HH:mm:ss.SSSXXX', format: 'iso' },
        },
        { d: '31.12.2026', t: '01.02.2026 09:05', z: '2026/06/30 23:59:58.250+02:00' },
      ),
      {
        d: Date.UTC(2026, 11, 31),
        t: '2026-02-01T09:05:00.000Z',
        z: '2026-06-30T21:59:58.250Z',
      },
    );
    const e = failure(one({ d: { value: '{{d}}', type: 'date', pattern: 'dd.MM.yyyy' } }), { id: 1, d: '31.02.2026' });
    assert.match(e.message, /"31\.02\.2026" is not a date of pattern "dd\.MM\.yyyy"/);
  });
  test('keyTransform normalises the key value', () => {
    const cs = mapOne(
      { vertices: { c: { label: 'customer', key: 'email', value: '{{email}}', keyTransform: ['trim', 'lower'] } } },
      { email: ' Ann@X.org ' },
    );
    assert.equal(cs.vertices[0].value, 'ann@x.org');
  });
  test('bad transform and locale settings are spec issues', () => {
    assert.deepEqual(issues(one({ a: { value: '{{a}}', transform: ['trim', 'reverse'] } })), [
      'vertices.v|properties.a.transform|step 2: unknown transform "reverse" (expected trim, lower, upper, { split: "," } or { lookup: { ... } })',
    ]);
    assert.deepEqual(issues(one({ a: { value: '{{a}}', decimal: ',' } })), [
      'vertices.v|properties.a.decimal|decimal and grouping apply only to type int, long or double',
    ]);
    assert.deepEqual(issues(one({ a: { value: '{{a}}', type: 'date', pattern: 'dd.MM.yy' } })), [
      'vertices.v|properties.a.pattern|unknown date pattern letters "yy" (use yyyy, MM, M, dd, d, HH, H, mm, ss, SSS, XXX)',
    ]);
  });
});

describe('match-only vertices', () => {
  const transfer = (ifMissing?: 'skip' | 'fail'): MappingSpec => ({
    vertices: {
      transfer: {
        label: 'transfer',
        key: 'transferId',
        value: '{{id}}',
        properties: { amount: { value: '{{amount}}', type: 'double', decimal: ',' } },
      },
      account: { label: 'account', key: 'iban', value: '{{to}}', create: false, ...(ifMissing ? { ifMissing } : {}) },
    },
    edges: [{ label: 'credits', from: 'transfer', to: 'account' }],
  });
  test('create: false is never upserted: only the edge names it; ifMissing decides what a missing vertex does', () => {
    const skip = mapOne(transfer('skip'), { id: 'T-1', amount: '12,50', to: 'DE1' });
    assert.deepEqual(
      skip.vertices.map((v) => v.label),
      ['transfer'],
    );
    assert.deepEqual(skip.edges, [
      {
        label: 'credits',
        from: { label: 'transfer', key: 'transferId', value: 'T-1' },
        to: { label: 'account', key: 'iban', value: 'DE1' },
        properties: {},
        ifMissing: 'skip',
      },
    ]);
    const fail = mapOne(transfer(), { id: 'T-1', amount: '1', to: 'DE1' });
    assert.equal(fail.edges[0].ifMissing, undefined, 'default: a missing vertex fails the event at the write');
    const own = mapOne(
      { ...transfer('skip'), edges: [{ label: 'credits', from: 'transfer', to: 'account', ifMissing: 'fail' }] },
      { id: 'T-1', to: 'DE1' },
    );
    assert.equal(own.edges[0].ifMissing, undefined, "the edge's own ifMissing wins");
  });
  test('a match-only vertex cannot set properties, and ifMissing needs create: false', () => {
    assert.deepEqual(
      issues({ vertices: { a: { label: 'a', key: 'k', value: '{{k}}', create: false, properties: { x: '{{x}}' } } } }),
      ['vertices.a|properties|a match-only vertex (create: false) is never written: it cannot set properties'],
    );
    assert.deepEqual(issues({ vertices: { a: { label: 'a', key: 'k', value: '{{k}}', ifMissing: 'skip' } } }), [
      'vertices.a|ifMissing|ifMissing applies only to a match-only vertex (create: false)',
    ]);
  });
});

describe('merge rules', () => {
  const spec: MappingSpec = {
    vertices: {
      device: {
        label: 'device',
        key: 'deviceId',
        value: '{{device}}',
        properties: {
          firstSeen: { value: '{{at}}', type: 'date', merge: 'first' },
          lastSeen: { value: '{{at}}', type: 'date', merge: 'max' },
          lowestRisk: { value: '{{risk}}', type: 'double', merge: 'min' },
          ip: '{{ip}}',
        },
      },
    },
  };
  test('the change set carries the rules of the properties that have one', () => {
    const cs = mapOne(spec, { device: 'D-1', at: 1000, risk: 0.5, ip: '10.0.0.1' });
    assert.deepEqual(cs.vertices[0].merge, { firstSeen: 'first', lastSeen: 'max', lowestRisk: 'min' });
  });
  test('within one event, the same vertex twice merges by the rules', () => {
    const each: MappingSpec = {
      vertices: {
        device: {
          ...spec.vertices.device,
          value: '{{item.device}}',
          each: 'logins',
          properties: {
            firstSeen: { value: '{{item.at}}', type: 'long', merge: 'first' },
            lastSeen: { value: '{{item.at}}', type: 'long', merge: 'max' },
            lowestRisk: { value: '{{item.risk}}', type: 'double', merge: 'min' },
            ip: '{{item.ip}}',
          },
        },
      },
    };
    const cs = mapOne(each, {
      logins: [
        { device: 'D', at: 5, risk: 0.4, ip: 'a' },
        { device: 'D', at: 9, risk: 0.7, ip: 'b' },
        { device: 'D', at: 2, risk: 0.1, ip: 'c' },
      ],
    });
    assert.deepEqual(cs.vertices[0].properties, { firstSeen: 5, lastSeen: 9, lowestRisk: 0.1, ip: 'c' });
  });
  test('max/min need a comparable declared type; rules need cardinality single', () => {
    assert.deepEqual(
      issues({
        vertices: { a: { label: 'a', key: 'k', value: '{{k}}', properties: { x: { value: '{{x}}', merge: 'max' } } } },
      }),
      ['vertices.a|properties.x.merge|merge max compares values: declare type int, long, double, date or string'],
    );
    assert.deepEqual(
      issues({
        vertices: {
          a: {
            label: 'a',
            key: 'k',
            value: '{{k}}',
            properties: { x: { value: '{{x}}', merge: 'first', cardinality: 'set' } },
          },
        },
      }),
      ['vertices.a|properties.x.merge|merge first applies only to cardinality single'],
    );
  });
});

describe('edges in CDC', () => {
  const spec: MappingSpec = {
    mode: 'cdc',
    vertices: {
      account: {
        label: 'account',
        key: 'accountId',
        value: '{{account_id}}',
        properties: { balance: { value: '{{balance}}', type: 'double' } },
      },
      customer: { label: 'customer', key: 'customerId', value: '{{customer_id}}', create: false, ifMissing: 'skip' },
    },
    edges: [{ name: 'owns', label: 'owns', from: 'customer', to: 'account' }],
    deletes: ['account'],
  };
  const change = (op: string, before: object | null, after: object | null) => ({
    op,
    before,
    after,
    source: { table: 'accounts' },
    ts_ms: 1,
  });
  const owns = (c: string) => ({
    kind: 'edge',
    label: 'owns',
    from: { label: 'customer', key: 'customerId', value: c },
    to: { label: 'account', key: 'accountId', value: 'A-1' },
  });
  test('deletes names an edge: op d removes that edge (from before) and keeps its endpoints unless listed', () => {
    const edgeOnly: MappingSpec = { ...spec, deletes: ['owns'] };
    assert.deepEqual(mapOne(edgeOnly, change('d', { account_id: 'A-1', customer_id: 'C-1' }, null)).deletes, [
      owns('C-1'),
    ]);
    const both: MappingSpec = { ...spec, deletes: ['owns', 'account'] };
    assert.deepEqual(mapOne(both, change('d', { account_id: 'A-1', customer_id: 'C-1' }, null)).deletes, [
      owns('C-1'),
      { kind: 'vertex', label: 'account', key: 'accountId', value: 'A-1' },
    ]);
    assert.deepEqual(issues({ ...spec, deletes: ['customer'] }), [
      '|deletes.0|"customer" is match-only (create: false): this mapping does not own it, so it does not delete it',
    ]);
  });

  /** An update of account A-1 from one owner (and balance) to another; null = no owner. */
  const reown = (m: MappingSpec, from: string, to: string | null, balance = 10) =>
    mapOne(
      m,
      change(
        'u',
        { account_id: 'A-1', customer_id: from, balance: 10 },
        { account_id: 'A-1', customer_id: to, balance },
      ),
    );
  const ends = (cs: ReturnType<typeof mapOne>) => cs.edges.map((e) => [e.label, e.from.value, e.to.value]);

  test('an update that changes the foreign key re-points the edge: the new owns is written, the old one deleted', () => {
    const cs = reown(spec, 'C-1', 'C-2');
    assert.deepEqual(ends(cs), [['owns', 'C-2', 'A-1']]);
    assert.deepEqual(cs.deletes, [owns('C-1')], 'only the old owns edge goes; both customers and the account stay');
    // The account is still upserted from after, and the match-only customer is never written.
    assert.deepEqual(
      cs.vertices.map((v) => [v.label, v.value]),
      [['account', 'A-1']],
    );
  });

  test('an update that keeps the foreign key deletes nothing; one that sets it to NULL (optional owner) deletes the old edge only', () => {
    const same = reown(spec, 'C-1', 'C-1', 99);
    assert.deepEqual(same.deletes, []);
    assert.deepEqual(ends(same), [['owns', 'C-1', 'A-1']]);
    // An account may have no customer (required: false on the match-only endpoint).
    const optionalOwner: MappingSpec = {
      ...spec,
      vertices: { ...spec.vertices, customer: { ...spec.vertices.customer, required: false } },
    };
    const unowned = reown(optionalOwner, 'C-1', null);
    assert.deepEqual(unowned.edges, []);
    assert.deepEqual(unowned.deletes, [owns('C-1')]);
  });

  test('without the old row (REPLICA IDENTITY DEFAULT: before is null) nothing can be re-pointed: no delete', () => {
    const cs = mapOne(spec, change('u', null, { account_id: 'A-1', customer_id: 'C-2', balance: 10 }));
    assert.deepEqual(cs.deletes, []);
    assert.equal(cs.edges.length, 1);
  });
});

describe('nested each (one level down)', () => {
  const spec: MappingSpec = {
    vertices: {
      order: { label: 'order', key: 'orderId', value: '{{id}}' },
      product: { label: 'product', key: 'sku', value: '{{line.sku}}', each: { path: 'lines', as: 'line' } },
      discount: {
        label: 'discount',
        key: 'code',
        value: '{{d.code}}',
        each: { path: 'line.discounts', as: 'd' },
        properties: { pct: { value: '{{d.pct}}', type: 'double' } },
      },
    },
    edges: [
      { label: 'contains', from: 'order', to: 'product', key: { name: 'lineNo', value: '{{index}}', type: 'int' } },
      {
        label: 'discountedBy',
        from: 'product',
        to: 'discount',
        properties: { line: { value: '{{parentIndex}}', type: 'int' }, position: { value: '{{index}}', type: 'int' } },
      },
      { label: 'usedDiscount', from: 'order', to: 'discount' },
    ],
  };
  const event = {
    id: 'O-1',
    lines: [
      {
        sku: 'A',
        discounts: [
          { code: 'XMAS', pct: 10 },
          { code: 'VIP', pct: 5 },
        ],
      },
      { sku: 'B' },
      { sku: 'C', discounts: [{ code: 'XMAS', pct: 10 }] },
    ],
  };
  test('a nested item pairs with its own parent item; a top-level endpoint repeats per nested item', () => {
    const cs = mapOne(spec, event);
    assert.deepEqual(
      cs.vertices.map((v) => `${v.label}:${v.value}`),
      ['order:O-1', 'product:A', 'product:B', 'product:C', 'discount:XMAS', 'discount:VIP'],
    );
    const edges = (label: string) =>
      cs.edges
        .filter((e) => e.label === label)
        .map((e) => `${e.from.value}->${e.to.value} ${JSON.stringify(e.properties)}`);
    assert.deepEqual(edges('discountedBy'), [
      'A->XMAS {"line":0,"position":0}',
      'A->VIP {"line":0,"position":1}',
      'C->XMAS {"line":2,"position":0}',
    ]);
    assert.deepEqual(
      edges('usedDiscount'),
      ['O-1->XMAS {}', 'O-1->VIP {}'],
      'the same edge twice in one event is written once',
    );
    assert.equal(edges('contains').length, 3);
  });
  test('a nested path that is not an array fails naming the definition; two levels down and unrelated arrays are refused', () => {
    const e = failure(spec, { id: 'O-1', lines: [{ sku: 'A', discounts: 'XMAS' }] });
    assert.equal(e.definition, 'vertices.discount');
    assert.match(e.message, /each path "line\.discounts" is string, not an array/);
    const deeper: MappingSpec = {
      vertices: {
        ...spec.vertices,
        tier: { label: 'tier', key: 't', value: '{{t}}', each: { path: 'd.tiers', as: 't' } },
      },
    };
    assert.deepEqual(issues(deeper), [
      'vertices.tier|each|each "d.tiers" nests two levels deep: nested each goes one level down only',
    ]);
    const unrelated: MappingSpec = {
      vertices: {
        ...spec.vertices,
        tag: { label: 'tag', key: 't', value: '{{tag}}', each: { path: 'tags', as: 'tag' } },
      },
      edges: [{ label: 'x', from: 'discount', to: 'tag' }],
    };
    assert.match(
      issues(unrelated)[0],
      /^edges\[0\]\|\|from "discount" iterates "line\.discounts" and to "tag" iterates "tags": an edge can only pair/,
    );
  });
});
