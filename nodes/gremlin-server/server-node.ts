/* What a ceh-gremlin-server config node offers the nodes that use it. */
import type { Node, NodeStatus } from '../shared/red';
import type { GremlinConnection, Dialect } from '../../lib/gremlin/connection';

export interface GremlinServerNode extends Node<{ username?: string; password?: string }> {
  dialect: Dialect;
  partitionKey?: string;
  url: string;
  /** Takes a reference on the shared connection; `onState` gets its state as a node status. */
  acquire(user: Node, onState?: (status: NodeStatus) => void): GremlinConnection;
  release(user: Node): Promise<void>;
}

