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

/** Per-property coercion options: locale decimals for numbers, a date pattern for non-ISO dates. */
export interface CoerceOptions {
  /** The decimal separator of number texts, e.g. "," for "12,50". */
  decimal?: string;
  /** A grouping separator removed from number texts, e.g. "." for "1.234,50". */
  grouping?: string;
  /** A compiled date pattern (compileDatePattern) for date texts like "31.12.2026 23:59". */
  pattern?: DatePattern;
}

export interface DatePattern {
  source: string;
  parse: (text: string) => number | undefined;
}

type DatePart = 'y' | 'M' | 'd' | 'H' | 'm' | 's' | 'S' | 'z';
const DATE_TOKENS: Record<string, { re: string; part: DatePart }> = {
  yyyy: { re: '(\\d{4})', part: 'y' },
  MM: { re: '(\\d{2})', part: 'M' },
  M: { re: '(\\d{1,2})', part: 'M' },
  dd: { re: '(\\d{2})', part: 'd' },
  d: { re: '(\\d{1,2})', part: 'd' },
  HH: { re: '(\\d{2})', part: 'H' },
  H: { re: '(\\d{1,2})', part: 'H' },
  mm: { re: '(\\d{2})', part: 'm' },
  ss: { re: '(\\d{2})', part: 's' },
  SSS: { re: '(\\d{3})', part: 'S' },
  XXX: { re: '(Z|[+-]\\d{2}:\\d{2})', part: 'z' },
};
const DATE_TOKEN = /yyyy|MM|M|dd|d|HH|H|mm|ss|SSS|XXX|[A-Za-z]+|[^A-Za-z]+/g;

/**
 * Compiles a date pattern (yyyy MM M dd d HH H mm ss SSS XXX; other letters are refused, other characters are
 * literal). Without XXX the text is read as UTC. Throws an Error naming the problem.
 */
