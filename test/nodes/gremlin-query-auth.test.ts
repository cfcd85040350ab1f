/*
 * The gremlin query button endpoint in a REAL embedded Node-RED with adminAuth on: the test helper stubs
 * RED.auth.needsPermission, so permissions can only be checked here.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { ROOT, ENDPOINTS, uniqueLabel, eventually, requireFromNodeRed } from '../support/project';
import { GremlinConnection } from '../../lib/gremlin/connection';

const bcrypt = requireFromNodeRed('bcryptjs');

const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
after(() => admin.close());

function request(
  port: number,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

test('the button endpoint needs ceh-gremlin-query.write when adminAuth is on', { timeout: 60000 }, async () => {
  const L = uniqueLabel('auth');
  await admin.submit("g.addV(L).property('cid','Z1').iterate()", { L });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-gq-auth-'));
  // Load only the gremlin nodes of this package (nodesDir), not the whole pack.
  const nodesDir = path.join(userDir, 'nodes');
  fs.mkdirSync(nodesDir);
  for (const n of ['gremlin-server', 'gremlin-query'])
    fs.symlinkSync(path.join(ROOT, 'dist', 'nodes', n), path.join(nodesDir, n));
  const flows = [
    {
      id: 'srv',
      type: 'ceh-gremlin-server',
      url: ENDPOINTS.gremlinUrl,
      traversalSource: 'g',
      serializer: 'graphbinary',
      dialect: 'tinkerpop',
    },
    { id: 'tab', type: 'tab', label: 't' },
    {
      id: 'gq',
      z: 'tab',
      type: 'ceh-gremlin-query',
      server: 'srv',
      query: "g.V().hasLabel(L).values('cid')",
      bindings: [],
      testBindings: JSON.stringify({ L }),
      wires: [[]],
    },
  ];
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const hash = bcrypt.hashSync('secret', 8);
  const RED = requireFromNodeRed('node-red');
  const server = http.createServer();
  RED.init(server, {
    userDir,
    nodesDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/',
    httpNodeRoot: false,
    uiPort: 0,
    logging: { console: { level: 'error' } },
    editorTheme: { tours: false, projects: { enabled: false } },
    credentialSecret: 'ceh-test',
    // Node-RED keeps a timer until its sessions expire: a short expiry lets this test process exit soon after.
    adminAuth: {
      type: 'credentials',
      sessionExpiryTime: 5,
      users: [
        { username: 'admin', password: hash, permissions: '*' },
        { username: 'viewer', password: hash, permissions: 'read' },
      ],
    },
  });
  server.on('request', RED.httpAdmin);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as any).port;
  try {
    await RED.start();
    await eventually('the flow to start', () => RED.nodes.getNode('gq'), 20000);
    const token = async (username: string) =>
      (
        await request(port, 'POST', '/auth/token', {
          client_id: 'node-red-admin',
          grant_type: 'password',
          scope: '*',
          username,
          password: 'secret',
        })
      ).body.access_token as string;

    const anonymous = await request(port, 'POST', '/ceh-gremlin-query/gq', {});
    assert.equal(anonymous.status, 401);
    const viewer = await request(port, 'POST', '/ceh-gremlin-query/gq', {}, await token('viewer'));
    assert.equal(viewer.status, 401, 'read permission is not enough');
    const adminToken = await token('admin');
    const ok = await request(port, 'POST', '/ceh-gremlin-query/gq', {}, adminToken);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { result: ['Z1'] });
    const missing = await request(port, 'POST', '/ceh-gremlin-query/not-a-node', {}, adminToken);
    assert.equal(missing.status, 404);
  } finally {
    await RED.stop();
    await new Promise<void>((r) => server.close(() => r()));
    await admin.submit('g.V().hasLabel(L).drop()', { L });
    fs.rmSync(userDir, { recursive: true, force: true });
  }
});
