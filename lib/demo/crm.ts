/*
 * `npm run demo:crm -- --changes N [--seed S] [--rate R] [--keep] [--json]`: deterministic changes against the stack's
 * CRM database (PostgreSQL, table customers), which Debezium captures into crm.public.customers. Inserts, updates
 * (including one primary-key change and one update that sets every nullable column to NULL) and deletes, each in its
 * own transaction; prints the table state they must leave (and `--json` the whole of it).
 *
 * The same seed and N give the same changes and the same final table: by default the table is emptied first
 * (DELETE, which Debezium captures as deletes); --keep appends to what is there (ids continue after the highest).
 */
import { Client } from 'pg';
import { rng, customerId, twitterId } from './generator';
import { readCommandLine, nonNegative } from '../command-line';

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

export interface CrmPlan {
  changes: CrmChange[];
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
  return { changes, expected: state, counts, rekeyed, nulled };
}

/** Runs one change in its own transaction (autocommit); values travel as parameters, never in the SQL text. */
export async function applyChange(db: Client, c: CrmChange): Promise<void> {
  switch (c.op) {
    case 'insert': {
      const cols = COLUMNS.filter((k) => c.row[k] !== undefined);
      await db.query(
        `INSERT INTO customers (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
        cols.map((k) => c.row[k]),
      );
      return;
    }
    case 'update': {
      const cols = Object.keys(c.set);
      await db.query(
        `UPDATE customers SET ${cols.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE customer_id = $1`,
        [c.id, ...cols.map((k) => (c.set as Record<string, string | null>)[k])],
      );
      return;
    }
    case 'rekey':
      await db.query('UPDATE customers SET customer_id = $2 WHERE customer_id = $1', [c.id, c.to]);
      return;
    case 'delete':
      await db.query('DELETE FROM customers WHERE customer_id = $1', [c.id]);
      return;
  }
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
  /** Commit time (epoch ms, client side, after the commit returned) of each change, in order. */
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
    } else removed = (await client.query('DELETE FROM customers')).rowCount ?? 0;
    const plan = planCrmChanges(o.changes, o.seed ?? 42, firstId);
    if (o.keep) {
      // Appending: the expectation is what was there plus the plan's effect.
      const before = await readCustomers(client);
      for (const [id, row] of before) if (!plan.expected.has(id)) plan.expected.set(id, row as CrmRow);
      for (const c of plan.changes) if (c.op === 'delete' || c.op === 'rekey') plan.expected.delete(c.id);
    }
    const committedAt: number[] = [];
    const t0 = Date.now();
    let last = t0;
    for (let i = 0; i < plan.changes.length; i++) {
      await applyChange(client, plan.changes[i]);
      committedAt.push(Date.now());
      if (o.rate) {
        const wait = t0 + ((i + 1) / o.rate) * 1000 - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (Date.now() - last > 2000) {
        last = Date.now();
        log(`[crm] ${i + 1}/${plan.changes.length} changes`);
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
    `[crm] expected table: ${r.expected.size} customers${r.rekeyed ? `; ${r.rekeyed.from} is now ${r.rekeyed.to}` : ''}${r.nulled ? `; ${r.nulled} has every nullable column NULL` : ''}`,
  ];
  const sample = [...r.expected.values()].slice(0, 3);
  for (const row of sample)
    lines.push(
      `  ${row.customer_id}  ${row.first_name} ${row.last_name}, ${row.country ?? '-'}, ${row.segment ?? '-'}, credit ${row.credit_limit ?? 'NULL'}, born ${row.birth_date ?? 'NULL'}`,
    );
  if (sample[0]) lines.push(`[crm] try: curl 127.0.0.1:1880/customer/${sample[0].customer_id}/360`);
  return lines.join('\n');
}

export function parseCrmArgs(argv: string[]): CrmRunOptions & { json: boolean } {
  const v = readCommandLine(
    argv,
    { changes: 'string', seed: 'string', rate: 'string', keep: 'boolean', json: 'boolean' },
    'use --changes N [--seed S] [--rate R changes/s] [--keep] [--json]',
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
  let opts: ReturnType<typeof parseCrmArgs>;
  try {
    opts = parseCrmArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`[crm] ${(e as Error).message}\n`);
    process.exit(2);
  }
  const t0 = Date.now();
  runCrmDemo(opts).then(
    (r) => {
      process.stdout.write(
        `${opts.json ? JSON.stringify({ counts: r.counts, rekeyed: r.rekeyed, nulled: r.nulled, table: [...r.expected.values()] }, null, 2) : formatCrmSummary(r, (Date.now() - t0) / 1000)}\n`,
      );
    },
    (e) => {
      process.stderr.write(`[crm] failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
