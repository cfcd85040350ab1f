/*
 * Turns the change sets of one batch into a write plan: duplicates collapsed (last write wins per vertex and edge, in
 * arrival order), deletes kept in order with the upserts of the same key, every planned item remembering which events
 * it came from so a failure can be reported against those events only.
 *
 * Phases run in this order: deletes, vertex upserts, edge upserts. That order is equivalent to arrival order because
 * an upsert that came before a delete of the same key is dropped from the plan (the delete supersedes it), and an
 * upsert that came after it is applied after the delete.
 */
import {
  ChangeSet,
  VertexRef,
  PropertyValue,
  EdgeKey,
  NumericType,
  NUMERIC_TYPES,
  MergeRule,
  isIdentifier,
  vertexId,
  edgeId,
  describeEvent,
  mergeInBatch,
} from '../change-set';

/**
 * `types`: declared number types by property name (the key included), sent as those Java types. `multi`: properties
 * with list or set cardinality; their array value REPLACES the vertex's values of that key (replaying an event adds
 * no second copy; a changed list leaves only the new values). `remove`: properties to drop (a CDC column set to
 * NULL), disjoint from `properties`, dropped before the merge.
 */
export interface PlannedVertex {
  ref: VertexRef;
  properties: Record<string, PropertyValue>;
  types: Record<string, NumericType>;
  merge?: Record<string, MergeRule>;
  multi: Record<string, 'list' | 'set'>;
  remove?: string[];
  events: number[];
}
export interface PlannedEdge {
  label: string;
  from: VertexRef;
  to: VertexRef;
  key?: EdgeKey;
  properties: Record<string, PropertyValue>;
  types: Record<string, NumericType>;
  merge?: Record<string, MergeRule>;
  /** Left out (not failed) when an endpoint vertex does not exist. */
  skipIfMissing?: boolean;
  events: number[];
}

const MERGE_RULES: readonly string[] = ['first', 'max', 'min'];

function checkMerge(where: string, field: string, merge: unknown, props: Record<string, unknown> | undefined): void {
  if (merge === undefined) return;
  if (!merge || typeof merge !== 'object' || Array.isArray(merge))
    throw new InvalidChangeSetError(`${where}: ${field} must be an object`, field);
  for (const [k, r] of Object.entries(merge)) {
    if (!MERGE_RULES.includes(r as string))
      throw new InvalidChangeSetError(
        `${where}: ${field}.${k} must be first, max or min (last write wins needs no rule)`,
        `${field}.${k}`,
      );
    if (!isIdentifier(k))
      throw new InvalidChangeSetError(
        `${where}: ${field} name ${JSON.stringify(k)} is not an identifier`,
        `${field}.${k}`,
      );
    if ((r === 'max' || r === 'min') && props && Array.isArray(props[k]))
      throw new InvalidChangeSetError(
        `${where}: ${field}.${k}: ${r} needs a single value, not a list`,
        `${field}.${k}`,
      );
  }
}
export interface PlannedVertexDelete {
  ref: VertexRef;
  events: number[];
}
export interface PlannedEdgeDelete {
  label: string;
  from: VertexRef;
  to: VertexRef;
  key?: EdgeKey;
  events: number[];
}

export interface WritePlan {
  vertexDeletes: PlannedVertexDelete[];
  edgeDeletes: PlannedEdgeDelete[];
  vertices: PlannedVertex[];
  edges: PlannedEdge[];
}

/** A change set that cannot be written as it is; names the event and the field. */
export class InvalidChangeSetError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'InvalidChangeSetError';
  }
}

function checkValue(where: string, field: string, v: unknown): void {
  const scalar = (x: unknown) =>
    typeof x === 'string' || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x));
  if (scalar(v)) return;
  if (Array.isArray(v) && v.every(scalar)) return;
  throw new InvalidChangeSetError(
    `${where}: ${field} must be a string, a finite number, a boolean or an array of them`,
    field,
  );
}

