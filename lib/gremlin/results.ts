/*
 * Converts what the driver returns into plain JSON that any Node-RED node can use: vertices {id, label, properties},
 * edges {id, label, outV, inV, properties}, paths {labels, objects}, Maps → objects, Sets → arrays, enum values →
 * their names, Longs (BigInt) → numbers when safe (else decimal strings).
 */
import { gremlin } from './connection';

const { Vertex, Edge, VertexProperty, Property, Path } = gremlin.structure;
const EnumValue = gremlin.process.EnumValue;

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

function mapKey(k: any): string {
  if (typeof k === 'string') return k;
  if (k instanceof EnumValue) return String(k.elementName);
  if (typeof k === 'number' || typeof k === 'boolean' || typeof k === 'bigint') return String(k);
  if (k instanceof Vertex || k instanceof Edge) return String(k.id);
  return JSON.stringify(toPlain(k));
}

/** Element properties (3.8 returns lists of VertexProperty/Property): one value per key, or an array when repeated. */
function elementProperties(props: unknown): Record<string, Plain> {
  const out: Record<string, Plain> = {};
  const multi = new Set<string>();
  if (!props) return out;
  const list: unknown[] = Array.isArray(props) ? props : Object.values(props as object).flat();
  for (const p of list) {
    if (!(p instanceof VertexProperty) && !(p instanceof Property)) continue;
    const key = (p as any).key ?? (p as any).label;
    const value = toPlain((p as any).value);
    if (key in out) {
      const prev = out[key];
      out[key] = multi.has(key) ? [...(prev as Plain[]), value] : [prev, value];
      multi.add(key);
    } else out[key] = value;
  }
  return out;
}

export function toPlain(v: any): Plain {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint')
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Vertex && !(v instanceof VertexProperty))
    return { id: toPlain(v.id), label: v.label, properties: elementProperties(v.properties) };
  if (v instanceof Edge) {
    return {
      id: toPlain(v.id),
      label: v.label,
      outV: toPlain(v.outV?.id),
      inV: toPlain(v.inV?.id),
      properties: elementProperties(v.properties),
    };
  }
  if (v instanceof VertexProperty) return { id: toPlain(v.id), key: v.label, value: toPlain(v.value) };
  if (v instanceof Property) return { key: v.key, value: toPlain(v.value) };
  if (v instanceof Path)
    return {
      labels: (v.labels ?? []).map((l: unknown) => toPlain(l instanceof Set ? [...l] : l)),
      objects: (v.objects ?? []).map(toPlain),
    };
  if (v instanceof EnumValue) return String(v.elementName);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (v instanceof Set || Array.isArray(v)) return [...v].map(toPlain);
  if (v instanceof Map) {
    const out: Record<string, Plain> = {};
    for (const [k, val] of v) out[mapKey(k)] = toPlain(val);
    return out;
  }
  if (typeof v === 'object') {
    const out: Record<string, Plain> = {};
    for (const [k, val] of Object.entries(v as object)) out[k] = toPlain(val);
    return out;
  }
  return String(v);
}
