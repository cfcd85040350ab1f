/*
 * Deterministic synthetic customer events for the demo, the end-to-end test and the benchmarks: customers (as Debezium
 * change events from the CRM, with creates, updates and deletes), products, orders with line items, clicks and tweets.
 * The same seed gives the same events. Alongside the events it computes the graph they must produce (vertex and edge
 * counts per label), so tests can compare the real graph with the expectation.
 *
 * Determinism across topics: Kafka orders events only within a partition, so a customer that is deleted in the CRM
 * ("churned") has no orders, clicks or tweets; every other customer's events are keyed by its id and stay ordered.
 */

export const TOPICS = {
  customers: 'crm.customers.cdc',
  orders: 'customer.orders',
  clicks: 'customer.clicks',
  tweets: 'social.tweets',
  deadletter: 'customer.deadletter',
} as const;

/** The mapping spec (in mappings/) that turns each source topic's events into change sets. */
export const MAPPING_OF: Readonly<Record<string, string>> = {
  [TOPICS.customers]: 'customer.yaml',
  [TOPICS.orders]: 'order.yaml',
  [TOPICS.clicks]: 'click.yaml',
  [TOPICS.tweets]: 'twitter.yaml',
};

export interface DemoRecord {
  topic: string;
  key: string | null;
  /** A JSON value, a raw string (deliberately undecodable records) or null (a Debezium tombstone). */
  value: unknown;
  /** Set on the deliberately bad events: why the pipeline must send them to the dead-letter topic. */
  bad?: string;
}

export interface ExpectedGraph {
  vertices: Record<string, number>;
  edges: Record<string, number>;
}

export interface DemoSummary {
  events: number;
  perTopic: Record<string, number>;
  bad: number;
  badPerTopic: Record<string, number>;
  tombstones: number;
  expected: ExpectedGraph;
  /** Customers that exist at the end and have orders: good candidates for the 360 endpoint. */
  sampleCustomers: Array<{ customerId: string; orders: string[] }>;
}

/** mulberry32: a tiny, fast, seedable PRNG (Math.random cannot be seeded). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Anna',
  'Ben',
  'Chiara',
  'David',
  'Elif',
  'Finn',
  'Greta',
  'Hugo',
  'Ines',
  'Jonas',
  'Klara',
  'Luca',
  'Mia',
  'Noah',
  'Olivia',
  'Paul',
];
const LAST = [
  'Müller',
  'Schmid',
  'Keller',
  'Weber',
  'Meyer',
  'Huber',
  'Rossi',
  'Fischer',
  'Brunner',
  'Baumann',
  'Frei',
  'Graf',
];
const COUNTRIES = ['CH', 'DE', 'AT', 'FR', 'IT'];
const SEGMENTS = ['standard', 'silver', 'gold'];
const CATEGORIES = ['bikes', 'helmets', 'apparel', 'tools', 'lights', 'books'];
const TERMS = [
  'kafka',
  'graph',
  'customer360',
  'nodered',
  'gremlin',
  'bikes',
  'sale',
  'service',
  'delivery',
  'streaming',
  'cdc',
  'janusgraph',
];
const PAGE_TYPES = ['home', 'search', 'cart', 'help'];

const pad = (n: number, w = 5) => String(n).padStart(w, '0');
export const customerId = (i: number) => `C-${pad(i)}`;
export const productSku = (i: number) => `P-${pad(i, 4)}`;
export const twitterId = (i: number) => String(6_000_000 + i);

interface Sim {
  vertices: Set<string>;
  edges: Set<string>;
}

function vertex(sim: Sim, label: string, key: string | number) {
  sim.vertices.add(`${label}|${key}`);
}
function edge(sim: Sim, label: string, from: string, to: string, key?: string | number) {
  sim.edges.add(`${label}|${from}|${to}|${key ?? ''}`);
}
/** A deleted vertex takes its edges with it. */
function deleteVertex(sim: Sim, label: string, key: string) {
  const id = `${label}|${key}`;
  sim.vertices.delete(id);
  const end = ref(label, key);
  for (const e of [...sim.edges]) {
    const [, from, to] = e.split('|');
    if (from === end || to === end) sim.edges.delete(e);
  }
}
const ref = (label: string, key: string | number) => `${label}:${key}`;

function debezium(
  op: 'c' | 'u' | 'd' | 'r',
  before: unknown,
  after: unknown,
  ts: number,
  lsn: number,
  wrapped: boolean,
) {
  const payload = {
    before,
    after,
    op,
    ts_ms: ts,
    source: {
      version: '3.6.1.Final',
      connector: 'postgresql',
      name: 'crm',
      ts_ms: ts,
      db: 'crm',
      schema: 'public',
      table: 'customers',
      lsn,
    },
  };
  // Debezium with the JSON converter's schemas enabled wraps the change in {schema, payload}; both shapes occur.
  return wrapped
    ? { schema: { type: 'struct', name: 'crm.public.customers.Envelope', optional: false }, payload }
    : payload;
}

