/*
 * `npm run demo:crm -- --changes N [--seed S] [--rate R] [--keep] [--json]`: deterministic changes against the stack's
 * CRM database (PostgreSQL, tables customers and addresses), which Debezium captures into crm.public.customers and
 * crm.public.addresses. First N customer changes: inserts, updates (including one primary-key change and one update
 * that sets every nullable column to NULL) and deletes, each in its own transaction; then about N/4 address changes
 * of the remaining customers: inserts, updates, moves to another customer (a changed foreign key) and deletes. Prints
 * the table state they must leave (and `--json` the whole of it). Deleting or re-keying a customer cascades to its
 * addresses (ON DELETE / ON UPDATE CASCADE), which Debezium captures as address deletes and updates.
 *
 * The same seed and N give the same changes and the same final table: by default the table is emptied first
 * (DELETE, which Debezium captures as deletes); --keep appends to what is there (ids continue after the highest).
 */
import { Client } from 'pg';
import { rng, customerId, twitterId } from './generator';
import { readCommandLine, nonNegative, commandLine } from '../command-line';

export const CRM = { host: '127.0.0.1', port: 25433, user: 'postgres', password: 'postgres', database: 'crm' };

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
  'Zoë',
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
  "O'Neill",
  'Frei',
  'Graf',
];
const COUNTRIES = ['CH', 'DE', 'AT', 'FR', 'IT'];
const SEGMENTS = ['standard', 'silver', 'gold'];
const TAGS = ['vip', 'newsletter', 'churn-risk', 'b2b', 'bike-commuter', 'early adopter'];
const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
/** The columns the demo writes, in table order (loyalty_points exists only once a test added it). */
export const COLUMNS = [
  'customer_id',
  'first_name',
  'last_name',
  'email',
  'segment',
  'country',
  'twitter_id',
  'created_at',
  'birth_date',
  'credit_limit',
  'marketing_opt_in',
  'tags',
  'profile',
  'last_contact_at',
  'updated_at',
  'call_window_start',
] as const;
const NULLABLE = [
  'email',
  'segment',
  'country',
  'twitter_id',
  'birth_date',
  'credit_limit',
  'marketing_opt_in',
  'tags',
  'profile',
  'last_contact_at',
  'updated_at',
  'call_window_start',
];

/** A row as the demo writes it: every value as PostgreSQL text (null = NULL), so the expectation is exact. */
export type CrmRow = Record<(typeof COLUMNS)[number], string | null>;

export type CrmChange =
  | { op: 'insert'; row: CrmRow }
  | { op: 'update'; id: string; set: Partial<CrmRow> }
  | { op: 'rekey'; id: string; to: string }
  | { op: 'delete'; id: string };

/** An address row as the demo writes it (PostgreSQL text values, null = NULL). */
export type AddressRow = Record<(typeof ADDRESS_COLUMNS)[number], string | null>;

export const ADDRESS_COLUMNS = [
  'address_id',
  'customer_id',
  'kind',
  'street',
  'city',
  'postal_code',
  'country',
] as const;

export type AddressChange =
  | { op: 'insert'; row: AddressRow }
  | { op: 'update'; id: string; set: Partial<AddressRow> }
  | { op: 'delete'; id: string };

export interface CrmPlan {
  changes: CrmChange[];
  /** The address changes, run after the customer changes. */
  addressChanges: AddressChange[];
  /** The addresses table after the changes, by address_id. */
  addresses: Map<string, AddressRow>;
  addressCounts: { inserts: number; updates: number; moves: number; deletes: number };
  /** The table after the changes, by customer_id. */
  expected: Map<string, CrmRow>;
  counts: { inserts: number; updates: number; deletes: number; rekeys: number };
  /** The primary-key change and the NULL-ing update (present when N >= 4). */
  rekeyed?: { from: string; to: string };
  nulled?: string;
}

