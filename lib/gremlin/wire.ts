/*
 * What the npm `gremlin` driver cannot do on its own, fixed where values meet the wire:
 *
 * - Declared numeric types. The driver sends a JS number by its value: 3100 goes out as an Int32 even when the mapping
 *   declared `double`, and 17 as an Int32 when it declared `long`. A `TypedNumber` carries the declared type to the
 *   serializer, so the graph stores a Double (Long, Integer) whatever the value happens to be — in GraphBinary,
 *   GraphSON v3 and GraphSON v2 (the script dialect's bindings travel the same way).
 * - JanusGraph edge ids. They are a custom type (`janusgraph.RelationIdentifier`) the driver does not know: GraphBinary
 *   fails on them, GraphSON returns an opaque object. Both decode here to JanusGraph's own string form
 *   ("2e3-3bs-6c5-36o"), which `g.E(id)` accepts.
 * - A reader that throws. The driver decodes responses inside its WebSocket message handler, so a decoding error
 *   there is an uncaught exception that can kill Node-RED and leaves the request unsettled. `safeReader` turns it into
 *   a failed request (status 599, a message saying what could not be decoded) and tells the connection to retire
 *   the socket.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver ships no TypeScript types
const gremlin: any = require('gremlin');

export type NumericType = 'int' | 'long' | 'double';

/** A number with the Java type the graph must store it as. */
export class TypedNumber {
  constructor(
    readonly value: number,
    readonly type: NumericType,
  ) {}
  toJSON(): number {
    return this.value;
  }
}

/** Wraps `v` (a number or an array of numbers) with its declared type; other values pass unchanged. */
export function typed(v: unknown, type: NumericType | undefined): unknown {
  if (!type) return v;
  if (typeof v === 'number') return new TypedNumber(v, type);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? new TypedNumber(x, type) : x));
  return v;
}

/* ------------------------------------------------------------------ GraphBinary */

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver's GraphBinary internals, untyped
const ioc: any = require('gremlin/lib/structure/io/binary/GraphBinary');

const RELATION_IDENTIFIER = 'janusgraph.RelationIdentifier';

/** JanusGraph's LongEncoding: base 36, digits then lower-case letters (string vertex ids are kept as they are). */
const base36 = (n: bigint | string) => (typeof n === 'string' ? n : n.toString(36));

/** JanusGraph's RelationIdentifier.toString(): relation-outVertex-type[-inVertex], e.g. "1li-3ao-3yt-39c". */
export function relationIdString(
  outVertexId: bigint | string,
  typeId: bigint,
  relationId: bigint,
  inVertexId: bigint | string,
): string {
  const parts = [base36(relationId), base36(outVertexId), base36(typeId)];
  if (inVertexId !== 0n) parts.push(base36(inVertexId));
  return parts.join('-');
}

/**
 * GraphBinary custom type (type code 0x00): {name: String}{type info: Int}{value flag}{value}. Only JanusGraph's
 * RelationIdentifier is known. JanusGraph 1.x writes it as: out-vertex id (a marker byte, 0 = Long, 1 = String, then
 * the id), type id (Long), relation id (Long), in-vertex id (marker + id) — checked byte by byte against JanusGraph
 * 1.1.0. Any other custom type has a length we cannot know, so it fails with a message naming it (and the safe
 * reader fails just that request).
 */
function readVertexId(buf: Buffer, at: number): { v: bigint | string; len: number } {
  const marker = buf.readUInt8(at);
  if (marker === 0) return { v: buf.readBigInt64BE(at + 1), len: 9 };
  if (marker === 1) {
    const { v, len } = ioc.stringSerializer.deserialize(buf.subarray(at + 1), false, false);
    return { v, len: 1 + len };
  }
  throw new Error(`${RELATION_IDENTIFIER}: unknown vertex id marker ${marker}`);
}

const customSerializer = {
  canBeUsedFor: () => false,
  serialize: () => {
    throw new Error('custom GraphBinary types are read-only here');
  },
  deserialize(buffer: Buffer) {
    const { v: name, len: nameLen } = ioc.stringSerializer.deserialize(buffer.subarray(1), false, false);
    if (name !== RELATION_IDENTIFIER) throw new Error(`unknown custom type ${JSON.stringify(name)}`);
    let at = 1 + nameLen + 4; // the custom type info (an Int id) follows the name
    const flag = buffer.readUInt8(at++);
    if (flag === 1) return { v: null, len: at };
    const out = readVertexId(buffer, at);
    at += out.len;
    const typeId = buffer.readBigInt64BE(at);
    at += 8;
    const relationId = buffer.readBigInt64BE(at);
    at += 8;
    const inV = readVertexId(buffer, at);
    at += inV.len;
    return { v: relationIdString(out.v, typeId, relationId, inV.v), len: at };
  },
};

