/*
 * A Kafka setting the pack cannot use, as a code and its data: the Node-RED side words it in the runtime's language
 * (nodes/shared/texts.ts); the message stays English for everyone else (scripts, tests, the bench).
 */
export type KafkaConfigProblem =
  | { code: 'no-brokers' }
  | { code: 'broker-not-host-port'; broker: string }
  | { code: 'timeout-not-positive'; field: 'connectionTimeout' | 'requestTimeout'; value: string }
  | { code: 'unknown-sasl'; mechanism: string }
  | { code: 'sasl-username'; mechanism: string }
  | { code: 'no-topic' }
  | { code: 'bad-topic-pattern'; message: string }
  | { code: 'session-timeout'; value: number }
  | { code: 'heartbeat'; value: number }
  | { code: 'heartbeat-vs-session'; heartbeatMs: number; sessionTimeoutMs: number }
  | { code: 'max-in-flight'; value: number };

function englishOf(p: KafkaConfigProblem): string {
  switch (p.code) {
    case 'no-brokers':
      return 'no brokers configured (expected host:port[, host:port...])';
    case 'broker-not-host-port':
      return `broker "${p.broker}" is not host:port`;
    case 'timeout-not-positive':
      return `${p.field === 'connectionTimeout' ? 'connection timeout' : 'request timeout'} must be a whole number of milliseconds > 0, got "${p.value}"`;
    case 'unknown-sasl':
      return `unknown SASL mechanism "${p.mechanism}"`;
    case 'sasl-username':
      return `SASL ${p.mechanism} needs a username (credentials)`;
    case 'no-topic':
      return 'no topic configured';
    case 'bad-topic-pattern':
      return `topic pattern is not a valid regular expression: ${p.message}`;
    case 'session-timeout':
      return `session timeout must be a whole number of ms >= 1000, got ${p.value}`;
    case 'heartbeat':
      return `heartbeat interval must be a whole number of ms >= 100, got ${p.value}`;
    case 'heartbeat-vs-session':
      return `heartbeat interval (${p.heartbeatMs} ms) must be at most a third of the session timeout (${p.sessionTimeoutMs} ms)`;
    case 'max-in-flight':
      return `maxInFlight must be a whole number >= 1, got ${p.value}`;
  }
}

export class KafkaConfigError extends Error {
  constructor(
    readonly problem: KafkaConfigProblem,
    options?: { cause?: unknown },
  ) {
    super(englishOf(problem), options);
    this.name = 'KafkaConfigError';
  }
}