/** The changes for N and a seed, with the table state they leave. `firstId` numbers new customers (1 = C-00001). */
export function planCrmChanges(n: number, seed = 42, firstId = 1): CrmPlan {
  const rand = rng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const pad = (x: number, w = 2) => String(x).padStart(w, '0');
  let nextId = firstId;
  const state = new Map<string, CrmRow>();
  const changes: CrmChange[] = [];
  const counts = { inserts: 0, updates: 0, deletes: 0, rekeys: 0 };
  const ts = (withMicros: boolean) =>
    `2024-${pad(int(1, 12))}-${pad(int(1, 28))} ${pad(int(0, 23))}:${pad(int(0, 59))}:${pad(int(0, 59))}` +
    (withMicros ? `.${String(int(0, 999999)).padStart(6, '0')}` : `.${String(int(0, 999)).padStart(3, '0')}`);
  const values: Record<string, () => string | null> = {
    email: () => (rand() < 0.9 ? `c${int(1, 99999)}@example.com` : null),
    segment: () => pick(SEGMENTS),
    country: () => pick(COUNTRIES),
    twitter_id: () => (rand() < 0.6 ? twitterId(int(1, 5000)) : null),
    birth_date: () => (rand() < 0.8 ? `${int(1940, 2006)}-${pad(int(1, 12))}-${pad(int(1, 28))}` : null),
    credit_limit: () => {
      if (rand() >= 0.85) return null;
      const cents = int(1, 999999999999); // numeric(12,2): up to 9,999,999,999.99; a few negative
      return `${rand() < 0.05 ? '-' : ''}${Math.floor(cents / 100)}.${pad(cents % 100)}`;
    },
    marketing_opt_in: () => (rand() < 0.9 ? String(rand() < 0.5) : null),
    tags: () =>
      rand() < 0.8
        ? `{${[...new Set(Array.from({ length: int(0, 3) }, () => pick(TAGS)))].map((t) => `"${t}"`).join(',')}}`
        : null,
    profile: () =>
      rand() < 0.8
        ? JSON.stringify({
            tier: pick(TIERS),
            score: int(0, 1000) / 10,
            prefs: { channel: pick(['mail', 'sms', 'app']), topics: [pick(TAGS)] },
          })
        : null,
    last_contact_at: () => (rand() < 0.8 ? ts(true) : null),
    updated_at: () => ts(false),
    call_window_start: () =>
      rand() < 0.7
        ? `${pad(int(7, 19))}:${pad(int(0, 59))}:${pad(int(0, 59))}.${String(int(0, 999999)).padStart(6, '0')}`
        : null,
  };
  const newRow = (): CrmRow => {
    const id = customerId(nextId++);
    const row = {
      customer_id: id,
      first_name: pick(FIRST),
      last_name: pick(LAST),
      created_at: `${ts(true)}+00`,
    } as CrmRow;
    for (const c of NULLABLE) (row as Record<string, string | null>)[c] = values[c]();
    return row;
  };
  const existing = () => [...state.keys()];
  const rekeyAt = n >= 4 ? Math.floor(n / 2) : -1;
  const nullAt = n >= 4 ? Math.floor(n / 3) : -1;
  let rekeyed: CrmPlan['rekeyed'];
  let nulled: string | undefined;
  for (let i = 0; i < n; i++) {
    const ids = existing();
    const r = rand();
    if (ids.length > 0 && i === rekeyAt) {
      const id = pick(ids);
      const to = customerId(nextId++);
      changes.push({ op: 'rekey', id, to });
      const row = state.get(id)!;
      state.delete(id);
      state.set(to, { ...row, customer_id: to });
      counts.rekeys++;
      rekeyed = { from: id, to };
    } else if (ids.length > 0 && i === nullAt) {
      const id = pick(ids);
      const set = Object.fromEntries(NULLABLE.map((c) => [c, null])) as Partial<CrmRow>;
      changes.push({ op: 'update', id, set });
      Object.assign(state.get(id)!, set);
      counts.updates++;
      nulled = id;
    } else if (ids.length < 5 || r < 0.3) {
      const row = newRow();
      changes.push({ op: 'insert', row });
      state.set(row.customer_id!, row);
      counts.inserts++;
    } else if (r < 0.9) {
      const id = pick(ids);
      const set: Partial<CrmRow> = {};
      for (let k = int(1, 4); k > 0; k--) {
        const c = pick(NULLABLE);
        (set as Record<string, string | null>)[c] = values[c]();
      }
      changes.push({ op: 'update', id, set });
      Object.assign(state.get(id)!, set);
      counts.updates++;
    } else {
      const id = pick(ids);
      changes.push({ op: 'delete', id });
      state.delete(id);
      counts.deletes++;
    }
  }
  const addr = planAddressChanges(n, seed, [...state.keys()], new Map(), 1);
  return {
    changes,
    expected: state,
    counts,
    rekeyed,
    nulled,
    addressChanges: addr.changes,
    addresses: addr.state,
    addressCounts: addr.counts,
  };
}

