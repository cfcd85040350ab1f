/*
 * ceh-gremlin-query: runs Gremlin text (from the node or msg.query) with bindings from msg.bindings and the
 * configured TypedInputs; results as plain JSON. The editor button runs the query with its test bindings through
 * POST /ceh-gremlin-query/:id and shows the result in the Debug sidebar.
 */
import type { NodeAPI, Node, NodeDef, NodeMessage, Translate } from '../shared/red';
import { runQuery, QueryRequestError } from '../../lib/gremlin/query';
import { queryProblemText } from '../shared/texts';
import type { Plain } from '../../lib/gremlin/results';
import type { GremlinServerNode } from '../shared/contracts';

interface BindingDef {
  name: string;
  type: string;
  value: string;
}

/** The node's saved configuration. */
interface GremlinQueryDef extends NodeDef {
  server?: string;
  query?: string;
  bindings?: BindingDef[];
  /** JSON object of bindings for the editor button. */
  testBindings?: string;
  timeout?: number | string;
  output?: 'all' | 'each';
}

interface GremlinQueryNode extends Node {
  /** Runs the node's query with its test bindings (the editor button). */
  runTest(): Promise<Plain[]>;
}

export = function (RED: NodeAPI) {
  const t: Translate = (key, subs) => RED._(key, subs);
  /** A refused request in the runtime's language; anything else (a server's own message) as it is. */
  const worded = (err: unknown): Error =>
    err instanceof QueryRequestError
      ? new Error(`gremlin query: ${queryProblemText(t, err.problem)}`, { cause: err })
      : (err as Error);
  function GremlinQuery(this: Node, def: GremlinQueryDef) {
    RED.nodes.createNode(this, def);
    const node = this as GremlinQueryNode;
    const server = RED.nodes.getNode(String(def.server)) as GremlinServerNode | null;
    const query = String(def.query ?? '');
    const bindingDefs = (Array.isArray(def.bindings) ? def.bindings : []) as BindingDef[];
    const timeout = Number(def.timeout) > 0 ? Number(def.timeout) : undefined;
    const each = def.output === 'each';
    const connection = server ? server.acquire(node) : null;
    if (!server) node.status({ fill: 'red', shape: 'ring', text: t('ceh-gremlin-query.errors.noServer') });

    /** Configured bindings, except those given otherwise (the button's test bindings need no msg.req). */
    function evaluateBindings(msg: NodeMessage, givenOtherwise: Record<string, unknown> = {}): Record<string, unknown> {
      const out: Record<string, unknown> = {};
      for (const b of bindingDefs) {
        if (!(b.name in givenOtherwise)) out[b.name] = RED.util.evaluateNodeProperty(b.value, b.type, node, msg);
      }
      return out;
    }

    node.runTest = async () => {
      if (!server || !connection) throw new Error(t('ceh-gremlin-query.errors.noServer'));
      let test: Record<string, unknown> = {};
      if (def.testBindings) {
        try {
          test = JSON.parse(String(def.testBindings));
        } catch (err) {
          throw new Error(t('ceh-gremlin-query.errors.testBindings', { message: (err as Error).message }), {
            cause: err,
          });
        }
      }
      return runQuery(connection, query, { ...evaluateBindings({}, test), ...test }, server.dialect, timeout);
    };

    node.on('input', async (msg: NodeMessage, send, done) => {
      if (!server || !connection) {
        done(new Error(`gremlin query: ${t('ceh-gremlin-query.errors.noServer')}`));
        return;
      }
      try {
        const text = typeof msg.query === 'string' && msg.query.trim() !== '' ? msg.query : query;
        const fromMsg =
          msg.bindings && typeof msg.bindings === 'object' ? (msg.bindings as Record<string, unknown>) : {};
        const results = await runQuery(
          connection,
          text,
          { ...evaluateBindings(msg), ...fromMsg },
          server.dialect,
          timeout,
        );
        if (each) {
          for (const r of results) {
            const out = RED.util.cloneMessage(msg);
            out.payload = r;
            send(out);
          }
        } else {
          msg.payload = results;
          send(msg);
        }
        node.status({
          fill: 'green',
          shape: 'dot',
          text: t(results.length === 1 ? 'ceh-gremlin-query.status.result' : 'ceh-gremlin-query.status.results', {
            count: results.length,
          }),
        });
        done();
      } catch (err) {
        const e = worded(err);
        node.status({ fill: 'red', shape: 'ring', text: String(e.message).slice(0, 60) });
        done(e);
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      (server ? server.release(node) : Promise.resolve()).then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('ceh-gremlin-query', GremlinQuery);

  RED.httpAdmin.post(
    '/ceh-gremlin-query/:id',
    RED.auth.needsPermission('ceh-gremlin-query.write'),
    async (req, res) => {
      const node = RED.nodes.getNode(String(req.params.id)) as GremlinQueryNode | null;
      if (!node || typeof node.runTest !== 'function') {
        res.status(404).json({ error: t('ceh-gremlin-query.errors.notDeployed') });
        return;
      }
      try {
        const result = await node.runTest();
        // `path` (the flow path, as the core debug node sends it) is what the Debug sidebar reads on mouse-over.
        const flowPath = (node as unknown as { _flow?: { path?: string } })._flow?.path ?? node.z;
        RED.comms.publish(
          'debug',
          RED.util.encodeObject({
            id: node.id,
            z: node.z,
            path: flowPath,
            name: node.name,
            topic: t('ceh-gremlin-query.debugTopic'),
            msg: result,
          }),
        );
        res.json({ result });
      } catch (err) {
        const message = String(worded(err).message || err);
        node.status({ fill: 'red', shape: 'ring', text: message.slice(0, 60) });
        res.status(500).json({ error: message });
      }
    },
  );
};