function checkRef(where: string, field: string, r: VertexRef | undefined): void {
  if (!r || typeof r !== 'object') throw new InvalidChangeSetError(`${where}: ${field} is missing`, field);
  if (!isIdentifier(r.label))
    throw new InvalidChangeSetError(
      `${where}: ${field}.label ${JSON.stringify(r.label)} is not an identifier`,
      `${field}.label`,
    );
  if (!isIdentifier(r.key))
    throw new InvalidChangeSetError(
      `${where}: ${field}.key ${JSON.stringify(r.key)} is not an identifier`,
      `${field}.key`,
    );
  if (!(typeof r.value === 'string' || (typeof r.value === 'number' && Number.isFinite(r.value)))) {
    throw new InvalidChangeSetError(`${where}: ${field}.value must be a string or a finite number`, `${field}.value`);
  }
}

function checkProperties(
  where: string,
  field: string,
  props: unknown,
  cardinality?: Record<string, string>,
  key?: VertexRef,
): void {
  if (props === undefined) return;
  if (!props || typeof props !== 'object' || Array.isArray(props))
    throw new InvalidChangeSetError(`${where}: ${field} must be an object`, field);
  for (const [k, v] of Object.entries(props)) {
    if (!isIdentifier(k))
      throw new InvalidChangeSetError(
        `${where}: ${field} name ${JSON.stringify(k)} is not an identifier`,
        `${field}.${k}`,
      );
    checkValue(where, `${field}.${k}`, v);
    const c = cardinality?.[k];
    if (c !== undefined && c !== 'single' && c !== 'list' && c !== 'set') {
      throw new InvalidChangeSetError(
        `${where}: ${field}.${k} has cardinality ${JSON.stringify(c)} (single, list or set)`,
        `${field}.${k}`,
      );
    }
    if (key && k === key.key && c && c !== 'single') {
      throw new InvalidChangeSetError(
        `${where}: ${field}.${k} is the vertex key: it must have single cardinality`,
        `${field}.${k}`,
      );
    }
    if (key && k === key.key && v !== key.value) {
      throw new InvalidChangeSetError(
        `${where}: ${field}.${k} would change the vertex key (${JSON.stringify(key.value)} → ${JSON.stringify(v)})`,
        `${field}.${k}`,
      );
    }
  }
}

function checkTypes(where: string, field: string, types: unknown): void {
  if (types === undefined) return;
  if (!types || typeof types !== 'object' || Array.isArray(types))
    throw new InvalidChangeSetError(`${where}: ${field} must be an object`, field);
  for (const [k, t] of Object.entries(types)) {
    if (!isIdentifier(k))
      throw new InvalidChangeSetError(
        `${where}: ${field} name ${JSON.stringify(k)} is not an identifier`,
        `${field}.${k}`,
      );
    if (!NUMERIC_TYPES.includes(t as NumericType))
      throw new InvalidChangeSetError(
        `${where}: ${field}.${k} must be one of ${NUMERIC_TYPES.join(', ')}`,
        `${field}.${k}`,
      );
  }
}

function checkEdgeKey(where: string, field: string, key: EdgeKey | undefined): void {
  if (key === undefined) return;
  if (!key || !isIdentifier(key.name))
    throw new InvalidChangeSetError(`${where}: ${field}.name is not an identifier`, `${field}.name`);
  if (!(typeof key.value === 'string' || (typeof key.value === 'number' && Number.isFinite(key.value)))) {
    throw new InvalidChangeSetError(`${where}: ${field}.value must be a string or a finite number`, `${field}.value`);
  }
}

