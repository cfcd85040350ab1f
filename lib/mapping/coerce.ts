/*
 * Type coercion of mapped values to what the graph stores. Each function returns the coerced value or throws a
 * CoercionError whose message says what was wrong; the engine adds the event, definition and field.
 */
import type { PropertyValue } from '../change-set';

export const VALUE_TYPES = ['string', 'int', 'long', 'double', 'boolean', 'date'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export const DATE_FORMATS = ['epoch', 'iso'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

export class CoercionError extends Error {}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INTEGER_TEXT = /^[+-]?\d+$/;
const TIME_OF_DAY = /^\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function show(v: unknown): string {
  let s: string;
  // JSON.stringify throws on very deeply nested values (stack overflow): the error message must never throw itself.
  try { s = typeof v === 'string' || typeof v === 'object' ? JSON.stringify(v) : String(v); } catch { s = Array.isArray(v) ? '[nested array]' : '{nested object}'; }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function toInteger(v: unknown, type: 'int' | 'long'): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) n = Number(v.trim());
  else throw new CoercionError(`${show(v)} is not an integer (type ${type})`);
  if (!Number.isInteger(n)) throw new CoercionError(`${show(v)} is not an integer (type ${type})`);
  if (type === 'int' && (n < INT32_MIN || n > INT32_MAX)) throw new CoercionError(`${show(v)} is outside the int range (use type long)`);
  // JavaScript numbers hold integers exactly only up to 2^53: beyond that the value would silently change.
  if (!Number.isSafeInteger(n)) throw new CoercionError(`${show(v)} is outside the exactly representable long range (±2^53)`);
  return n;
}

function toDouble(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && NUMBER_TEXT.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n)) throw new CoercionError(`${show(v)} is not a number (type double)`);
  return n;
}

function toBoolean(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
  }
  throw new CoercionError(`${show(v)} is not a boolean (true/false/1/0)`);
}

/** Epoch milliseconds (number or digits) or an ISO-8601 / RFC 3339 date text → epoch ms or ISO text. */
function toDate(v: unknown, format: DateFormat): number | string {
  let ms: number;
  if (typeof v === 'number') ms = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) ms = Number(v.trim());
  else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v.trim())) ms = Date.parse(v.trim());
  else if (typeof v === 'string' && TIME_OF_DAY.test(v.trim())) ms = Date.parse(`1970-01-01T${v.trim()}Z`); // a time of day: on the epoch's day
  else throw new CoercionError(`${show(v)} is not a date (epoch milliseconds, ISO-8601 text or a time of day HH:MM:SS)`);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new CoercionError(`${show(v)} is not a valid date`);
  return format === 'iso' ? new Date(ms).toISOString() : Math.trunc(ms);
}

function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Coerces one scalar value. Without a type, strings, finite numbers and booleans pass unchanged. */
export function coerceScalar(v: unknown, type: ValueType | undefined, format: DateFormat = 'epoch'): string | number | boolean {
  switch (type) {
    case 'string': return toText(v);
    case 'int': return toInteger(v, 'int');
    case 'long': return toInteger(v, 'long');
    case 'double': return toDouble(v);
    case 'boolean': return toBoolean(v);
    case 'date': return toDate(v, format);
    default:
      if (typeof v === 'string' || typeof v === 'boolean') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      throw new CoercionError(`${show(v)} is ${Array.isArray(v) ? 'an array (use cardinality list or set)' : `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`}, not a string, number or boolean (set type: string to store it as JSON text)`);
  }
}

/** Coerces a property value for its cardinality: list/set take an array (or one value), single takes one value. */
export function coerceProperty(v: unknown, type: ValueType | undefined, cardinality: 'single' | 'list' | 'set', format: DateFormat = 'epoch'): PropertyValue {
  if (cardinality === 'single') {
    if (Array.isArray(v) && type !== 'string') throw new CoercionError(`${show(v)} is an array: use cardinality list or set, or type string`);
    return coerceScalar(v, type, format);
  }
  const items = Array.isArray(v) ? v : [v];
  const out: Array<string | number | boolean> = [];
  for (const item of items) {
    if (item === undefined || item === null) continue;
    const c = coerceScalar(item, type, format);
    if (cardinality === 'set' && out.includes(c)) continue;
    out.push(c);
  }
  return out;
}
