/*
 * ceh-gremlin-server: one shared Gremlin connection per config node, reference-counted by the nodes that use it,
 * which also receive its connection state as their status.
 */
import * as fs from 'fs';
import type { NodeAPI, Node, NodeDef, NodeStatus } from '../shared/red';
import type { GremlinServerNode } from '../shared/contracts';
import { GremlinConnection, Dialect, Serializer } from '../../lib/gremlin/connection';
import { RefCounted } from '../../lib/ref-count';
import { configFlag, configNumber, configText } from '../shared/config';
import { tlsConfigId, tlsConfigOptions } from '../shared/tls';
import type { TlsOptions } from '../../lib/tls-options';

/** Connection states as node statuses, with Node-RED's own texts (as the core mqtt node shows them). */
const STATUS: Record<string, NodeStatus & { key: string }> = {
  connecting: { fill: 'yellow', shape: 'ring', key: 'node-red:common.status.connecting' },
  connected: { fill: 'green', shape: 'dot', key: 'node-red:common.status.connected' },
  disconnected: { fill: 'red', shape: 'ring', key: 'node-red:common.status.disconnected' },
  closed: { fill: 'grey', shape: 'ring', key: 'node-red:common.status.disconnected' },
};

/** The node's saved configuration. */
interface GremlinServerDef extends NodeDef {
  url?: string;
  traversalSource?: string;
  serializer?: Serializer;
  dialect?: Dialect;
  partitionKey?: string;
  /** Id of a core tls-config node, for wss:// URLs. */
  tls?: string;
  /** Before tls-config (still read when no tls-config node is chosen): CA as PEM text or file path, verification. */
  ca?: string;
  rejectUnauthorized?: boolean | string;
  timeout?: number | string;
  /** Send the timeout as evaluationTimeout (off for JanusGraph on BerkeleyJE; absent in older flows: on). */
  serverTimeout?: boolean | string;
}

/** wss:// options from the settings of before tls-config: a CA (PEM text or file path) and the verification flag. */
function legacyTls(def: GremlinServerDef): TlsOptions {
  const caSetting = configText(def.ca);
  const ca = !caSetting
    ? undefined
    : caSetting.startsWith('-----BEGIN')
      ? caSetting
      : fs.readFileSync(caSetting, 'utf8');
  return { ...(ca ? { ca: [ca] } : {}), rejectUnauthorized: configFlag(def.rejectUnauthorized, true) };
}

export = function (RED: NodeAPI) {
  function GremlinServer(this: Node<{ username?: string; password?: string }>, def: GremlinServerDef) {
    RED.nodes.createNode(this, def);
    const node = this as GremlinServerNode;
    node.url = configText(def.url, 'ws://127.0.0.1:8182/gremlin');
    node.dialect = def.dialect || 'tinkerpop';
    node.partitionKey = configText(def.partitionKey) || undefined;
    // Cosmos DB only speaks GraphSON v2.
    const serializer = (node.dialect === 'cosmos' ? 'graphson2' : def.serializer) || 'graphbinary';
    // A TLS mistake (tls-config node not deployed, CA file unreadable) fails every use of the connection with its text.
    let configError: string | undefined;
    let tls: TlsOptions | undefined;
    try {
      tls =
        tlsConfigOptions(
          RED,
          def.tls,
          RED._('ceh-gremlin-server.errors.tlsConfigMissing', { id: tlsConfigId(def.tls) }),
        ) ?? legacyTls(def);
    } catch (err) {
      configError = (err as Error).message;
      node.error(configError);
    }
    const options = {
      url: node.url,
      traversalSource: configText(def.traversalSource, 'g'),
      serializer,
      tls,
      configError,
      username: node.credentials?.username || undefined,
      password: node.credentials?.password || undefined,
      requestTimeoutMs:
        Number(def.timeout) > 0
          ? configNumber(RED._, def.timeout, 30000, RED._('ceh-gremlin-server.label.timeout'))
          : 30000,
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
        c.open().catch((err) =>
          node.warn(RED._('ceh-gremlin-server.errors.openFailed', { url: node.url, message: (err as Error).message })),
        );
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
