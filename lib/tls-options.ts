/*
 * TLS options as Node's tls.connect takes them: what Node-RED's core tls-config node fills in (addTLSOptions) and what
 * the Kafka client and the Gremlin connection hand to their sockets.
 */
import type { ConnectionOptions } from 'tls';

export type TlsOptions = Pick<
  ConnectionOptions,
  'ca' | 'cert' | 'key' | 'passphrase' | 'servername' | 'ALPNProtocols' | 'rejectUnauthorized'
>;
