/*
 * The CRM table and the graph side by side, for the CDC tests: what the graph must hold for each row of the CRM's
 * customers table (derived from PostgreSQL by the rules documented in mappings/customer.yaml, not by the mapping
 * code), what it holds, and a run-specific relabelled copy of the customer mapping so a test keeps its vertices apart.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Client } from 'pg';
import { ROOT } from './project';
import type { GremlinConnection } from '../../lib/gremlin/connection';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
export const postgres = require(path.join(ROOT, 'stack', 'postgres', 'postgres.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
export const connect = require(path.join(ROOT, 'stack', 'connect', 'connect.js'));

export const CRM_TOPIC = 'crm.public.customers';

export type Properties = Record<string, unknown>;

/** The customer (and address) mappings with run-specific vertex labels. */
export function relabelledCustomerSpec(tag: string): {
  spec: string;
  addressSpec: string;
  labels: { customer: string; country: string; twitterUser: string; address: string };
} {
  const labels = {
    customer: `${tag}_customer`,
    country: `${tag}_country`,
    twitterUser: `${tag}_twitterUser`,
    address: `${tag}_address`,
  };
  const relabel = (file: string) =>
    fs
      .readFileSync(path.join(ROOT, 'mappings', file), 'utf8')
      .replace(
        /label: (customer|country|twitterUser|address)$/gm,
        (_, l: keyof typeof labels) => `label: ${labels[l]}`,
      );
  return { spec: relabel('customer.yaml'), addressSpec: relabel('address.yaml'), labels };
}

const EXPECTED_SQL = `SELECT customer_id, first_name, last_name, email, segment, country, twitter_id,
  floor(extract(epoch FROM created_at) * 1000)::float8 AS created_ms,
  ((birth_date - DATE '1970-01-01')::bigint * 86400000)::float8 AS birth_ms,
  credit_limit::text AS credit_limit, marketing_opt_in, to_json(tags)::text AS tags, profile::text AS profile,
  profile->>'tier' AS tier, floor(extract(epoch FROM last_contact_at) * 1000)::float8 AS last_contact_ms,
  floor(extract(epoch FROM updated_at) * 1000)::float8 AS updated_ms,
  to_char(call_window_start, 'HH24:MI:SS.US') AS call_window_start, %LOYALTY% AS loyalty_points
  FROM customers`;

/** A NULL column is no property. */
const withoutNulls = (p: Properties): Properties =>
  Object.fromEntries(Object.entries(p).filter(([, v]) => v !== null && v !== undefined));

const sortedSet = (xs: string[]): string[] | null => (xs.length ? [...new Set(xs)].sort() : null);

/** Properties the mappings write with list or set cardinality: all their values are read, sorted. */
const MULTI = new Set(['tags']);

/** Per customer_id, the properties its vertex must have (a NULL column is no property), and the raw rows. */
export async function expectedCustomers(
  db: Client,
): Promise<{ expected: Map<string, Properties>; rows: Array<Record<string, any>> }> {
  const hasLoyalty = (
    await db.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'loyalty_points'",
    )
  ).rowCount;
  const rows = (await db.query(EXPECTED_SQL.replace('%LOYALTY%', hasLoyalty ? 'loyalty_points' : 'NULL::int'))).rows;
  const expected = new Map<string, Properties>();
  for (const r of rows) {
    const p: Properties = {
      customerId: r.customer_id,
      email: r.email,
      firstName: r.first_name,
      lastName: r.last_name,
      segment: r.segment,
      createdAt: r.created_ms,
      birthDate: r.birth_ms,
      creditLimit: r.credit_limit === null ? null : Number(r.credit_limit),
      marketingOptIn: r.marketing_opt_in,
      // text[] → a set property: its distinct values (the graph keeps no order; compared sorted). Empty = none.
      tags: r.tags === null ? null : sortedSet(JSON.parse(r.tags)),
      profile: r.profile === null ? null : JSON.stringify(JSON.parse(r.profile)),
      tier: r.tier,
      lastContactAt: r.last_contact_ms,
      updatedAt: r.updated_ms,
      callWindowStart: r.call_window_start,
      loyaltyPoints: r.loyalty_points,
    };
    expected.set(r.customer_id, withoutNulls(p));
  }
  return { expected, rows };
}