const CITIES = ['Zürich', 'Bern', 'Berlin', 'Wien', 'Lyon', 'Milano', 'Basel', "L'Aquila"];
const STREETS = ['Bahnhofstrasse', 'Hauptstrasse', 'Rue de la Paix', 'Via Roma', 'Ringstrasse', 'Lindenweg'];

/**
 * The address changes that follow the customer changes, for the customers they leave (`customers`) and the
 * addresses already there (`start`): about half the customers get a home address (some a work one too), then about
 * n/10 changes: updates, moves to another customer (the foreign key changes) and deletes. Their own random stream, so
 * the customer changes of a seed stay what they were before addresses existed.
 */
export function planAddressChanges(
  n: number,
  seed: number,
  customers: string[],
  start: Map<string, AddressRow>,
  firstId: number,
): { changes: AddressChange[]; state: Map<string, AddressRow>; counts: CrmPlan['addressCounts'] } {
  const rand = rng(seed + 7919);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const state = new Map([...start].map(([k, v]) => [k, { ...v }]));
  const changes: AddressChange[] = [];
  const counts = { inserts: 0, updates: 0, moves: 0, deletes: 0 };
  let nextId = firstId;
  const insert = (customer: string, kind: string) => {
    const row: AddressRow = {
      address_id: String(nextId++),
      customer_id: customer,
      kind,
      street: rand() < 0.9 ? `${pick(STREETS)} ${int(1, 120)}` : null,
      city: pick(CITIES),
      postal_code: rand() < 0.9 ? String(int(1000, 99999)) : null,
      country: pick(COUNTRIES),
    };
    changes.push({ op: 'insert', row });
    state.set(row.address_id!, row);
    counts.inserts++;
  };
  if (customers.length === 0) return { changes, state, counts };
  for (const c of customers) {
    if (rand() < 0.5) insert(c, 'home');
    if (rand() < 0.2) insert(c, 'work');
  }
  for (let i = Math.floor(n / 10); i > 0; i--) {
    const ids = [...state.keys()];
    if (ids.length === 0) break;
    const id = pick(ids);
    const r = rand();
    if (r < 0.5) {
      const set: Partial<AddressRow> =
        rand() < 0.5 ? { city: pick(CITIES) } : { street: `${pick(STREETS)} ${int(1, 120)}` };
      if (rand() < 0.3) set.postal_code = rand() < 0.2 ? null : String(int(1000, 99999));
      changes.push({ op: 'update', id, set });
      Object.assign(state.get(id)!, set);
      counts.updates++;
    } else if (r < 0.75) {
      const set = { customer_id: pick(customers) };
      changes.push({ op: 'update', id, set });
      Object.assign(state.get(id)!, set);
      counts.moves++;
    } else {
      changes.push({ op: 'delete', id });
      state.delete(id);
      counts.deletes++;
    }
  }
  return { changes, state, counts };
}

/** What customer changes do to addresses there were: a deleted customer's go, a re-keyed one's follow (CASCADE). */
function cascade(addresses: Map<string, AddressRow>, changes: CrmChange[]): Map<string, AddressRow> {
  const out = new Map([...addresses].map(([k, v]) => [k, { ...v }]));
  for (const c of changes) {
    if (c.op === 'delete') for (const [k, a] of out) if (a.customer_id === c.id) out.delete(k);
    if (c.op === 'rekey') for (const a of out.values()) if (a.customer_id === c.id) a.customer_id = c.to;
  }
  return out;
}

/** INSERT of a row's columns; values travel as parameters, never in the SQL text. */
async function insertRow(db: Client, table: string, row: Record<string, string | null>, cols: readonly string[]) {
  const present = cols.filter((k) => row[k] !== undefined);
  await db.query(
    `INSERT INTO ${table} (${present.join(', ')}) VALUES (${present.map((_, i) => `$${i + 1}`).join(', ')})`,
    present.map((k) => row[k]),
  );
}

/** UPDATE of some columns of the row with that key. */
async function updateRow(db: Client, table: string, key: string, id: string, set: Record<string, string | null>) {
  const cols = Object.keys(set);
  await db.query(`UPDATE ${table} SET ${cols.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE ${key} = $1`, [
    id,
    ...cols.map((k) => set[k]),
  ]);
}

