/*
 * The change set: what one event means for the graph. `graph map` produces it, `gremlin upsert` writes it, and users
 * may build it by hand (a function node) as long as it matches schema/change-set.schema.json.
 *
 * A vertex is identified by its label plus one key property (e.g. customer.customerId = "C-17"); an edge by its label
 * and its two endpoints, plus an optional edge key when several edges of one label may join the same two vertices.
 */

/** A property value as it is stored in the graph. Arrays are only meaningful with list or set cardinality. */
export type PropertyValue = string | number | boolean | Array<string | number | boolean>;

export type Cardinality = 'single' | 'list' | 'set';

/**
 * The Java number type a property must be stored as. JSON (and JS) numbers carry no type: without this, 3100 declared
 * `double` would reach the graph as an Integer. Properties not named are sent as the driver sees fit.
 */
export type NumericType = 'int' | 'long' | 'double';
export const NUMERIC_TYPES: readonly NumericType[] = ['int', 'long', 'double'];

/** Identifies one vertex: its label and the value of its key property. */
export interface VertexRef {
  label: string;
  /** The key property's name, e.g. "customerId". */
  key: string;
  /** The key property's value. */
  value: string | number;
}

export interface VertexUpsert extends VertexRef {
  /** Properties to set (the key property is implied and need not be repeated). */
  properties: Record<string, PropertyValue>;
  /** Per-property cardinality; a property not named here is `single`. */
  cardinality?: Record<string, Cardinality>;
  /** Properties to remove from the vertex (a CDC column set to NULL); never also in `properties`. */
  remove?: string[];
  /** Per-property merge rule with the value already in the graph; a property not named here is last-write-wins. */
  merge?: Record<string, MergeRule>;
  /** Declared number types of properties (the key property included). */
  types?: Record<string, NumericType>;
}

/**
 * How a write meets a value already stored: `first` keeps an existing value (createdAt, firstSeen), `max`/`min` keep
 * the larger/smaller (lastSeen). Applied by the server in the same request, never by reading first.
 */
export type MergeRule = 'first' | 'max' | 'min';

/** Two writes of one property in arrival order (within an event or a batch) keep what its rule keeps in the graph. */
export function mergeInBatch(
  rule: MergeRule | undefined,
  before: PropertyValue | undefined,
  next: PropertyValue,
): PropertyValue {
  if (before === undefined || rule === undefined) return next;
  if (rule === 'first') return before;
  if (rule === 'max') return next > before ? next : before;
  return next < before ? next : before;
}

export interface EdgeKey {
  /** The edge property that tells multi-edges apart, e.g. "lineNo". */
  name: string;
  value: string | number;
}

export interface EdgeUpsert {
  label: string;
  from: VertexRef;
  to: VertexRef;
  /** Present for multi-edges: the edge is unique by label + endpoints + this key. */
  key?: EdgeKey;
  properties: Record<string, PropertyValue>;
  merge?: Record<string, MergeRule>;
  /** 'skip': when an endpoint vertex does not exist, the edge is left out instead of failing its event. */
  ifMissing?: 'skip';
  /** Declared number types of properties (the edge key included). */
  types?: Record<string, NumericType>;
}

/** Removes a vertex with all its edges (a CDC delete). */
export interface VertexDelete extends VertexRef {
  kind: 'vertex';
}

/** Removes one edge (label + endpoints, and the edge key when given). */
export interface EdgeDelete {
  kind: 'edge';
  label: string;
  from: VertexRef;
  to: VertexRef;
  key?: EdgeKey;
}

export type Delete = VertexDelete | EdgeDelete;

/** Where an event came from, so that errors and dead letters can name it. */
export interface EventRef {
  topic?: string;
  partition?: number;
  /** Kafka offsets are int64: kept as decimal strings. */
  offset?: string;
  key?: string | null;
  /** Position of the event in its message's payload array (batch mode). */
  index?: number;
  /**
   * The partition lease under which kafka in handed the event out (lib/kafka/partition-leases): once the partition
   * moved to another member, gremlin upsert leaves the event to its new owner instead of writing it late.
   */
  lease?: number;
}

export interface ChangeSet {
  vertices: VertexUpsert[];
  edges: EdgeUpsert[];
  /** Applied in order with the upserts of the same event: deletes of an event come after its upserts. */
  deletes: Delete[];
  /** Where the event came from, when known. */
  source?: EventRef;
}

/** Labels, property keys and edge-key names must match this: they are never taken as raw event text. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function isIdentifier(s: unknown): s is string {
  return typeof s === 'string' && IDENTIFIER.test(s);
}

/** "customer:customerId=C-17": a readable, unique name for a vertex (also used as a map key). */
export function vertexId(v: VertexRef): string {
  return `${v.label}:${v.key}=${typeof v.value}:${v.value}`;
}

/**
 * JanusGraph's guard for keyed edges (several edges per endpoint pair, told apart by their key): JanusGraph cannot put
 * a unique index on edges, so each keyed edge has an identity vertex (this label, property `key` = edgeId(edge))
 * under a unique composite index with LOCK, merged in the edge's own transaction. Two writers creating the same edge
 * at once both create its identity: the second commit is refused by the lock and retried, and the retry matches.
 */
export const EDGE_IDENTITY = { label: 'edgeIdentity', key: 'edgeId' } as const;

/** A readable, unique name for an edge: label, endpoints and edge key. */
export function edgeId(e: { label: string; from: VertexRef; to: VertexRef; key?: EdgeKey }): string {
  const key = e.key ? `#${e.key.name}=${typeof e.key.value}:${e.key.value}` : '';
  return `${vertexId(e.from)}-[${e.label}${key}]->${vertexId(e.to)}`;
}

/** Describes an event for error messages: "customer.orders[2]@1234" or "event #3". */
export function describeEvent(ref: EventRef | undefined, fallbackIndex?: number): string {
  if (ref && ref.topic !== undefined) {
    const where = `${ref.topic}${ref.partition !== undefined ? `[${ref.partition}]` : ''}${ref.offset !== undefined ? `@${ref.offset}` : ''}`;
    return ref.index !== undefined ? `${where} (item ${ref.index})` : where;
  }
  const i = ref?.index ?? fallbackIndex;
  return i !== undefined ? `event #${i}` : 'event';
}
