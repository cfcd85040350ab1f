/*
 * Dead letters: the record `kafka out` publishes in dead-letter mode for a message that reached an error output or a
 * Catch node. The value is the ORIGINAL event (msg.event, which graph map and gremlin upsert keep, else msg.payload:
 * kafka in's undecodable record is its raw bytes), never the change set; the reason and the event's origin travel as
 * headers, so the topic can be read, inspected and replayed without a function node.
 */
import { encodeKey, encodeValue } from './codec';
import { isObject } from '../object';

/** Header names of a dead letter (all text). */
export const DEAD_LETTER_HEADERS = {
  reason: 'ceh-error',
  definition: 'ceh-error-definition',
  field: 'ceh-error-field',
  topic: 'ceh-source-topic',
  partition: 'ceh-source-partition',
  offset: 'ceh-source-offset',
  index: 'ceh-source-index',
  nodeId: 'ceh-failed-node-id',
  nodeType: 'ceh-failed-node-type',
  nodeName: 'ceh-failed-node-name',
  failedAt: 'ceh-failed-at',
} as const;

/** Kafka header values are small: a reason longer than this is cut (the event itself is the value). */
const MAX_REASON = 4000;

export interface DeadLetterRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, string>;
}

const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));

/**
 * Builds the dead letter for a failed message. Where the event came from: msg.error.event (graph map, gremlin
 * upsert: names the record even in batch mode), else msg.kafka of a per-record message. The failing node:
 * msg.error.source ({ id, type, name }: set by our nodes and by Node-RED's Catch node alike).
 */
export function deadLetterRecord(msg: Record<string, unknown>, now: Date = new Date()): DeadLetterRecord {
  const error = isObject(msg.error) ? msg.error : {};
  const kafka = isObject(msg.kafka) ? msg.kafka : {};
  const perRecord = !Array.isArray(kafka.offsets);
  const origin: Record<string, unknown> =
    isObject(error.event) && Object.keys(error.event).length ? error.event : perRecord ? kafka : {};
  const headers: Record<string, string> = {};
  // The source record's own headers survive (per-record messages only: a batch message holds many records' headers).
  if (perRecord && isObject(kafka.headers))
    for (const [k, v] of Object.entries(kafka.headers)) if (!k.startsWith('ceh-')) headers[k] = text(v);
  const H = DEAD_LETTER_HEADERS;
  const reason = text(error.message) || 'unknown error (the message carried no msg.error)';
  headers[H.reason] = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 3)}...` : reason;
  if (error.definition) headers[H.definition] = text(error.definition);
  if (error.field) headers[H.field] = text(error.field);
  if (origin.topic !== undefined) headers[H.topic] = text(origin.topic);
  if (origin.partition !== undefined) headers[H.partition] = text(origin.partition);
  if (origin.offset !== undefined) headers[H.offset] = text(origin.offset);
  if (origin.index !== undefined) headers[H.index] = text(origin.index);
  const source = isObject(error.source) ? error.source : {};
  if (source.id) headers[H.nodeId] = text(source.id);
  if (source.type) headers[H.nodeType] = text(source.type);
  if (source.name) headers[H.nodeName] = text(source.name);
  headers[H.failedAt] = now.toISOString();
  const event = msg.event !== undefined ? msg.event : msg.payload;
  const key = 'key' in origin ? origin.key : null;
  return { key: encodeKey(key), value: encodeValue(event), headers };
}

/**
 * A dead letter that was not written: the event reached neither the graph nor the dead-letter topic. kafka out raises
 * it in dead-letter mode for every failure (broker refused or unreachable, queue full, bad settings); kafka in never
 * commits past such a record, whatever its error setting: it stops the record's partition there, as with "stop the
 * partition", so the record is consumed again after the next deploy or restart instead of being lost.
 */
export class DeadLetterNotWritten extends Error {
  override readonly name = 'DeadLetterNotWritten';
  /** Marks the error for kafka in across module copies (Node-RED may load the pack's modules more than once). */
  readonly holdsOffset = true;
}

/** Whether an error says the event was not secured anywhere, so its offset must not be committed. */
export function holdsOffset(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { holdsOffset?: unknown }).holdsOffset === true;
}
