/*
 * The one adapter between kafkajs' logger and ours (the kafka broker config node, demo:produce, scripts). kafkajs logs
 * JSON lines at ERROR for things it retries by itself a moment later (a coordinator still loading on a fresh broker, a
 * topic being auto-created, a leader election); a person reads those as failures. So: warn and above only, retried
 * conditions (by kafkajs's own table of broker errors, lib/kafka/kafka-errors.ts) demoted to debug, and every line worded as a sentence — "kafka: <what> (<detail>)" — not JSON.
 */
import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { isSelfHealingBrokerMessage } from './kafka-errors';

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';
export type KafkaLogSink = (level: KafkaLogLevel, text: string) => void;

/**
 * kafkajs logs an error by its message only: as `error` beside its own sentence, or inside "Crash: <name>: <message>"
 * when a consumer crashed. The broker error's message, if the entry carries one.
 */
function brokerMessages(message: string, error: unknown): string[] {
  const out = typeof error === 'string' ? [error] : [];
  const afterName = message.startsWith('Crash: ') ? message.indexOf(': ', 'Crash: '.length) : -1;
  if (afterName > 0) out.push(message.slice(afterName + 2));
  return out;
}

/** Turns a kafkajs log entry into one line for a person, with the level it deserves. */
export function describeKafkaLog(entry: LogEntry): { level: KafkaLogLevel; text: string } {
  const { message, error, broker, retryCount, retryTime, groupId, topic } = entry.log as Record<string, unknown> & {
    message: string;
  };
  // "Response Metadata(key: 3, version: 6)" + error: the error is the news, the request only where it came from.
  const response = /^Response (\w+)\(/.exec(message);
  const headline = response && error !== undefined ? String(error) : message;
  const detail = [
    response && error !== undefined
      ? `answer to ${response[1]}`
      : error !== undefined && error !== message
        ? String(error)
        : '',
    broker ? `broker ${broker}` : '',
    groupId ? `group ${groupId}` : '',
    topic ? `topic ${topic}` : '',
    retryCount !== undefined ? `retry ${retryCount}${retryTime !== undefined ? ` in ${retryTime} ms` : ''}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const text = `kafka: ${headline.replace(/\.$/, '')}${detail ? ` (${detail})` : ''}`;
  // Retried conditions: kafkajs counts the retry, or the broker's answer is one kafkajs deals with by itself.
  const transient = retryCount !== undefined || brokerMessages(message, error).some(isSelfHealingBrokerMessage);
  let level: KafkaLogLevel;
  switch (entry.level) {
    case logLevel.ERROR:
      level = transient ? 'debug' : 'error';
      break;
    case logLevel.WARN:
      level = transient ? 'debug' : 'warn';
      break;
    case logLevel.INFO:
      level = 'info';
      break;
    default:
      level = 'debug';
  }
  return { level, text };
}

/**
 * A kafkajs logCreator that hands entries at warn and above (kafkajs' own filter: logLevel.WARN) to sink, worded and
 * levelled by describeKafkaLog. Pass it together with `logLevel: logLevel.WARN` in the client config: kafkaClientLogging().
 */
export function kafkaLogCreator(sink: KafkaLogSink): logCreator {
  return () => (entry: LogEntry) => {
    const { level, text } = describeKafkaLog(entry);
    sink(level, text);
  };
}

/** The logging part of a kafkajs client config: warn and above, through sink. */
export function kafkaClientLogging(sink: KafkaLogSink): { logLevel: logLevel; logCreator: logCreator } {
  return { logLevel: logLevel.WARN, logCreator: kafkaLogCreator(sink) };
}

/**
 * Drops a line that repeats one passed within the last `ms` (kafkajs repeats a connection error on every retry; the
 * nodes' own status already says it is still failing). Debug lines always pass.
 */
export function withoutRepeats(sink: KafkaLogSink, ms = 60000, now: () => number = Date.now): KafkaLogSink {
  const seen = new Map<string, number>();
  return (level, text) => {
    if (level !== 'debug') {
      const t = now();
      const last = seen.get(text);
      if (last !== undefined && t - last < ms) return;
      seen.set(text, t);
      if (seen.size > 200) seen.delete(seen.keys().next().value as string);
    }
    sink(level, text);
  };
}

/** The sink scripts use (demo:produce, bench): warnings and errors on stderr, the rest dropped. */
export const stderrKafkaLog: KafkaLogSink = (level, text) => {
  if (level === 'error' || level === 'warn') process.stderr.write(`[${level}] ${text}\n`);
};
