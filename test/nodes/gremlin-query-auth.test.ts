/*
 * The gremlin query button endpoint in a REAL embedded Node-RED with adminAuth on: the test helper stubs
 * RED.auth.needsPermission, so permissions can only be checked here.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, uniqueLabel } from '../support/project';
import { gremlinServerNode } from '../support/graphs';
import { startAuthNodeRed } from '../support/admin-auth';
import { GremlinConnection } from '../../lib/gremlin/connection';

const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
after(() => admin.close());

test('the button endpoint needs ceh-gremlin-query.write when adminAuth is on', { timeout: 60000 }, async () => {
  const L = uniqueLabel('auth');
  await admin.submit("g.addV(L).property('cid','Z1').iterate()", { L });
  const flows = [
    gremlinServerNode(),
    { id: 'tab', type: 'tab', label: 't' },
    {
      id: 'gq',
      z: 'tab',
      type: 'ceh-gremlin-query',
      server: 'srv',
      query: "g.V().hasLabel(L).values('cid')",
      bindings: [],
      testBindings: JSON.stringify({ L }),
      x: 100,
      y: 100,
      wires: [[]],
    },
  ];
  const nr = await startAuthNodeRed(
    flows,
    [
      { username: 'admin', permissions: '*' },
      { username: 'viewer', permissions: 'read' },
    ],
    'gq',
  );
  try {
    const anonymous = await nr.request('POST', '/ceh-gremlin-query/gq', {});
    assert.equal(anonymous.status, 401);
    const viewer = await nr.request('POST', '/ceh-gremlin-query/gq', {}, await nr.token('viewer'));
    assert.equal(viewer.status, 401, 'read permission is not enough');
    const adminToken = await nr.token('admin');
    const ok = await nr.request('POST', '/ceh-gremlin-query/gq', {}, adminToken);
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { result: ['Z1'] });
    const missing = await nr.request('POST', '/ceh-gremlin-query/not-a-node', {}, adminToken);
    assert.equal(missing.status, 404);
  } finally {
    await nr.stop();
    await admin.submit('g.V().hasLabel(L).drop()', { L });
  }
});
