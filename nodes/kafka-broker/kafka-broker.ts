/* `kafka broker` config node: connection settings and secrets; hands its shared client to kafka in / kafka out. */
import type { NodeAPI, Node, NodeDef } from '../shared/red';
import type { KafkaBrokerNode } from '../shared/contracts';
import type { BrokerCredentials, BrokerSettings } from '../../lib/kafka/client-config';
import { BrokerClient } from '../../lib/kafka/broker-client';
import { withoutRepeats } from '../../lib/kafka/kafkajs-log';
import { configFlag, configText } from '../shared/config';
import { tlsConfigId, tlsConfigOptions, tlsWanted } from '../shared/tls';

/** The node's saved configuration. */
interface KafkaBrokerDef extends NodeDef {
  brokers?: string;
  clientId?: string;
  connectionTimeout?: number | string;
  requestTimeout?: number | string;
  /** Use TLS (with the tls-config node `tls`, or the system's CAs when none is chosen). */
  usetls?: boolean | string;
  /** Id of a core tls-config node. Flows saved before tls-config kept the TLS flag here (true/false). */
  tls?: string | boolean;
  /** Before tls-config (still read when no tls-config node is chosen): CA file and verification. */
  caFile?: string;
  rejectUnauthorized?: boolean | string;
  sasl?: string;
}

export = function (RED: NodeAPI) {
  function KafkaBroker(this: Node<BrokerCredentials>, def: KafkaBrokerDef) {
    RED.nodes.createNode(this, def);
    const node = this as KafkaBrokerNode;
    const settings: BrokerSettings = {
      brokers: configText(def.brokers),
      clientId: configText(def.clientId) || undefined,
      connectionTimeout: def.connectionTimeout,
      requestTimeout: def.requestTimeout,
      tls: tlsWanted(def.usetls, def.tls),
      caFile: configText(def.caFile) || undefined,
      rejectUnauthorized: configFlag(def.rejectUnauthorized, true),
      sasl: configText(def.sasl, 'none'),
    };
    if (settings.tls) {
      try {
        settings.tlsOptions = tlsConfigOptions(
          RED,
          def.tls,
          RED._('ceh-kafka-broker.errors.tlsConfigMissing', { id: tlsConfigId(def.tls) }),
        );
      } catch (err) {
        // kafka in / kafka out report it (status, Catch) as they do any other configuration error.
        settings.error = (err as Error).message;
        node.error(settings.error);
      }
    }
    node.client = new BrokerClient(
      settings,
      node.credentials || {},
      withoutRepeats((level, text) => {
        // kafkajs' own errors are warnings here: the kafka in/out node that failed reports the error, with its context.
        if (level === 'error' || level === 'warn') node.warn(text);
        else if (level === 'info') node.log(text);
        else node.debug(text);
      }),
    );
    node.on('close', (_removed: boolean, done: () => void) => {
      node.client.close().then(done, done);
    });
  }
  RED.nodes.registerType('ceh-kafka-broker', KafkaBroker, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      // Before tls-config: PEM texts, still used when no tls-config node is chosen.
      ca: { type: 'password' },
      cert: { type: 'password' },
      key: { type: 'password' },
      passphrase: { type: 'password' },
    },
  });
};