/** Runs one change in its own transaction (autocommit). */
export async function applyChange(db: Client, c: CrmChange): Promise<void> {
  switch (c.op) {
    case 'insert':
      return insertRow(db, 'customers', c.row, COLUMNS);
    case 'update':
      return updateRow(db, 'customers', 'customer_id', c.id, c.set as Record<string, string | null>);
    case 'rekey':
      await db.query('UPDATE customers SET customer_id = $2 WHERE customer_id = $1', [c.id, c.to]);
      return;
    case 'delete':
      await db.query('DELETE FROM customers WHERE customer_id = $1', [c.id]);
      return;
  }
}

/** Runs one address change in its own transaction. */
export async function applyAddressChange(db: Client, c: AddressChange): Promise<void> {
  switch (c.op) {
    case 'insert':
      return insertRow(db, 'addresses', c.row, ADDRESS_COLUMNS);
    case 'update':
      return updateRow(db, 'addresses', 'address_id', c.id, c.set as Record<string, string | null>);
    case 'delete':
      await db.query('DELETE FROM addresses WHERE address_id = $1', [c.id]);
      return;
  }
}

/** The addresses table as PostgreSQL text values, by address_id. */
export async function readAddresses(db: Client): Promise<Map<string, AddressRow>> {
  const res = await db.query(`SELECT ${ADDRESS_COLUMNS.map((c) => `${c}::text AS ${c}`).join(', ')} FROM addresses`);
  return new Map(res.rows.map((r: AddressRow) => [r.address_id as string, r]));
}

/** The table as PostgreSQL text values, by customer_id (for comparing with the plan and with the graph). */
export async function readCustomers(
  db: Client,
  extraColumns: string[] = [],
): Promise<Map<string, Record<string, string | null>>> {
  const cols = [...COLUMNS, ...extraColumns];
  const res = await db.query(`SELECT ${cols.map((c) => `${c}::text AS ${c}`).join(', ')} FROM customers`);
  return new Map(res.rows.map((r: Record<string, string | null>) => [r.customer_id as string, r]));
}

export interface CrmRunOptions {
  changes: number;
  seed?: number;
  rate?: number;
  keep?: boolean;
  log?: (line: string) => void;
}

export interface CrmRunResult extends CrmPlan {
  removed: number;
  /** Commit time (epoch ms, client side, after the commit returned) of each change, in order (addresses last). */
  committedAt: number[];
}

export async function runCrmDemo(o: CrmRunOptions, db?: Client): Promise<CrmRunResult> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const own = !db;
  const client = db ?? new Client({ ...CRM, connectionTimeoutMillis: 5000 });
  if (own) {
    try {
      await client.connect();
    } catch (e) {
      throw new Error(
        `cannot reach the CRM database on ${CRM.host}:${CRM.port} (${(e as Error).message}); run \`npm run stack:up\` (it needs PostgreSQL installed: sudo apt-get install postgresql)`,
        { cause: e },
      );
    }
  }
  try {
    let removed = 0;
    let firstId = 1;
    if (o.keep) {
      const max = await client.query(
        "SELECT max(substring(customer_id from 3)::int) AS m FROM customers WHERE customer_id ~ '^C-[0-9]+$'",
      );
      firstId = (max.rows[0].m ?? 0) + 1;
    } else removed = (await client.query('DELETE FROM customers')).rowCount ?? 0; // addresses go by CASCADE
    const plan = planCrmChanges(o.changes, o.seed ?? 42, firstId);
    if (o.keep) {
      // Appending: the expectation is what was there plus the plan's effect.
      const before = await readCustomers(client);
      for (const [id, row] of before) if (!plan.expected.has(id)) plan.expected.set(id, row as CrmRow);
      for (const c of plan.changes) if (c.op === 'delete' || c.op === 'rekey') plan.expected.delete(c.id);
      const max = await client.query('SELECT coalesce(max(address_id), 0) AS m FROM addresses');
      const addr = planAddressChanges(
        o.changes,
        o.seed ?? 42,
        [...plan.expected.keys()],
        cascade(await readAddresses(client), plan.changes),
        Number(max.rows[0].m) + 1,
      );
      Object.assign(plan, { addressChanges: addr.changes, addresses: addr.state, addressCounts: addr.counts });
    }
    const committedAt: number[] = [];
    const t0 = Date.now();
    let last = t0;
    const all = plan.changes.length + plan.addressChanges.length;
    for (let i = 0; i < all; i++) {
      if (i < plan.changes.length) await applyChange(client, plan.changes[i]);
      else await applyAddressChange(client, plan.addressChanges[i - plan.changes.length]);
      committedAt.push(Date.now());
      if (o.rate) {
        const wait = t0 + ((i + 1) / o.rate) * 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (Date.now() - last > 2000) {
        last = Date.now();
        log(`[crm] ${i + 1}/${all} changes`);
      }
    }
    return { ...plan, removed, committedAt };
  } finally {
    if (own) await client.end().catch(() => undefined);
  }
}

