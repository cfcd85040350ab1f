/* `kafka broker` config node: connection settings and secrets; hands its shared client to kafka in / kafka out. */
import type { NodeAPI, Node, NodeDef } from '../shared/red';
import type { KafkaBrokerNode } from '../shared/contracts';
import { BrokerClient } from '../../lib/kafka/broker-client';
import { withoutRepeats } from '../../lib/kafka/kafkajs-log';
import { configFlag } from '../shared/config';

export = function (RED: NodeAPI) {
  function KafkaBroker(this: Node<any>, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this as KafkaBrokerNode;
    node.client = new BrokerClient(
      {
        brokers: String(def.brokers || ''),
        clientId: def.clientId as string | undefined,
        connectionTimeout: def.connectionTimeout as string | undefined,
        requestTimeout: def.requestTimeout as string | undefined,
        tls: configFlag(def.tls, false),
        caFile: def.caFile as string | undefined,
        rejectUnauthorized: configFlag(def.rejectUnauthorized, true),
        sasl: (def.sasl as string) || 'none',
      },
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
      ca: { type: 'password' },
      cert: { type: 'password' },
      key: { type: 'password' },
      passphrase: { type: 'password' },
    },
  });
};
