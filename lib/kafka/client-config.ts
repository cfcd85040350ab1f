/*
 * Builds the kafkajs client configuration from a broker config node's settings and credentials. Secrets only ever
 * come from credentials; file paths (CA) are read by the caller-supplied reader so this stays testable.
 */
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { TlsOptions } from '../tls-options';
import { KafkaConfigError } from './config-problem';

export type SaslMechanism = 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface BrokerSettings {
  brokers: string;
  /** A configuration mistake the node found (e.g. a tls-config node that is not deployed): every client use fails with it. */
  error?: string;
  clientId?: string;
  connectionTimeout?: number | string;
  requestTimeout?: number | string;
  tls?: boolean;
  /** The TLS options of a tls-config node; without them, the settings of before (caFile, rejectUnauthorized, PEM credentials). */
  tlsOptions?: TlsOptions;
  /** Before tls-config: path of a PEM CA bundle (alternative to the `ca` credential). */
  caFile?: string;
  /** Before tls-config. */
  rejectUnauthorized?: boolean;
  sasl?: SaslMechanism | string;
}

export interface BrokerCredentials {
  username?: string;
  password?: string;
  /** PEM texts (before tls-config). */
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
}

export function parseBrokers(brokers: string): string[] {
  const list = String(brokers || '')
    .split(/[\s,]+/)
    .map((b) => b.trim())
    .filter(Boolean);
  if (list.length === 0) throw new KafkaConfigError({ code: 'no-brokers' });
  for (const b of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b))
      throw new KafkaConfigError({ code: 'broker-not-host-port', broker: b });
  }
  return list;
}

function positiveInt(
  v: number | string | undefined,
  field: 'connectionTimeout' | 'requestTimeout',
  fallback: number,
): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new KafkaConfigError({ code: 'timeout-not-positive', field, value: String(v) });
  return n;
}

export function buildClientConfig(
  s: BrokerSettings,
  c: BrokerCredentials,
  readFile: (path: string) => string,
): KafkaConfig {
  if (s.error) throw new Error(s.error);
  const config: KafkaConfig = {
    brokers: parseBrokers(s.brokers),
    clientId: s.clientId || 'node-red-ceh',
    connectionTimeout: positiveInt(s.connectionTimeout, 'connectionTimeout', 10000),
    requestTimeout: positiveInt(s.requestTimeout, 'requestTimeout', 30000),
    // Keep retrying for a broker restart instead of giving up after kafkajs's default ~30 s.
    retry: { initialRetryTime: 300, maxRetryTime: 10000, retries: 10 },
  };
  if (s.tls && s.tlsOptions) {
    config.ssl = { ...s.tlsOptions, rejectUnauthorized: s.tlsOptions.rejectUnauthorized !== false };
  } else if (s.tls) {
    const ca = c.ca && c.ca.trim() ? c.ca : s.caFile ? readFile(s.caFile) : undefined;
    config.ssl = {
      rejectUnauthorized: s.rejectUnauthorized !== false,
      ...(ca ? { ca: [ca] } : {}),
      ...(c.cert ? { cert: c.cert } : {}),
      ...(c.key ? { key: c.key } : {}),
      ...(c.passphrase ? { passphrase: c.passphrase } : {}),
    };
  }
  const mechanism = (s.sasl || 'none') as SaslMechanism;
  if (mechanism !== 'none') {
    if (!['plain', 'scram-sha-256', 'scram-sha-512'].includes(mechanism))
      throw new KafkaConfigError({ code: 'unknown-sasl', mechanism });
    if (!c.username) throw new KafkaConfigError({ code: 'sasl-username', mechanism });
    config.sasl = { mechanism, username: c.username, password: c.password || '' } as SASLOptions;
  }
  return config;
}

/** Topics of a subscription: a list (comma or whitespace separated) or one regular expression. */
export function parseTopics(text: string, type: string): string[] | RegExp[] {
  const t = String(text || '').trim();
  if (!t) throw new KafkaConfigError({ code: 'no-topic' });
  if (type === 'regex') {
    try {
      return [new RegExp(t)];
    } catch (e) {
      throw new KafkaConfigError({ code: 'bad-topic-pattern', message: (e as Error).message }, { cause: e });
    }
  }
  return t.split(/[\s,]+/).filter(Boolean);
}