/** Throws InvalidChangeSetError naming the event and the field when a change set cannot be written. */
export function validateChangeSet(cs: ChangeSet, index?: number): void {
  const where = describeEvent(cs?.source, index);
  if (!cs || typeof cs !== 'object')
    throw new InvalidChangeSetError(`${where}: the change set is not an object`, 'payload');
  for (const name of ['vertices', 'edges', 'deletes'] as const) {
    if (cs[name] !== undefined && !Array.isArray(cs[name]))
      throw new InvalidChangeSetError(`${where}: ${name} must be an array`, name);
  }
  (cs.vertices ?? []).forEach((v, i) => {
    checkRef(where, `vertices[${i}]`, v);
    checkProperties(where, `vertices[${i}].properties`, v.properties, v.cardinality, v);
    checkMerge(where, `vertices[${i}].merge`, v.merge, v.properties);
    checkTypes(where, `vertices[${i}].types`, v.types);
    if (v.remove !== undefined) {
      if (!Array.isArray(v.remove))
        throw new InvalidChangeSetError(
          `${where}: vertices[${i}].remove must be an array of property names`,
          `vertices[${i}].remove`,
        );
      v.remove.forEach((k, j) => {
        if (!isIdentifier(k) || k === v.key)
          throw new InvalidChangeSetError(
            `${where}: vertices[${i}].remove[${j}] ${JSON.stringify(k)} is not a removable property name`,
            `vertices[${i}].remove[${j}]`,
          );
      });
    }
  });
  (cs.edges ?? []).forEach((e, i) => {
    if (!e || !isIdentifier(e.label))
      throw new InvalidChangeSetError(`${where}: edges[${i}].label is not an identifier`, `edges[${i}].label`);
    checkRef(where, `edges[${i}].from`, e.from);
    checkRef(where, `edges[${i}].to`, e.to);
    checkEdgeKey(where, `edges[${i}].key`, e.key);
    checkProperties(where, `edges[${i}].properties`, e.properties);
    checkMerge(where, `edges[${i}].merge`, e.merge, e.properties);
    if (e.ifMissing !== undefined && e.ifMissing !== 'skip')
      throw new InvalidChangeSetError(
        `${where}: edges[${i}].ifMissing must be "skip" (or left out: a missing endpoint fails the event)`,
        `edges[${i}].ifMissing`,
      );
    checkTypes(where, `edges[${i}].types`, e.types);
    if (e.key && e.properties && e.key.name in e.properties && e.properties[e.key.name] !== e.key.value) {
      throw new InvalidChangeSetError(
        `${where}: edges[${i}].properties.${e.key.name} would change the edge key`,
        `edges[${i}].properties.${e.key.name}`,
      );
    }
  });
  (cs.deletes ?? []).forEach((d, i) => {
    if (d?.kind === 'vertex') checkRef(where, `deletes[${i}]`, d);
    else if (d?.kind === 'edge') {
      if (!isIdentifier(d.label))
        throw new InvalidChangeSetError(`${where}: deletes[${i}].label is not an identifier`, `deletes[${i}].label`);
      checkRef(where, `deletes[${i}].from`, d.from);
      checkRef(where, `deletes[${i}].to`, d.to);
      checkEdgeKey(where, `deletes[${i}].key`, d.key);
    } else
      throw new InvalidChangeSetError(`${where}: deletes[${i}].kind must be "vertex" or "edge"`, `deletes[${i}].kind`);
  });
}

const refOf = (r: VertexRef): VertexRef => ({ label: r.label, key: r.key, value: r.value });

