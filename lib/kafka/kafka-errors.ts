/*
 * Kafka errors classified by kafkajs's own types, not by our reading of their text. kafkajs throws typed errors
 * (KafkaJSProtocolError carries the broker's error `type` and kafkajs's `retriable` verdict) and wraps them when it
 * gives up (KafkaJSNumberOfRetriesExceeded, KafkaJSNonRetriableError), with the original as `cause`. Two places keep
 * only an error's message: a few wraps (`new KafkaJSError(e)` around a rebalance) and its log lines (`error:
 * e.message`); there the message is looked up in kafkajs's own table of broker errors, never matched by a pattern.
 */

interface BrokerErrorInfo {
  type: string;
  code: number;
  retriable: boolean;
  message: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- kafkajs publishes its broker error table only in src/, untyped
const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: BrokerErrorInfo[] };

const BY_TYPE = new Map(errorCodes.map((e) => [e.type, e]));
const BY_MESSAGE = new Map(errorCodes.map((e) => [e.message, e]));

/** kafkajs's entry for a broker error type ("UNKNOWN_TOPIC_OR_PARTITION"), as its KafkaJSProtocolError carries it. */
export function brokerError(type: string): BrokerErrorInfo {
  const e = BY_TYPE.get(type);
  if (!e) throw new Error(`kafkajs knows no broker error ${type}`);
  return e;
}

interface ErrorLike {
  name?: string;
  type?: string;
  retriable?: boolean;
  message?: string;
  cause?: unknown;
}

/** The error and its causes, outermost first. */
export function causeChain(e: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let err = e; err && typeof err === 'object' && chain.length < 10; err = (err as ErrorLike).cause) {
    if (chain.includes(err as ErrorLike)) break;
    chain.push(err as ErrorLike);
  }
  return chain;
}

/** The broker's error type somewhere along the chain: a protocol error's own, or the one whose message a wrap kept. */
export function brokerErrorType(e: unknown): string | undefined {
  for (const err of causeChain(e)) {
    if (typeof err.type === 'string' && BY_TYPE.has(err.type)) return err.type;
    const byMessage = typeof err.message === 'string' ? BY_MESSAGE.get(err.message) : undefined;
    if (byMessage) return byMessage.type;
  }
  return undefined;
}

/** The broker does not have the topic (or is still creating it). */
export function isUnknownTopic(e: unknown): boolean {
  return brokerErrorType(e) === 'UNKNOWN_TOPIC_OR_PARTITION';
}

/**
 * A broker answer kafkajs deals with by itself a moment later (log lines about it are noise to a person): one it
 * marks retriable (a coordinator loading, a leader being elected, a topic being created), or a rebalance, which
 * kafkajs answers by rejoining. Takes the message a kafkajs log line carries.
 */
export function isSelfHealingBrokerMessage(message: string): boolean {
  const e = BY_MESSAGE.get(message);
  return e !== undefined && (e.retriable || e.type === 'REBALANCE_IN_PROGRESS');
}
