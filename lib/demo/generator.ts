/*
 * Deterministic synthetic customer events for the demo, the end-to-end test and the benchmarks: customers (as Debezium
 * change events from the CRM, with creates, updates and deletes), products, orders with line items, clicks and tweets.
 * The same seed gives the same events. Alongside the events it computes the graph they must produce — every vertex and
 * edge with its endpoints and properties, from the generator's own model of what each event means (not through
 * lib/mapping), and the counts per label — so tests can compare the real graph with the expectation.
 *
 * Determinism across topics: Kafka orders events only within a partition, so a customer that is deleted in the CRM
 * ("churned") has no orders, clicks or tweets; every other customer's events are keyed by its id and stay ordered.
 */
import DEMO_TOPICS from './topics.json';

/*
 * The demo's topics and the mapping spec (in mappings/) that turns each source topic's events into change sets. One
 * table in JSON, because scripts/build-flow.js (plain JavaScript, run before any build) lays out the flow from it too.
 */
type DemoTopic = keyof typeof DEMO_TOPICS;

export const TOPICS: Readonly<Record<DemoTopic, string>> = Object.fromEntries(
  Object.entries(DEMO_TOPICS).map(([name, t]) => [name, t.topic]),
) as Record<DemoTopic, string>;

/** Source topic → its mapping spec file (in mappings/). */
export const MAPPING_OF: Readonly<Record<string, string>> = Object.fromEntries(
  Object.values(DEMO_TOPICS).flatMap((t) => ('mapping' in t ? [[t.topic, t.mapping]] : [])),
);

/** The topics the demo's events come from (every topic with a mapping; not the dead-letter topic). */
export const SOURCE_TOPICS: readonly string[] = Object.keys(MAPPING_OF);

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

/** A property value as the graph holds it (dates as epoch ms). */
export type ModelValue = string | number | boolean;

/** A vertex of the graph the demo events must produce: identity (label, key property, value) and properties. */
export interface ModelVertex {
  label: string;
  key: string;
  value: string;
  /** Every property the graph holds, the key property included. */
  props: Record<string, ModelValue>;
}

export interface ModelEnd {
  label: string;
  key: string;
  value: string;
}

/** An edge: its label, its endpoints, its edge key (multi-edges: clickId, lineNo) and properties (the key included). */
export interface ModelEdge {
  label: string;
  from: ModelEnd;
  to: ModelEnd;
  key?: { name: string; value: ModelValue };
  props: Record<string, ModelValue>;
}

/**
 * The graph the demo events must produce, computed from the generator's own domain model (not through lib/mapping):
 * what each event means for the graph, with upsert semantics (properties overwrite), in generation order.
 */
export interface DemoGraph {
  vertices: Map<string, ModelVertex>;
  edges: Map<string, ModelEdge>;
}

/** The vertex label → key property of the shipped mappings (mappings/*.yaml). */
const KEY = {
  customer: 'customerId',
  country: 'code',
  twitterUser: 'userId',
  order: 'orderId',
  product: 'sku',
  page: 'url',
  tweet: 'tweetId',
  term: 'text',
} as const;
type Label = keyof typeof KEY;

const end = (label: Label, value: string): ModelEnd => ({ label, key: KEY[label], value });
const vertexIdOf = (e: ModelEnd) => `${e.label}|${e.value}`;

function vertex(g: DemoGraph, label: Label, value: string, props: Record<string, ModelValue> = {}) {
  const id = `${label}|${value}`;
  const v = g.vertices.get(id) ?? { label, key: KEY[label], value, props: { [KEY[label]]: value } };
  Object.assign(v.props, props);
  g.vertices.set(id, v);
}
function edge(
  g: DemoGraph,
  label: string,
  from: ModelEnd,
  to: ModelEnd,
  props: Record<string, ModelValue> = {},
  key?: { name: string; value: ModelValue },
) {
  const id = edgeIdOf(label, from, to, key?.value);
  const e = g.edges.get(id) ?? { label, from, to, key, props: key ? { [key.name]: key.value } : {} };
  Object.assign(e.props, props);
  g.edges.set(id, e);
}
const edgeIdOf = (label: string, from: ModelEnd, to: ModelEnd, key?: ModelValue) =>
  `${label}|${vertexIdOf(from)}|${vertexIdOf(to)}|${key ?? ''}`;