/** Builds the plan for change sets that passed validateChangeSet; `events[i]` is the batch position of changeSets[i]. */
export function planBatch(changeSets: ChangeSet[], events: number[] = changeSets.map((_, i) => i)): WritePlan {
  const vertices = new Map<string, PlannedVertex>();
  const edges = new Map<string, PlannedEdge>();
  const vertexDeletes = new Map<string, PlannedVertexDelete>();
  const edgeDeletes = new Map<string, PlannedEdgeDelete>();
  const addEvent = (list: number[], ev: number) => {
    if (list[list.length - 1] !== ev) list.push(ev);
  };

  changeSets.forEach((cs, n) => {
    const ev = events[n];
    for (const v of cs.vertices ?? []) {
      const id = vertexId(v);
      let p = vertices.get(id);
      if (!p) {
        p = { ref: refOf(v), properties: {}, types: {}, multi: {}, events: [] };
        vertices.set(id, p);
      }
      if (v.merge) p.merge = { ...p.merge, ...v.merge };
      for (const [k, val] of Object.entries(v.properties ?? {})) {
        if (k === v.key) continue;
        const c = v.cardinality?.[k];
        if (c === 'list' || c === 'set') {
          p.multi[k] = c;
          p.properties[k] = Array.isArray(val) ? val : [val];
        } else {
          delete p.multi[k];
          p.properties[k] = mergeInBatch(p.merge?.[k], p.properties[k], val);
        }
      }
      Object.assign(p.types, v.types);
      // A later write of a removed property wins over the removal, and a later removal over earlier writes.
      if (p.remove) p.remove = p.remove.filter((k) => !(k in p!.properties));
      if (v.remove?.length) {
        for (const k of v.remove) {
          delete p.properties[k];
          delete p.types[k];
          delete p.multi[k];
        }
        p.remove = [...new Set([...(p.remove ?? []), ...v.remove])].filter((k) => !(k in (v.properties ?? {})));
      }
      addEvent(p.events, ev);
    }
    for (const e of cs.edges ?? []) {
      const id = edgeId(e);
      let p = edges.get(id);
      if (!p) {
        p = { label: e.label, from: refOf(e.from), to: refOf(e.to), properties: {}, types: {}, events: [] };
        if (e.key) p.key = { name: e.key.name, value: e.key.value };
        // Skippable only when every event writing it said so: one that wants it failing on a missing endpoint wins.
        if (e.ifMissing === 'skip') p.skipIfMissing = true;
        edges.set(id, p);
      } else if (e.ifMissing !== 'skip') delete p.skipIfMissing;
      if (e.merge) p.merge = { ...p.merge, ...e.merge };
      for (const [k, val] of Object.entries(e.properties ?? {}))
        if (k !== e.key?.name) p.properties[k] = mergeInBatch(p.merge?.[k], p.properties[k], val);
      Object.assign(p.types, e.types);
      addEvent(p.events, ev);
    }
    for (const d of cs.deletes ?? []) {
      if (d.kind === 'vertex') {
        const id = vertexId(d);
        let del = vertexDeletes.get(id);
        if (!del) {
          del = { ref: refOf(d), events: [] };
          vertexDeletes.set(id, del);
        }
        // Earlier upserts of this vertex and of edges touching it are superseded: the delete removes them anyway.
        const superseded = vertices.get(id);
        if (superseded) {
          superseded.events.forEach((x) => addEvent(del!.events, x));
          vertices.delete(id);
        }
        for (const [eid, e] of edges) {
          if (vertexId(e.from) === id || vertexId(e.to) === id) {
            e.events.forEach((x) => addEvent(del!.events, x));
            edges.delete(eid);
          }
        }
        addEvent(del.events, ev);
      } else {
        const id = edgeId(d);
        let del = edgeDeletes.get(id);
        if (!del) {
          del = { label: d.label, from: refOf(d.from), to: refOf(d.to), events: [] };
          if (d.key) del.key = { name: d.key.name, value: d.key.value };
          edgeDeletes.set(id, del);
        }
        const superseded = edges.get(id);
        if (superseded) {
          superseded.events.forEach((x) => addEvent(del!.events, x));
          edges.delete(id);
        }
        addEvent(del.events, ev);
      }
    }
  });
  const sortEvents = <T extends { events: number[] }>(xs: T[]) =>
    xs.map((x) => ({ ...x, events: [...new Set(x.events)].sort((a, b) => a - b) }));
  return {
    vertexDeletes: sortEvents([...vertexDeletes.values()]),
    edgeDeletes: sortEvents([...edgeDeletes.values()]),
    vertices: sortEvents([...vertices.values()]),
    edges: sortEvents([...edges.values()]),
  };
}