const typedNumberStrategy = {
  canBeUsedFor: (v: unknown) => v instanceof TypedNumber,
  serialize(item: TypedNumber, fullyQualifiedFormat = true) {
    const s =
      item.type === 'double' ? ioc.doubleSerializer : item.type === 'long' ? ioc.longSerializer : ioc.intSerializer;
    return s.serialize(item.value, fullyQualifiedFormat);
  },
};

let graphBinaryExtended = false;
/**
 * Teaches the driver's GraphBinary (one shared registry inside the driver) our typed numbers and JanusGraph's
 * RelationIdentifier. Additive only: it changes nothing for values the driver already handled.
 */
export function extendGraphBinary(): void {
  if (graphBinaryExtended) return;
  graphBinaryExtended = true;
  ioc.anySerializer.serializers.unshift(typedNumberStrategy);
  ioc.serializers[ioc.DataType.CUSTOM] = customSerializer;
}

/* ------------------------------------------------------------------ GraphSON v2 / v3 */

const GRAPHSON_NUMBER: Record<NumericType, string> = { int: 'g:Int32', long: 'g:Int64', double: 'g:Double' };

const graphsonTypedNumber = {
  canBeUsedFor: (v: unknown) => v instanceof TypedNumber,
  serialize: (item: TypedNumber) => ({ '@type': GRAPHSON_NUMBER[item.type], '@value': item.value }),
};

/** GraphSON v3 sends the id as {relationId}, GraphSON v2 (JanusGraph's V1d0 registry) as {value, @class}. */
const graphsonRelationId = {
  deserialize(o: { '@value'?: unknown }) {
    const v = o['@value'] as { relationId?: string; value?: string } | string | undefined;
    if (typeof v === 'string') return v;
    return v?.relationId ?? v?.value ?? JSON.stringify(v);
  },
};

/**
 * GraphSON v2 has no map type: the driver passes objects through to JSON.stringify untouched (and a Map becomes "{}"),
 * so typed numbers inside a script binding's rows would lose their type. Objects and Maps become JSON objects whose
 * values are written like any other value.
 */
function graphson2Object() {
  return {
    writer: null as any, // set by the GraphSON2Writer that takes this serializer
    canBeUsedFor: (v: unknown) =>
      v instanceof Map || (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype),
    serialize(item: Map<unknown, unknown> | Record<string, unknown>) {
      const entries = item instanceof Map ? [...item.entries()] : Object.entries(item);
      return Object.fromEntries(entries.map(([k, v]) => [String(k), this.writer.adaptObject(v)]));
    },
  };
}

export function graphsonWriter(version: 2 | 3): unknown {
  if (version === 2) {
    return new gremlin.structure.io.GraphSON2Writer({
      serializers: { 'ceh:Object': graphson2Object(), 'ceh:TypedNumber': graphsonTypedNumber },
    });
  }
  return new gremlin.structure.io.GraphSON3Writer({ serializers: { 'ceh:TypedNumber': graphsonTypedNumber } });
}

export function graphsonReader(version: 2 | 3): unknown {
  const R = version === 2 ? gremlin.structure.io.GraphSON2Reader : gremlin.structure.io.GraphSON3Reader;
  return new R({ serializers: { 'janusgraph:RelationIdentifier': graphsonRelationId } });
}

/* ------------------------------------------------------------------ safe reader */

/** Status code given to a response the driver could not decode (599: the server-side "serialization" range). */
export const UNDECODABLE_STATUS = 599;

interface Reader {
  readResponse(data: unknown): any;
}

function peekRequestId(data: unknown): string | null {
  try {
    if (Buffer.isBuffer(data)) return ioc.uuidSerializer.deserialize(data.subarray(1), false, true).v ?? null;
    const text = typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8');
    const m = /"requestId"\s*:\s*(?:\{[^}]*"@value"\s*:\s*)?"([0-9a-fA-F-]{36})"/.exec(text);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/**
 * A reader that never throws: a response it cannot decode becomes an error response for its request (or, when even
 * the request id is unreadable, for every pending request — the driver's own rule), and `onFailure` is told.
 */
export function safeReader(inner: Reader, onFailure: (err: Error) => void): Reader {
  return {
    readResponse(data: unknown) {
      try {
        return inner.readResponse(data);
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        onFailure(e);
        return {
          requestId: peekRequestId(data),
          status: {
            code: UNDECODABLE_STATUS,
            message: `the driver could not decode the server's answer (${e.message.slice(0, 300)}); the connection is replaced`,
            attributes: new Map(),
          },
          result: { meta: new Map(), data: [] },
        };
      }
    },
  };
}

export const graphBinaryReader: Reader = ioc.graphBinaryReader;