export function generate(events: number, seed = 42): { records: DemoRecord[]; summary: DemoSummary } {
  if (!Number.isInteger(events) || events < 1) throw new Error('events must be a positive integer');
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const t0 = Date.UTC(2026, 10, 1);
  let clock = t0;
  const tick = () => (clock += int(100, 5000));

  const customers = Math.max(5, Math.ceil(events / 25));
  const churned = new Set<number>();
  for (let i = 1; i <= customers; i++) if (i % 10 === 0) churned.add(i); // every tenth customer leaves
  const active = [...Array(customers).keys()].map((i) => i + 1).filter((i) => !churned.has(i));
  const products = Math.max(10, Math.min(500, Math.ceil(events / 40)));
  const productOf = (i: number) => ({
    sku: productSku(i),
    name: `${pick(['Trail', 'City', 'Road', 'Kids', 'Pro'])} ${pick(CATEGORIES)} ${i}`,
    category: CATEGORIES[i % CATEGORIES.length],
  });
  const catalog = [...Array(products).keys()].map((i) => productOf(i + 1));

  const records: DemoRecord[] = [];
  const sim: Sim = { vertices: new Set(), edges: new Set() };
  const ordersOf = new Map<string, string[]>();
  const rows = new Map<number, Record<string, unknown>>();
  let lsn = 1000;
  let orderNo = 0;
  let clickNo = 0;
  let tweetNo = 0;
  let badNo = 0;

  const customerRow = (i: number): Record<string, unknown> => ({
    customer_id: customerId(i),
    first_name: pick(FIRST),
    last_name: pick(LAST),
    email: `customer${i}@example.com`,
    country: pick(COUNTRIES),
    segment: pick(SEGMENTS),
    created_at: tick(),
    // The CRM knows the social account of two customers in three.
    ...(i % 3 !== 0 ? { twitter_id: twitterId(i) } : {}),
  });
  /** What the customer mapping (mappings/customer.yaml) makes of a CRM row. */
  const upsertCustomer = (row: Record<string, unknown>) => {
    const cid = row.customer_id as string;
    vertex(sim, 'customer', cid);
    vertex(sim, 'country', row.country as string);
    edge(sim, 'livesIn', ref('customer', cid), ref('country', row.country as string));
    if (row.twitter_id) {
      vertex(sim, 'twitterUser', row.twitter_id as string);
      edge(sim, 'hasAccount', ref('customer', cid), ref('twitterUser', row.twitter_id as string));
    }
  };

  // CRM snapshot first: every customer is created (op r for the first half, as a Debezium snapshot reads them; c after).
  for (let i = 1; i <= customers && records.length < events; i++) {
    const row = customerRow(i);
    rows.set(i, row);
    records.push({
      topic: TOPICS.customers,
      key: customerId(i),
      value: debezium(i <= customers / 2 ? 'r' : 'c', null, row, clock, lsn++, i % 2 === 0),
    });
    upsertCustomer(row);
  }

  while (records.length < events) {
    const k = rand();
    const kind = k < 0.35 ? 'order' : k < 0.75 ? 'click' : k < 0.92 ? 'tweet' : k < 0.97 ? 'update' : 'churn';
    const bad = ++badNo % 250 === 0; // one deliberately bad event in 250
    const ci = pick(active);
    const cid = customerId(ci);
    if (kind === 'order') {
      const orderId = `O-${pad(++orderNo, 7)}`;
      const items = [...Array(int(1, 4)).keys()].map((n) => ({
        lineNo: n + 1,
        sku: pick(catalog).sku,
        quantity: int(1, 3),
        price: int(500, 50000) / 100,
      }));
      const order: Record<string, unknown> = {
        orderId,
        customerId: cid,
        placedAt: new Date(tick()).toISOString(),
        channel: pick(['web', 'app', 'store']),
        currency: 'CHF',
        total: Math.round(items.reduce((s, l) => s + l.quantity * l.price, 0) * 100) / 100,
        items,
      };
      if (bad) {
        delete order.customerId;
        records.push({ topic: TOPICS.orders, key: cid, value: order, bad: 'order without customerId' });
        continue;
      }
      records.push({ topic: TOPICS.orders, key: cid, value: order });
      vertex(sim, 'customer', cid);
      vertex(sim, 'order', orderId);
      edge(sim, 'placed', ref('customer', cid), ref('order', orderId));
      for (const l of items) {
        vertex(sim, 'product', l.sku);
        edge(sim, 'contains', ref('order', orderId), ref('product', l.sku), l.lineNo);
      }
      ordersOf.set(cid, [...(ordersOf.get(cid) ?? []), orderId]);
    } else if (kind === 'click') {
      const clickId = `K-${pad(++clickNo, 8)}`;
      const product = rand() < 0.6 ? pick(catalog) : undefined;
      const url = product ? `/p/${product.sku}` : `/${pick(PAGE_TYPES)}`;
      if (bad) {
        records.push({
          topic: TOPICS.clicks,
          key: cid,
          value: `{"clickId":"${clickId}","customerId":"${cid}",`,
          bad: 'undecodable JSON',
        });
        continue;
      }
      const click: Record<string, unknown> = {
        clickId,
        customerId: cid,
        sessionId: `S-${ci}-${int(1, 5)}`,
        url,
        pageType: product ? 'product' : url.slice(1),
        ts: tick(),
      };
      if (product) click.sku = product.sku;
      records.push({ topic: TOPICS.clicks, key: cid, value: click });
      vertex(sim, 'customer', cid);
      vertex(sim, 'page', url);
      edge(sim, 'viewed', ref('customer', cid), ref('page', url), clickId);
      if (product) {
        vertex(sim, 'product', product.sku);
        edge(sim, 'clicked', ref('customer', cid), ref('product', product.sku), clickId);
      }
    } else if (kind === 'tweet') {
      if (ci % 3 === 0) continue; // only customers with a known social account tweet
      const tweetId = String(1_050_000_000_000_000_000n + BigInt(++tweetNo));
      const terms = [...new Set([...Array(int(0, 3)).keys()].map(() => pick(TERMS)))];
      const at = tick();
      const tweet: Record<string, unknown> = {
        id_str: tweetId,
        created_at: new Date(at).toUTCString(),
        timestamp_ms: String(at),
        lang: pick(['en', 'de']),
        text: `${pick(['Loving', 'Trying', 'Waiting for'])} my new order ${terms.map((t) => `#${t}`).join(' ')}`.trim(),
        user: {
          id_str: twitterId(ci),
          screen_name: `user_${ci}`,
          name: `${pick(FIRST)} ${pick(LAST)}`,
          followers_count: int(0, 5000),
        },
        entities: { hashtags: terms.map((text) => ({ text })) },
      };
      if (bad) {
        records.push({
          topic: TOPICS.tweets,
          key: cid,
          value: { ...tweet, id_str: null },
          bad: 'tweet without id_str',
        });
        continue;
      }
      records.push({ topic: TOPICS.tweets, key: cid, value: tweet });
      const uid = twitterId(ci);
      vertex(sim, 'twitterUser', uid);
      vertex(sim, 'tweet', tweetId);
      edge(sim, 'publishes', ref('twitterUser', uid), ref('tweet', tweetId));
      for (const t of terms) {
        vertex(sim, 'term', t);
        edge(sim, 'uses', ref('tweet', tweetId), ref('term', t));
      }
    } else if (kind === 'update') {
      const before = rows.get(ci)!;
      const after = {
        ...before,
        country: pick(COUNTRIES),
        segment: pick(SEGMENTS),
        email: `customer${ci}.${tick()}@example.com`,
      };
      rows.set(ci, after);
      if (bad) {
        records.push({
          topic: TOPICS.customers,
          key: cid,
          value: debezium('x' as 'u', before, after, clock, lsn++, false),
          bad: 'unknown Debezium op',
        });
        continue;
      }
      records.push({
        topic: TOPICS.customers,
        key: cid,
        value: debezium('u', before, after, clock, lsn++, ci % 2 === 0),
      });
      // The update carries the old row: the customer moves, so the old livesIn edge goes (the country vertex stays).
      if (before.country !== after.country)
        sim.edges.delete(`livesIn|${ref('customer', cid)}|${ref('country', before.country as string)}|`);
      upsertCustomer(after);
    } else {
      // A churned customer: Debezium emits the delete and then a tombstone (null value) for log compaction.
      const candidates = [...churned].filter((i) => rows.has(i));
      if (candidates.length === 0) continue;
      const di = candidates[0];
      const before = rows.get(di)!;
      rows.delete(di);
      records.push({
        topic: TOPICS.customers,
        key: customerId(di),
        value: debezium('d', before, null, tick(), lsn++, di % 2 === 0),
      });
      if (records.length < events) records.push({ topic: TOPICS.customers, key: customerId(di), value: null });
      deleteVertex(sim, 'customer', customerId(di));
    }
  }
  records.length = Math.min(records.length, events);

  const perTopic: Record<string, number> = {};
  const badPerTopic: Record<string, number> = {};
  let tombstones = 0;
  for (const r of records) {
    perTopic[r.topic] = (perTopic[r.topic] ?? 0) + 1;
    if (r.bad) badPerTopic[r.topic] = (badPerTopic[r.topic] ?? 0) + 1;
    if (r.value === null) tombstones++;
  }
  const count = (ids: Set<string>) => {
    const out: Record<string, number> = {};
    for (const id of ids) {
      const label = id.slice(0, id.indexOf('|'));
      out[label] = (out[label] ?? 0) + 1;
    }
    return out;
  };
  const sampleCustomers = [...ordersOf.entries()]
    .filter(([cid]) => sim.vertices.has(`customer|${cid}`))
    .slice(0, 10)
    .map(([cid, orders]) => ({ customerId: cid, orders }));
  return {
    records,
    summary: {
      events: records.length,
      perTopic,
      bad: records.filter((r) => r.bad).length,
      badPerTopic,
      tombstones,
      expected: { vertices: count(sim.vertices), edges: count(sim.edges) },
      sampleCustomers,
    },
  };
}