export function formatCrmSummary(r: CrmRunResult, seconds: number): string {
  const lines = [
    `[crm] ${r.changes.length} changes in ${seconds.toFixed(1)} s: ${r.counts.inserts} inserts, ${r.counts.updates} updates, ${r.counts.deletes} deletes, ${r.counts.rekeys} primary-key change${r.removed ? ` (after deleting the ${r.removed} rows there were)` : ''}`,
    `[crm] then ${r.addressChanges.length} address changes: ${r.addressCounts.inserts} inserts, ${r.addressCounts.updates} updates, ${r.addressCounts.moves} moves to another customer, ${r.addressCounts.deletes} deletes`,
    `[crm] expected tables: ${r.expected.size} customers, ${r.addresses.size} addresses${r.rekeyed ? `; ${r.rekeyed.from} is now ${r.rekeyed.to}` : ''}${r.nulled ? `; ${r.nulled} has every nullable column NULL` : ''}`,
  ];
  const sample = [...r.expected.values()].slice(0, 3);
  for (const row of sample)
    lines.push(
      `  ${row.customer_id}  ${row.first_name} ${row.last_name}, ${row.country ?? '-'}, ${row.segment ?? '-'}, credit ${row.credit_limit ?? 'NULL'}, born ${row.birth_date ?? 'NULL'}`,
    );
  const withAddress = [...r.expected.keys()].find((id) => [...r.addresses.values()].some((a) => a.customer_id === id));
  const show = withAddress ?? sample[0]?.customer_id;
  if (show) lines.push(`[crm] try: curl 127.0.0.1:1880/customer/${show}/360`);
  return lines.join('\n');
}

const CRM_USAGE = 'use --changes N [--seed S] [--rate R changes/s] [--keep] [--json]';

const CRM_HELP = `npm run demo:crm -- [options]: deterministic changes to the stack's CRM database, captured by Debezium
  --changes N   how many customer changes (default 500; about N/4 address changes follow)
  --seed S      the seed (default 42; the same seed and N, the same changes and final table)
  --rate R      changes per second (default: as fast as PostgreSQL takes them)
  --keep        append to the tables instead of emptying them first
  --json        print the final table state as JSON`;

export function parseCrmArgs(argv: string[]): CrmRunOptions & { json: boolean } {
  const v = readCommandLine(
    argv,
    { changes: 'string', seed: 'string', rate: 'string', keep: 'boolean', json: 'boolean' },
    CRM_USAGE,
  );
  const o: CrmRunOptions & { json: boolean } = {
    changes: Math.floor(nonNegative(v.changes, 'changes') ?? 500),
    json: !!v.json,
  };
  if (v.seed !== undefined) o.seed = nonNegative(v.seed, 'seed');
  if (v.rate !== undefined) o.rate = nonNegative(v.rate, 'rate');
  if (v.keep) o.keep = true;
  return o;
}

if (require.main === module) {
  const opts = commandLine('crm', CRM_HELP, parseCrmArgs);
  const t0 = Date.now();
  runCrmDemo(opts).then(
    (r) => {
      process.stdout.write(
        `${opts.json ? JSON.stringify({ counts: r.counts, addressCounts: r.addressCounts, rekeyed: r.rekeyed, nulled: r.nulled, table: [...r.expected.values()], addresses: [...r.addresses.values()] }, null, 2) : formatCrmSummary(r, (Date.now() - t0) / 1000)}\n`,
      );
    },
    (e) => {
      process.stderr.write(`[crm] failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
