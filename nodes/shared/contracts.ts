/*
 * What the config nodes offer the nodes that use them (RED.nodes.getNode(config.broker / config.server)), so node
 * folders depend on these contracts and never on each other.
 */
import type { Node, NodeStatus } from './red';
import type { BrokerClient } from '../../lib/kafka/broker-client';
import type { BrokerCredentials } from '../../lib/kafka/client-config';
import type { GremlinConnection, Dialect } from '../../lib/gremlin/connection';

/** A ceh-kafka-broker config node. */
export interface KafkaBrokerNode extends Node<BrokerCredentials> {
  client: BrokerClient;
}

/** A ceh-gremlin-server config node. */
export interface GremlinServerNode extends Node<{ username?: string; password?: string }> {
  dialect: Dialect;
  partitionKey?: string;
  url: string;
  /** Takes a reference on the shared connection; `onState` gets its state as a node status. */
  acquire(user: Node, onState?: (status: NodeStatus) => void): GremlinConnection;
  release(user: Node): Promise<void>;
}