/** The customer vertices of a label, by customerId, with every property (and how many vertices share a key). */
export async function graphCustomers(
  graph: GremlinConnection,
  label: string,
): Promise<{ byKey: Map<string, Properties>; vertices: number }> {
  const maps = (await graph.submit('g.V().hasLabel(L).valueMap()', { L: label })) as Array<Map<string, unknown[]>>;
  const byKey = new Map<string, Properties>();
  for (const m of maps) {
    const o: Properties = {};
    for (const [k, v] of m) o[k] = MULTI.has(k) ? [...v].sort() : v[0];
    byKey.set(String(o.customerId), o);
  }
  return { byKey, vertices: maps.length };
}

export const withoutChangedAt = (o: Properties): Properties => {
  const { changedAt: _changedAt, ...rest } = o;
  return rest;
};

/** Key-order independent text of a vertex's properties (changedAt, the commit time, is not in the table). */
export const canonical = (o: Properties): string =>
  JSON.stringify(Object.entries(withoutChangedAt(o)).sort(([a], [b]) => a.localeCompare(b)));

/** Rows missing from the graph, vertices the table does not have, rows whose properties differ. */
export function compareCustomers(
  expected: Map<string, Properties>,
  actual: Map<string, Properties>,
): { missing: string[]; extra: string[]; different: string[] } {
  const missing = [...expected.keys()].filter((k) => !actual.has(k));
  const extra = [...actual.keys()].filter((k) => !expected.has(k));
  const different = [...expected]
    .filter(([k, p]) => actual.has(k) && canonical(actual.get(k)!) !== canonical(p))
    .map(([k]) => k);
  return { missing, extra, different };
}

/** For assert.deepStrictEqual: sorted keys, properties sorted, changedAt left out. */
export function ordered(m: Map<string, Properties>): Record<string, Properties> {
  return Object.fromEntries(
    [...m]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => [
        k,
        Object.fromEntries(Object.entries(withoutChangedAt(v)).sort(([a], [b]) => a.localeCompare(b))),
      ]),
  );
}

/** Per address_id (as text), what the address vertex must hold (from PostgreSQL, by address.yaml's documented rules). */
export async function expectedAddresses(db: Client): Promise<Map<string, Properties>> {
  const rows = (
    await db.query('SELECT address_id, customer_id, kind, street, city, postal_code, country FROM addresses')
  ).rows;
  return new Map(
    rows.map((r) => [
      String(r.address_id),
      withoutNulls({
        addressId: r.address_id,
        kind: r.kind,
        street: r.street,
        city: r.city,
        postalCode: r.postal_code,
        country: r.country,
        customer: r.customer_id,
      }),
    ]),
  );
}

/**
 * The address vertices of a label with their properties (changedAt left out) and, as `customer`, the customerId of
 * every customer with a hasAddress edge to it (one id when the edge is right; a list shows duplicates or stale edges).
 */
export async function graphAddresses(
  graph: GremlinConnection,
  labels: { address: string; customer: string },
): Promise<{ byKey: Map<string, Properties>; vertices: number }> {
  const rows = (await graph.submit(
    'g.V().hasLabel(A).project("p", "c").by(valueMap()).by(__.in("hasAddress").hasLabel(C).values("customerId").fold())',
    { A: labels.address, C: labels.customer },
  )) as Array<Map<string, any>>;
  const byKey = new Map<string, Properties>();
  for (const row of rows) {
    const o: Properties = {};
    for (const [k, v] of row.get('p') as Map<string, unknown[]>) if (k !== 'changedAt') o[k] = v[0];
    const c = row.get('c') as string[];
    if (c.length) o.customer = c.length === 1 ? c[0] : [...c].sort();
    byKey.set(String(o.addressId), o);
  }
  return { byKey, vertices: rows.length };
}
