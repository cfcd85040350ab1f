/*
 * ceh-graph-sidebar (runtime part of the plugin): the admin routes behind the editor's "graph" sidebar tab.
 *   GET  /ceh-graph/servers          deployed gremlin server config nodes          ceh-gremlin-query.read
 *   POST /ceh-graph/query            run a console query (lib/gremlin/console)      .read; .write to allow writes
 *   GET  /ceh-graph/cytoscape.min.js the drawing library shipped inside the pack    ceh-gremlin-query.read
 * The safety rules live in lib/gremlin/console.ts; this file only maps HTTP to them. Errors answer as Node-RED's
 * own admin API does, { code, message } (`error` too: the sidebar shows it), worded with RED._ in the runtime's
 * language; a server's own message stays as it is.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { NodeAPI, Node, RequestHandler, Response, Translate } from '../../nodes/shared/red';
import type { GremlinServerNode } from '../../nodes/shared/contracts';
import type { GremlinConnection } from '../../lib/gremlin/connection';
import { runConsoleQuery, ConsoleRequestError, ConsoleQueryError, CONSOLE_DEFAULTS } from '../../lib/gremlin/console';
import { queryProblemText } from '../../nodes/shared/texts';

const READ = 'ceh-gremlin-query.read';
const WRITE = 'ceh-gremlin-query.write';
/** Copied from node_modules/cytoscape by scripts/build.js. */
const CYTOSCAPE = path.join(__dirname, 'resources', 'cytoscape.min.js');

export = function (RED: NodeAPI) {
  const t: Translate = (key, subs) => RED._(key, subs);
  RED.plugins.registerPlugin('ceh-graph-sidebar', { type: 'ceh-graph-sidebar' });

  // The sidebar is a user of each server's shared connection, like a node: one reference per deployed server node,
  // taken again when a redeploy replaced the node (the old node's close dropped its users).
  const sidebarUser = { id: 'ceh-graph-sidebar', status: () => undefined } as unknown as Node;
  const held = new Map<string, { node: GremlinServerNode; connection: GremlinConnection }>();
  function connectionOf(node: GremlinServerNode): GremlinConnection {
    const h = held.get(node.id);
    if (h && h.node === node && h.connection.state !== 'closed') return h.connection;
    const connection = node.acquire(sidebarUser, () => undefined);
    held.set(node.id, { node, connection });
    return connection;
  }

  function deployedServers(): Array<{ id: string; name: string; url: string; dialect: string }> {
    const out: Array<{ id: string; name: string; url: string; dialect: string }> = [];
    RED.nodes.eachNode((def) => {
      if (def.type !== 'ceh-gremlin-server') return;
      const node = RED.nodes.getNode(def.id) as GremlinServerNode | null;
      if (node) out.push({ id: def.id, name: def.name || '', url: node.url, dialect: node.dialect });
    });
    return out;
  }

  const needsRead = RED.auth.needsPermission(READ);
  const needsWrite = RED.auth.needsPermission(WRITE);

  RED.httpAdmin.get('/ceh-graph/servers', needsRead, (_req, res) => {
    res.json({ servers: deployedServers(), defaults: CONSOLE_DEFAULTS });
  });

  // Allowing writes needs the write permission on top of read: checked by Node-RED's own middleware.
  const writeIfAsked: RequestHandler = (req, res, next) => {
    if (req.body && req.body.allowWrites === true) needsWrite(req, res, next);
    else next();
  };

  /** An error answer: a stable code for scripts, the text for the sidebar, and any data the sidebar needs. */
  function fail(res: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
    res.status(status).json({ code, message, error: message, ...extra });
  }

  RED.httpAdmin.post('/ceh-graph/query', needsRead, writeIfAsked, async (req, res) => {
    const body = req.body || {};
    const server = RED.nodes.getNode(String(body.server ?? '')) as GremlinServerNode | null;
    if (!server || server.type !== 'ceh-gremlin-server') {
      fail(
        res,
        404,
        'not_deployed',
        t('graph-sidebar.error.notDeployed', { server: JSON.stringify(body.server ?? '') }),
      );
      return;
    }
    try {
      const result = await runConsoleQuery(
        connectionOf(server),
        {
          query: body.query,
          bindings: body.bindings,
          allowWrites: body.allowWrites === true,
          timeoutMs: body.timeoutMs,
          cap: body.cap,
        },
        server.dialect,
      );
      res.json(result);
    } catch (err) {
      if (err instanceof ConsoleRequestError) fail(res, 400, err.problem.code, queryProblemText(t, err.problem));
      else if (err instanceof ConsoleQueryError)
        // The server's own message: data, not a text of the pack.
        fail(res, err.timedOut ? 504 : 502, err.timedOut ? 'timed_out' : 'server_error', err.message, {
          timedOut: err.timedOut,
          statusCode: err.statusCode,
        });
      else
        fail(
          res,
          500,
          'unexpected_error',
          t('graph-sidebar.error.failed', { message: String((err as Error)?.message || err) }),
        );
    }
  });

  RED.httpAdmin.get('/ceh-graph/cytoscape.min.js', needsRead, (_req, res) => {
    res.set('Content-Type', 'application/javascript; charset=utf-8');
    res.set('Cache-Control', 'private, max-age=86400');
    fs.createReadStream(CYTOSCAPE)
      .on('error', () => res.status(404).end())
      .pipe(res);
  });
};
