/*
 * Debezium change events as they really are: decodes a row (`before` / `after`) by the Kafka Connect schema that the
 * JSON converter puts beside every payload (schemas.enable=true), or — when schemas are off — by the column types a
 * mapping spec declares (`columns:`). Framework-free; the engine's CDC mode calls it before any template sees the row.
 *
 * What a column becomes (the templates and the property `type` then take it from there):
 *   org.apache.kafka.connect.data.Decimal (bytes + scale),
 *   io.debezium.data.VariableScaleDecimal                → exact decimal text, e.g. "12345.67" (never rounded);
 *                                                           a property with `type: double` stores it as a number
 *   io.debezium.time.Date (days)                         → "1990-05-17"
 *   io.debezium.time.Timestamp / MicroTimestamp /
 *     NanoTimestamp (local date-time, read as UTC)       → "2024-03-02T08:15:30.123456Z" (all the source's digits)
 *   io.debezium.time.ZonedTimestamp                      → unchanged ISO-8601 text (UTC)
 *   io.debezium.time.Time / MicroTime / NanoTime         → "09:30:15.250000" (time of day)
 *   io.debezium.data.Json                                → the parsed JSON value (templates can reach into it)
 *   arrays                                               → arrays, items decoded (list/set properties)
 *   structs without a logical name, maps                 → objects, fields decoded
 *   plain int/float/boolean/string, bytes                → unchanged (bytes stay base64 text)
 *   any other logical name (e.g. io.debezium.data.geometry.Point) → UnknownColumnTypeError naming column and type
 * With `type: date` a date, timestamp or time becomes epoch milliseconds (or ISO text with format: iso); a time of
 * day becomes its milliseconds since midnight, on 1970-01-01.
 */

/** The Connect schema of one value, as the JSON converter writes it. */
export interface ConnectSchema {
  type: string;
  name?: string;
  optional?: boolean;
  field?: string;
  parameters?: Record<string, string>;
  fields?: ConnectSchema[];
  items?: ConnectSchema;
  keys?: ConnectSchema;
  values?: ConnectSchema;
}

/** A column whose Connect type the decoder does not know; `column` is the path, e.g. "after.location". */
export class UnknownColumnTypeError extends Error {
  constructor(
    readonly column: string,
    readonly connectType: string,
    detail?: string,
  ) {
    super(
      `column "${column}" has Connect type ${connectType}, which graph map cannot decode${detail ? ` (${detail})` : ''}`,
    );
  }
}

/** Column types a spec may declare for messages without schemas (`columns: { credit_limit: { type: decimal, scale: 2 } }`). */
export const COLUMN_TYPES = {
  decimal: 'org.apache.kafka.connect.data.Decimal',
  date: 'io.debezium.time.Date',
  timestamp: 'io.debezium.time.Timestamp',
  'micro-timestamp': 'io.debezium.time.MicroTimestamp',
  'nano-timestamp': 'io.debezium.time.NanoTimestamp',
  'zoned-timestamp': 'io.debezium.time.ZonedTimestamp',
  time: 'io.debezium.time.Time',
  'micro-time': 'io.debezium.time.MicroTime',
  'nano-time': 'io.debezium.time.NanoTime',
  json: 'io.debezium.data.Json',
} as const;
export type ColumnType = keyof typeof COLUMN_TYPES;
export interface ColumnSpec {
  type: ColumnType;
  scale?: number;
}

/** Logical types whose JSON value is already what the graph wants (text, numbers). */
const PASS_THROUGH = new Set([
  'io.debezium.time.ZonedTimestamp',
  'io.debezium.time.ZonedTime',
  'io.debezium.time.Year',
  'io.debezium.time.IsoDate',
  'io.debezium.time.IsoTimestamp',
  'io.debezium.time.IsoTime',
  'io.debezium.data.Enum',
  'io.debezium.data.EnumSet',
  'io.debezium.data.Uuid',
  'io.debezium.data.Xml',
  'io.debezium.data.Ltree',
  'io.debezium.data.Bits',
]);

const DAY_MS = 86400000;

/** Big-endian two's-complement bytes (base64) → BigInt. */
function unscaled(base64: string): bigint {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0) return 0n;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes[0] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