export function compileDatePattern(pattern: string): DatePattern {
  const parts: DatePart[] = [];
  let re = '^';
  for (const tok of pattern.match(DATE_TOKEN) ?? []) {
    const t = DATE_TOKENS[tok];
    if (t) {
      re += t.re;
      parts.push(t.part);
    } else if (/^[A-Za-z]/.test(tok)) {
      throw new Error(`unknown date pattern letters "${tok}" (use yyyy, MM, M, dd, d, HH, H, mm, ss, SSS, XXX)`);
    } else re += tok.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  if (!parts.includes('y') || !parts.includes('M') || !parts.includes('d'))
    throw new Error(`date pattern "${pattern}" needs yyyy, MM and dd`);
  const matcher = new RegExp(`${re}$`);
  // Group positions per part, resolved once: parse runs per value at mapping speed.
  const at = (part: DatePart) => parts.indexOf(part) + 1;
  const [y, mo, d, h, mi, sec, ms, z] = (['y', 'M', 'd', 'H', 'm', 's', 'S', 'z'] as DatePart[]).map(at);
  const num = (m: RegExpExecArray, i: number) => (i === 0 ? 0 : +m[i]);
  return {
    source: pattern,
    parse: (text) => {
      const m = matcher.exec(
        text.length && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32) ? text.trim() : text,
      );
      if (m === null) return undefined;
      const year = +m[y];
      const month = +m[mo];
      const day = +m[d];
      const hour = num(m, h);
      const minute = num(m, mi);
      const second = num(m, sec);
      // Date.UTC would roll 31.02. over into March: a date that does not exist is not a date.
      if (
        month < 1 ||
        month > 12 ||
        day < 1 ||
        day > DAYS[month - 1] + (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 1 : 0)
      )
        return undefined;
      if (hour > 23 || minute > 59 || second > 59) return undefined;
      let offsetMin = 0;
      if (z !== 0) {
        const g = m[z];
        offsetMin = g === 'Z' ? 0 : (g.charCodeAt(0) === 45 ? -1 : 1) * (+g.slice(1, 3) * 60 + +g.slice(4, 6));
      }
      return Date.UTC(year, month - 1, day, hour, minute, second, num(m, ms)) - offsetMin * 60000;
    },
  };
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** "1.234,50" with decimal "," and grouping "." → "1234.50"; a stray "." with decimal "," is an error, not 1.5. */
function localeNumberText(v: string, o: CoerceOptions): string {
  let s = v.trim();
  if (o.grouping) s = s.replaceAll(o.grouping, '');
  if (o.decimal && o.decimal !== '.') {
    if (s.includes('.'))
      throw new CoercionError(`${show(v)} has "." but the decimal separator is ${JSON.stringify(o.decimal)}`);
    s = s.replace(o.decimal, '.');
  }
  return s;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INTEGER_TEXT = /^[+-]?\d+$/;
const TIME_OF_DAY = /^\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function show(v: unknown): string {
  let s: string;
  // JSON.stringify throws on very deeply nested values (stack overflow): the error message must never throw itself.
  try {
    s = typeof v === 'string' || typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    s = Array.isArray(v) ? '[nested array]' : '{nested object}';
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function toInteger(v: unknown, type: 'int' | 'long', o?: CoerceOptions): number {
  let n: number;
  if (o && (o.decimal || o.grouping) && typeof v === 'string') v = localeNumberText(v, o);
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) n = Number(v.trim());
  else throw new CoercionError(`${show(v)} is not an integer (type ${type})`);
  if (!Number.isInteger(n)) throw new CoercionError(`${show(v)} is not an integer (type ${type})`);
  if (type === 'int' && (n < INT32_MIN || n > INT32_MAX))
    throw new CoercionError(`${show(v)} is outside the int range (use type long)`);
  // JavaScript numbers hold integers exactly only up to 2^53: beyond that the value would silently change.
  if (!Number.isSafeInteger(n))
    throw new CoercionError(`${show(v)} is outside the exactly representable long range (±2^53)`);
  return n;
}

function toDouble(v: unknown, o?: CoerceOptions): number {
  if (o && (o.decimal || o.grouping) && typeof v === 'string') {
    const t = localeNumberText(v, o);
    if (!NUMBER_TEXT.test(t))
      throw new CoercionError(`${show(v)} is not a number (type double, decimal ${JSON.stringify(o.decimal ?? '.')})`);
    v = t;
  }
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
function toDate(v: unknown, format: DateFormat, pattern?: DatePattern): number | string {
  let ms: number;
  if (pattern && typeof v === 'string') {
    const p = pattern.parse(v);
    if (p === undefined) throw new CoercionError(`${show(v)} is not a date of pattern "${pattern.source}"`);
    ms = p;
  } else if (typeof v === 'number') ms = v;
  else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) ms = Number(v.trim());
  else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v.trim())) ms = Date.parse(v.trim());
  else if (typeof v === 'string' && TIME_OF_DAY.test(v.trim()))
    ms = Date.parse(`1970-01-01T${v.trim()}Z`); // a time of day: on the epoch's day
  else
    throw new CoercionError(`${show(v)} is not a date (epoch milliseconds, ISO-8601 text or a time of day HH:MM:SS)`);
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw new CoercionError(`${show(v)} is not a valid date`);
  return format === 'iso' ? new Date(ms).toISOString() : Math.trunc(ms);
}

function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Coerces one scalar value. Without a type, strings, finite numbers and booleans pass unchanged. */
export function coerceScalar(
  v: unknown,
  type: ValueType | undefined,
  format: DateFormat = 'epoch',
  o?: CoerceOptions,
): string | number | boolean {
  switch (type) {
    case 'string':
      return toText(v);
    case 'int':
      return toInteger(v, 'int', o);
    case 'long':
      return toInteger(v, 'long', o);
    case 'double':
      return toDouble(v, o);
    case 'boolean':
      return toBoolean(v);
    case 'date':
      return toDate(v, format, o?.pattern);
    default:
      if (typeof v === 'string' || typeof v === 'boolean') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      throw new CoercionError(
        `${show(v)} is ${Array.isArray(v) ? 'an array (use cardinality list or set)' : `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`}, not a string, number or boolean (set type: string to store it as JSON text)`,
      );
  }
}

/** Coerces a property value for its cardinality: list/set take an array (or one value), single takes one value. */
export function coerceProperty(
  v: unknown,
  type: ValueType | undefined,
  cardinality: 'single' | 'list' | 'set',
  format: DateFormat = 'epoch',
  o?: CoerceOptions,
): PropertyValue {
  if (cardinality === 'single') {
    if (Array.isArray(v) && type !== 'string')
      throw new CoercionError(`${show(v)} is an array: use cardinality list or set, or type string`);
    return coerceScalar(v, type, format, o);
  }
  const items = Array.isArray(v) ? v : [v];
  const out: Array<string | number | boolean> = [];
  for (const item of items) {
    if (item === undefined || item === null) continue;
    const c = coerceScalar(item, type, format, o);
    if (cardinality === 'set' && out.includes(c)) continue;
    out.push(c);
  }
  return out;
}
