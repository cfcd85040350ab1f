/*
 * The preview endpoint is guarded by RED.auth.needsPermission('ceh-graph-map.write'). node-red-node-test-helper stubs
 * RED.auth (everything passes), so this runs a real embedded Node-RED with adminAuth on and the pack's node loaded.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { ROOT, requireFromNodeRed } from '../support/project';

const RED = requireFromNodeRed('node-red');
let server: http.Server;
let base = '';
let userDir = '';

before(async () => {
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-graph-map-auth-'));
  fs.writeFileSync(path.join(userDir, 'flows.json'), '[]');
  server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/admin',
    httpNodeRoot: false,
    nodesDir: [path.join(ROOT, 'dist', 'nodes', 'graph-map')],
    logging: { console: { level: 'off' } },
    editorTheme: { tours: false },
    adminAuth: {
      type: 'credentials',
      users: [
        { username: 'writer', password: 'x', permissions: '*' },
        { username: 'reader', password: 'x', permissions: 'read' },
      ],
      tokens: [
        { token: 'writer-token', user: 'writer', scope: ['*'] },
        { token: 'reader-token', user: 'reader', scope: ['read'] },
      ],
    },
  });
  // Serve the admin app at /admin as a real settings.httpAdminRoot would.
  const express = requireFromNodeRed('express');
  const app = express();
  app.use('/admin', RED.httpAdmin);
  server.on('request', app);
  await RED.start();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/admin`;
});

after(async () => {
  await RED.stop();
  await new Promise((r) => server.close(r));
  fs.rmSync(userDir, { recursive: true, force: true });
});

async function preview(token?: string): Promise<Response> {
  const spec = fs.readFileSync(path.join(ROOT, 'mappings', 'click.yaml'), 'utf8');
  const event = JSON.stringify(JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8')).click);
  return fetch(`${base}/ceh-graph-map/preview`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ spec, event }),
  });
}

test('graph map preview: refused with 401 when adminAuth is on and no token is given', async () => {
  assert.equal((await preview()).status, 401);
});

test('graph map preview: refused with 401 for a user without ceh-graph-map.write (read-only)', async () => {
  assert.equal((await preview('reader-token')).status, 401);
});

test('graph map preview: works for a user with write permission', async () => {
  const res = await preview('writer-token');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { changeSets: Array<{ edges: Array<{ label: string }> }> };
  assert.deepEqual(
    body.changeSets[0].edges.map((e) => e.label),
    ['viewed', 'clicked'],
  );
});

test('graph map schema (editor completion): 401 without a token, the mapping spec schema for a reader', async () => {
  assert.equal((await fetch(`${base}/ceh-graph-map/schema`)).status, 401);
  const res = await fetch(`${base}/ceh-graph-map/schema`, { headers: { authorization: 'Bearer reader-token' } });
  assert.equal(res.status, 200);
  const schema = (await res.json()) as { title: string; $defs: Record<string, unknown> };
  assert.equal(schema.title, 'MappingSpec');
  assert.deepEqual(schema, JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'mapping-spec.schema.json'), 'utf8')));
});