/** Unscaled integer + scale → exact decimal text ("-0.05", "12345.67", "100"). */
export function decimalText(base64: string, scale: number): string {
  const n = unscaled(base64);
  const neg = n < 0n;
  let digits = (neg ? -n : n).toString();
  if (scale <= 0) return `${neg ? '-' : ''}${digits}${'0'.repeat(-scale)}`;
  digits = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');

/** Epoch value in units of 10^-digits s → "YYYY-MM-DDTHH:MM:SS.fffZ" with exactly `digits` decimals. */
function isoFromEpoch(v: number, digits: 3 | 6 | 9): string {
  const per = 10 ** (digits - 3); // units per millisecond
  const ms = Math.floor(v / per);
  const sub = v - ms * per; // sub-millisecond units, >= 0
  const iso = new Date(ms).toISOString(); // ...SS.mmmZ
  return digits === 3 ? iso : `${iso.slice(0, -1)}${pad(sub, digits - 3)}Z`;
}

/** Units of 10^-digits s since midnight → "HH:MM:SS.fff…". */
function timeOfDay(v: number, digits: 3 | 6 | 9): string {
  const perSecond = 10 ** digits;
  const total = Math.floor(v / perSecond);
  const frac = v - total * perSecond;
  return `${pad(Math.floor(total / 3600), 2)}:${pad(Math.floor(total / 60) % 60, 2)}:${pad(total % 60, 2)}.${pad(frac, digits)}`;
}

function expectType(v: unknown, want: 'number' | 'string', column: string, schema: ConnectSchema): void {
  if (typeof v !== want)
    throw new UnknownColumnTypeError(
      column,
      schema.name ?? schema.type,
      `expected a ${want} value, got ${JSON.stringify(v)}`,
    );
}

/** Decodes one value by its schema; `column` names it in errors. */
export function decodeValue(v: unknown, schema: ConnectSchema, column: string): unknown {
  if (v === null || v === undefined) return v;
  const name = schema.name;
  if (name !== undefined) {
    switch (name) {
      case 'org.apache.kafka.connect.data.Decimal': {
        expectType(v, 'string', column, schema);
        return decimalText(v as string, Number(schema.parameters?.scale ?? 0));
      }
      case 'io.debezium.data.VariableScaleDecimal': {
        const s = v as { scale?: unknown; value?: unknown };
        if (typeof s !== 'object' || typeof s.value !== 'string' || typeof s.scale !== 'number')
          throw new UnknownColumnTypeError(column, name, 'expected { scale, value }');
        return decimalText(s.value, s.scale);
      }
      case 'io.debezium.time.Date':
        expectType(v, 'number', column, schema);
        return new Date((v as number) * DAY_MS).toISOString().slice(0, 10);
      case 'io.debezium.time.Timestamp':
      case 'org.apache.kafka.connect.data.Timestamp':
        expectType(v, 'number', column, schema);
        return isoFromEpoch(v as number, 3);
      case 'io.debezium.time.MicroTimestamp':
        expectType(v, 'number', column, schema);
        return isoFromEpoch(v as number, 6);
      case 'io.debezium.time.NanoTimestamp':
        expectType(v, 'number', column, schema);
        return isoFromEpoch(v as number, 9);
      case 'io.debezium.time.Time':
      case 'org.apache.kafka.connect.data.Time':
        expectType(v, 'number', column, schema);
        return timeOfDay(v as number, 3);
      case 'io.debezium.time.MicroTime':
        expectType(v, 'number', column, schema);
        return timeOfDay(v as number, 6);
      case 'io.debezium.time.NanoTime':
        expectType(v, 'number', column, schema);
        return timeOfDay(v as number, 9);
      case 'org.apache.kafka.connect.data.Date':
        expectType(v, 'number', column, schema);
        return new Date((v as number) * DAY_MS).toISOString().slice(0, 10);
      case 'io.debezium.data.Json':
        if (typeof v !== 'string') return v;
        try {
          return JSON.parse(v);
        } catch (e) {
          throw new UnknownColumnTypeError(column, name, `not valid JSON: ${(e as Error).message}`);
        }
      default:
        if (PASS_THROUGH.has(name)) return v;
        // A struct or array named by a schema (table rows, keys) is plain data; any other logical type is unknown.
        if (!(schema.type === 'struct' && /\.(Key|Value)$/.test(name)))
          throw new UnknownColumnTypeError(column, `${name} (${schema.type})`);
    }
  }
  switch (schema.type) {
    case 'array': {
      if (!Array.isArray(v)) throw new UnknownColumnTypeError(column, 'array', 'expected an array value');
      const items = schema.items;
      return items ? v.map((x, i) => decodeValue(x, items, `${column}[${i}]`)) : v;
    }
    case 'struct':
      return decodeRow(v as Record<string, unknown>, schema, column);
    case 'map': {
      const values = schema.values;
      if (!values || typeof v !== 'object') return v;
      if (Array.isArray(v)) return v; // maps with non-string keys arrive as [key, value] pairs
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, decodeValue(x, values, `${column}.${k}`)]),
      );
    }
    default:
      return v;
  }
}

/** Decodes a struct (a row) field by field; fields the schema does not name pass unchanged. */
export function decodeRow(
  row: Record<string, unknown>,
  schema: ConnectSchema,
  prefix: string,
): Record<string, unknown> {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    throw new UnknownColumnTypeError(prefix, 'struct', 'expected an object value');
  const out: Record<string, unknown> = { ...row };
  for (const f of schema.fields ?? []) {
    if (f.field !== undefined && f.field in row) out[f.field] = decodeValue(row[f.field], f, `${prefix}.${f.field}`);
  }
  return out;
}

/** The row schemas of an envelope schema (its `before` and `after` fields). */
export function rowSchemas(envelope: unknown): { before?: ConnectSchema; after?: ConnectSchema } {
  const fields = (envelope as ConnectSchema | undefined)?.fields;
  if (!Array.isArray(fields)) return {};
  return { before: fields.find((f) => f.field === 'before'), after: fields.find((f) => f.field === 'after') };
}

/** A row schema from a spec's `columns:` (used when the messages carry no schema). */
export function schemaFromColumns(columns: Record<string, ColumnSpec>): ConnectSchema {
  return {
    type: 'struct',
    fields: Object.entries(columns).map(([field, c]) => ({
      field,
      type: c.type === 'decimal' ? 'bytes' : 'int64',
      name: COLUMN_TYPES[c.type],
      ...(c.type === 'decimal' ? { parameters: { scale: String(c.scale ?? 0) } } : {}),
    })),
  };
}