/** A deleted vertex takes its edges with it. */
function deleteVertex(g: DemoGraph, at: ModelEnd) {
  const id = vertexIdOf(at);
  g.vertices.delete(id);
  for (const [eid, e] of g.edges) if (vertexIdOf(e.from) === id || vertexIdOf(e.to) === id) g.edges.delete(eid);
}

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

export function generate(events: number, seed = 42): { records: DemoRecord[]; summary: DemoSummary; graph: DemoGraph } {
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
  const graph: DemoGraph = { vertices: new Map(), edges: new Map() };
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
  /** What a CRM row committed at `ts` means for the graph: the customer, where it lives, its social account. */
  const upsertCustomer = (row: Record<string, unknown>, ts: number) => {
    const cid = row.customer_id as string;
    vertex(graph, 'customer', cid, {
      email: row.email as string,
      firstName: row.first_name as string,
      lastName: row.last_name as string,
      segment: row.segment as string,
      createdAt: row.created_at as number,
      changedAt: ts,
    });
    vertex(graph, 'country', row.country as string);
    edge(graph, 'livesIn', end('customer', cid), end('country', row.country as string));
    if (row.twitter_id) {
      vertex(graph, 'twitterUser', row.twitter_id as string);
      edge(graph, 'hasAccount', end('customer', cid), end('twitterUser', row.twitter_id as string));
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
    upsertCustomer(row, clock);
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
      const placedAt = Date.parse(order.placedAt as string);
      vertex(graph, 'customer', cid);
      vertex(graph, 'order', orderId, {
        placedAt,
        total: order.total as number,
        currency: order.currency as string,
        channel: order.channel as string,
      });
      edge(graph, 'placed', end('customer', cid), end('order', orderId), { at: placedAt });
      for (const l of items) {
        vertex(graph, 'product', l.sku);
        edge(
          graph,
          'contains',
          end('order', orderId),
          end('product', l.sku),
          { quantity: l.quantity, unitPrice: l.price },
          { name: 'lineNo', value: l.lineNo },
        );
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
      const at = click.ts as number;
      vertex(graph, 'customer', cid);
      vertex(graph, 'page', url, { pageType: click.pageType as string });
      edge(
        graph,
        'viewed',
        end('customer', cid),
        end('page', url),
        { at, sessionId: click.sessionId as string },
        { name: 'clickId', value: clickId },
      );
      if (product) {
        vertex(graph, 'product', product.sku);
        edge(
          graph,
          'clicked',
          end('customer', cid),
          end('product', product.sku),
          { at },
          { name: 'clickId', value: clickId },
        );
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
      const user = tweet.user as { id_str: string; screen_name: string; name: string; followers_count: number };
      vertex(graph, 'twitterUser', user.id_str, {
        screenName: user.screen_name,
        name: user.name,
        followers: user.followers_count,
      });
      vertex(graph, 'tweet', tweetId, { text: tweet.text as string, lang: tweet.lang as string, createdAt: at });
      edge(graph, 'publishes', end('twitterUser', user.id_str), end('tweet', tweetId));
      terms.forEach((t, position) => {
        vertex(graph, 'term', t);
        edge(graph, 'uses', end('tweet', tweetId), end('term', t), { position });
      });
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
        graph.edges.delete(edgeIdOf('livesIn', end('customer', cid), end('country', before.country as string)));
      upsertCustomer(after, clock);
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
      deleteVertex(graph, end('customer', customerId(di)));
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
  const count = (elements: Map<string, { label: string }>) => {
    const out: Record<string, number> = {};
    for (const { label } of elements.values()) out[label] = (out[label] ?? 0) + 1;
    return out;
  };
  const sampleCustomers = [...ordersOf.entries()]
    .filter(([cid]) => graph.vertices.has(`customer|${cid}`))
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
      expected: { vertices: count(graph.vertices), edges: count(graph.edges) },
      sampleCustomers,
    },
    graph,
  };
}
