/*
 * Lineage (opt-in per graph map): every vertex and edge a change set writes carries where its last write came from,
 * as properties with a reserved prefix, so "why is this edge here?" has an answer in the graph itself. The upsert
 * sets them on create and on match, so they always name the latest write.
 */
import type { ChangeSet, EventRef, PropertyValue } from './change-set';

export const LINEAGE_PREFIX = '_ceh_';

export const LINEAGE_KEYS = {
  topic: `${LINEAGE_PREFIX}topic`,
  partition: `${LINEAGE_PREFIX}partition`,
  offset: `${LINEAGE_PREFIX}offset`,
  eventTime: `${LINEAGE_PREFIX}eventTime`,
  mapping: `${LINEAGE_PREFIX}mapping`,
} as const;

/** True for property names the pack reserves for lineage (a mapping must not write them itself). */
export function isLineageKey(name: string): boolean {
  return name.startsWith(LINEAGE_PREFIX);
}

/**
 * The lineage properties of one event: its Kafka position when known (offsets stay decimal strings: int64), the
 * event time as ISO-8601 (Kafka timestamps are epoch milliseconds), and the graph map that wrote it.
 */
export function lineageProperties(
  ref: EventRef | undefined,
  eventTime: unknown,
  mapping: string,
): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = { [LINEAGE_KEYS.mapping]: mapping };
  if (ref?.topic !== undefined) out[LINEAGE_KEYS.topic] = ref.topic;
  if (ref?.partition !== undefined) out[LINEAGE_KEYS.partition] = ref.partition;
  if (ref?.offset !== undefined) out[LINEAGE_KEYS.offset] = ref.offset;
  const ms =
    typeof eventTime === 'string' && /^\d+$/.test(eventTime)
      ? Number(eventTime)
      : typeof eventTime === 'number'
        ? eventTime
        : NaN;
  if (Number.isFinite(ms)) out[LINEAGE_KEYS.eventTime] = new Date(ms).toISOString();
  return out;
}

/** Adds the lineage properties to every vertex and edge upsert of a change set (in place; returns it). */
export function addLineage(cs: ChangeSet, lineage: Record<string, PropertyValue>): ChangeSet {
  for (const v of cs.vertices) Object.assign(v.properties, lineage);
  for (const e of cs.edges) Object.assign(e.properties, lineage);
  return cs;
}

/** The event time of event i of a message from kafka in (msg.kafka: one record, or a batch with timestamps[]). */
export function eventTimeOf(kafka: unknown, i: number): unknown {
  if (!kafka || typeof kafka !== 'object') return undefined;
  const k = kafka as { timestamp?: unknown; timestamps?: unknown[] };
  return Array.isArray(k.timestamps) ? k.timestamps[i] : k.timestamp;
}
