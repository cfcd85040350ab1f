/*
 * Record codec: how Kafka record values, keys and headers become message properties (kafka in) and how message
 * payloads become record values (kafka out). Values are never forced to strings: JSON, text and raw bytes all survive.
 */

export type DecodeMode = 'auto' | 'json' | 'string' | 'buffer';
export const DECODE_MODES: readonly DecodeMode[] = ['auto', 'json', 'string', 'buffer'];

/** A record as kafkajs hands it over (only what we read). */
export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  timestamp: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/** `msg.kafka` in per-message mode. */
export interface RecordMeta {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: unknown;
  headers: Record<string, string>;
  /** The partition lease the record was handed out under (commit mode "flow"; lib/kafka/partition-leases). */
  lease?: number;
}

/** `msg.kafka` in batch mode: one entry per record in each array, in offset order. */
export interface BatchMeta {
  topic: string;
  partition: number;
  batch: true;
  offsets: string[];
  timestamps: string[];
  keys: unknown[];
  headers: Record<string, string>[];
  lease?: number;
}

export class DecodeError extends Error {
  constructor(
    message: string,
    readonly field: 'value' | 'key',
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

export function isDecodeMode(v: unknown): v is DecodeMode {
  return typeof v === 'string' && (DECODE_MODES as readonly string[]).includes(v);
}

/**
 * JSON nested deeper than this is refused at decoding: Node-RED copies and prints messages recursively
 * (RED.util.cloneMessage, JSON.stringify), so a record nested thousands of levels deep would overflow the stack in some
 * node downstream. Real events are nested a few levels; the raw record goes to the error output instead.
 */
export const MAX_JSON_DEPTH = 512;

/** True when the JSON text nests objects/arrays deeper than `max` (brackets inside strings do not count). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  if (text.length <= 2 * max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i += 1; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth -= 1;
  }
  return false;
}

function tooDeep(field: 'value' | 'key'): DecodeError {
  return new DecodeError(`record ${field} is JSON nested deeper than ${MAX_JSON_DEPTH} levels`, field);
}

/**
 * Decodes one value or key. `auto` = JSON when the text parses as JSON, else the text; `json` throws DecodeError on
 * text that is not JSON; null (a tombstone or a record without key) stays null in every mode.
 */
export function decodeBytes(raw: Buffer | null, mode: DecodeMode, field: 'value' | 'key' = 'value'): unknown {
  if (raw === null || raw === undefined) return null;
  switch (mode) {
    case 'buffer':
      return raw;
    case 'string':
      return raw.toString('utf8');
    case 'json': {
      const text = raw.toString('utf8');
      if (jsonTooDeep(text)) throw tooDeep(field);
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new DecodeError(`record ${field} is not valid JSON: ${(e as Error).message}`, field);
      }
    }
    case 'auto': {
      const text = raw.toString('utf8');
      // Cheap pre-check: only text that can start a JSON document is worth parsing.
      if (/^\s*[[{"\d\-tfn]/.test(text)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return text; /* not JSON: keep the text */
        }
        if (jsonTooDeep(text)) throw tooDeep(field);
        return parsed;
      }
      return text;
    }
    default:
      throw new Error(`unknown decode mode ${String(mode)}`);
  }
}

/** Header values become strings (a repeated header keeps its last value, as most consumers expect). */
export function headersToStrings(headers: RawRecord['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  // for..in, not Object.entries: most records have no headers, and an array per record adds up (issue 17).
  for (const name in headers) {
    if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
    const value = headers[name];
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    out[name] = last === undefined ? '' : Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

export interface DecodeOptions {
  value: DecodeMode;
  key: DecodeMode;
}

export type DecodedRecord =
  | { ok: true; payload: unknown; meta: RecordMeta }
  | { ok: false; error: DecodeError; raw: Buffer | null; meta: RecordMeta };

/** Decodes one record; a record that cannot be decoded is returned with its error and raw value, never thrown. */
export function decodeRecord(topic: string, partition: number, record: RawRecord, opts: DecodeOptions): DecodedRecord {
  const meta: RecordMeta = {
    topic,
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: null,
    headers: headersToStrings(record.headers),
  };
  try {
    meta.key = decodeBytes(record.key, opts.key, 'key');
    return { ok: true, payload: decodeBytes(record.value, opts.value, 'value'), meta };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, error: e, raw: record.value, meta };
    throw e;
  }
}

/** Gathers decoded records of one partition into the batch-mode payload and metadata. */
export function toBatch(
  topic: string,
  partition: number,
  records: Array<{ payload: unknown; meta: RecordMeta }>,
): { payload: unknown[]; meta: BatchMeta } {
  const meta: BatchMeta = { topic, partition, batch: true, offsets: [], timestamps: [], keys: [], headers: [] };
  const payload: unknown[] = [];
  for (const r of records) {
    payload.push(r.payload);
    meta.offsets.push(r.meta.offset);
    meta.timestamps.push(r.meta.timestamp);
    meta.keys.push(r.meta.key);
    meta.headers.push(r.meta.headers);
  }
  return { payload, meta };
}

/** Encodes a payload as a record value: Buffer as is, string as UTF-8, null/undefined as a tombstone, else JSON. */
export function encodeValue(payload: unknown): Buffer | string | null {
  if (payload === null || payload === undefined) return null;
  if (Buffer.isBuffer(payload) || typeof payload === 'string') return payload;
  return JSON.stringify(payload);
}

/** Encodes a key: Buffer or string as is, numbers/booleans as text, objects as JSON, null/undefined/'' as no key. */
export function encodeKey(key: unknown): Buffer | string | null {
  if (key === null || key === undefined || key === '') return null;
  if (Buffer.isBuffer(key) || typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'boolean' || typeof key === 'bigint') return String(key);
  return JSON.stringify(key);
}

/** Encodes headers: every value becomes a string or Buffer; undefined/null values are left out. */
export function encodeHeaders(headers: unknown): Record<string, string | Buffer> | undefined {
  if (headers === null || headers === undefined) return undefined;
  if (typeof headers !== 'object' || Array.isArray(headers))
    throw new Error('headers must be an object of name: value');
  const out: Record<string, string | Buffer> = {};
  for (const [name, v] of Object.entries(headers as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[name] = Buffer.isBuffer(v)
      ? v
      : typeof v === 'string'
        ? v
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  }
  return out;
}
