/*
 * ceh-gremlin-server: one shared Gremlin connection per config node, reference-counted by the nodes that use it,
 * which also receive its connection state as their status.
 */
import * as fs from 'fs';
import type { NodeAPI, Node, NodeDef, NodeStatus } from '../shared/red';
import type { GremlinServerNode } from '../shared/contracts';
import { GremlinConnection, Dialect, Serializer } from '../../lib/gremlin/connection';
import { RefCounted } from '../../lib/ref-count';
import { configFlag, configNumber } from '../shared/config';

/** Connection states as node statuses, with Node-RED's own texts (as the core mqtt node shows them). */
const STATUS: Record<string, NodeStatus & { key: string }> = {
  connecting: { fill: 'yellow', shape: 'ring', key: 'node-red:common.status.connecting' },
  connected: { fill: 'green', shape: 'dot', key: 'node-red:common.status.connected' },
  disconnected: { fill: 'red', shape: 'ring', key: 'node-red:common.status.disconnected' },
  closed: { fill: 'grey', shape: 'ring', key: 'node-red:common.status.disconnected' },
};

export = function (RED: NodeAPI) {
  function GremlinServer(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this as GremlinServerNode;
    node.url = String(def.url || 'ws://127.0.0.1:8182/gremlin');
    node.dialect = (def.dialect as Dialect) || 'tinkerpop';
    node.partitionKey = def.partitionKey ? String(def.partitionKey) : undefined;
    // Cosmos DB only speaks GraphSON v2.
    const serializer = (node.dialect === 'cosmos' ? 'graphson2' : (def.serializer as Serializer)) || 'graphbinary';
    let ca: string | undefined;
    const caSetting = String(def.ca || '').trim();
    if (caSetting) {
      try {
        ca = caSetting.startsWith('-----BEGIN') ? caSetting : fs.readFileSync(caSetting, 'utf8');
      } catch (err) {
        node.error(`cannot read the CA certificate file ${caSetting}: ${(err as Error).message}`);
      }
    }
    const options = {
      url: node.url,
      traversalSource: String(def.traversalSource || 'g'),
      serializer,
      ca,
      rejectUnauthorized: configFlag(def.rejectUnauthorized, true),
      username: node.credentials?.username || undefined,
      password: node.credentials?.password || undefined,
      requestTimeoutMs: Number(def.timeout) > 0 ? configNumber(def.timeout, 30000, 'timeout') : 30000,
      // Flows saved before this option existed send the timeout to the server, as they did.
      serverTimeout: configFlag(def.serverTimeout, true),
    };
    const connection = new RefCounted<GremlinConnection, (status: NodeStatus) => void>(
      () => {
        const c = new GremlinConnection(options);
        c.on('state', (state: string, detail?: string) => {
          const known = STATUS[state];
          const s: NodeStatus = known
            ? { fill: known.fill, shape: known.shape, text: RED._(known.key) }
            : { text: state };
          if (state === 'disconnected' && detail) s.text = `${s.text}: ${detail}`.slice(0, 60);
          for (const cb of connection.userData()) cb(s);
        });
        c.open().catch((err) => node.warn(`Gremlin Server ${node.url}: ${(err as Error).message}`));
        return c;
      },
      (c) => c.close(),
    );

    node.acquire = (user, onState) => connection.acquire(user.id, onState ?? ((s) => user.status(s)));
    node.release = (user) => connection.release(user.id);

    node.on('close', (_removed: boolean, done: () => void) => {
      connection.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('ceh-gremlin-server', GremlinServer, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
};
