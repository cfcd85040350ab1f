/*
 * The graph sidebar's admin routes in a REAL Node-RED with adminAuth on, against the stack's real Gremlin Server:
 * permissions (anonymous / read / write), ReadOnlyStrategy refusing writes, the evaluation timeout, the result cap
 * with its truncation flag, bindings as values only, and the server's reasons for failures.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, uniqueLabel } from '../support/project';
import { gremlinServerNode } from '../support/graphs';
import { startAuthNodeRed, AuthNodeRed } from '../support/admin-auth';
import { GremlinConnection } from '../../lib/gremlin/connection';

const admin = new GremlinConnection({ url: ENDPOINTS.gremlinUrl });
const L = uniqueLabel('sidebar');
const X = uniqueLabel('sidebarWrite');
let nr: AuthNodeRed;
const tokens: Record<string, string> = {};

before(async () => {
  await admin.submit('g.inject(ns).unfold().as("n").addV(L).property("n", select("n")).iterate()', {
    L,
    ns: Array.from({ length: 30 }, (_, i) => i),
  });
  nr = await startAuthNodeRed(
    [
      gremlinServerNode('srv', { name: 'stack' }),
      // A server nobody listens on: the console must report it and stay usable.
      gremlinServerNode('srvDown', { name: 'down', url: 'ws://127.0.0.1:9/gremlin' }),
      { id: 'tab', type: 'tab', label: 't' },
      // A node that uses the server, as in a real flow (the sidebar shares its connection).
      {
        id: 'gq',
        z: 'tab',
        type: 'ceh-gremlin-query',
        server: 'srv',
        query: 'g.V().limit(1)',
        bindings: [],
        x: 100,
        y: 100,
        wires: [[]],
      },
      // Node-RED 5 starts only config nodes some node uses.
      {
        id: 'gq2',
        z: 'tab',
        type: 'ceh-gremlin-query',
        server: 'srvDown',
        query: 'g.V().limit(1)',
        bindings: [],
        x: 100,
        y: 200,
        wires: [[]],
      },
    ],
    [
      { username: 'admin', permissions: '*' },
      { username: 'viewer', permissions: 'read' },
      { username: 'reader', permissions: ['ceh-gremlin-query.read'] },
      { username: 'writer', permissions: ['ceh-gremlin-query.read', 'ceh-gremlin-query.write'] },
    ],
    'srv',
  );
});

// Sessions expire after 5 s (so the test process can exit soon after): a token older than 3 s is renewed.
const issued: Record<string, number> = {};
async function token(user: string): Promise<string> {
  if (!tokens[user] || Date.now() - issued[user] > 3000) {
    tokens[user] = await nr.token(user);
    issued[user] = Date.now();
  }
  return tokens[user];
}

after(async () => {
  await nr?.stop();
  await admin.submit('g.V().hasLabel(L, X).drop()', { L, X });
  await admin.close();
});

const query = async (body: Record<string, unknown>, user?: string) =>
  nr.request('POST', '/ceh-graph/query', { server: 'srv', ...body }, user ? await token(user) : undefined);

test(
  'permissions: anonymous gets 401 everywhere; read runs queries; writes need the write permission',
  { timeout: 60000 },
  async () => {
    assert.equal((await nr.request('GET', '/ceh-graph/servers')).status, 401);
    assert.equal((await query({ query: 'g.V().limit(1)' })).status, 401);
    assert.equal((await nr.request('GET', '/ceh-graph/cytoscape.min.js')).status, 401);
    assert.equal(
      (await nr.request('GET', '/ceh-graph/servers', undefined, await token('reader'))).status,
      200,
      'the bare read permission lists servers',
    );

    const servers = await nr.request('GET', '/ceh-graph/servers', undefined, await token('viewer'));
    assert.equal(servers.status, 200);
    assert.deepEqual(servers.body.servers, [
      { id: 'srv', name: 'stack', url: ENDPOINTS.gremlinUrl, dialect: 'tinkerpop' },
      { id: 'srvDown', name: 'down', url: 'ws://127.0.0.1:9/gremlin', dialect: 'tinkerpop' },
    ]);
    assert.deepEqual(servers.body.defaults, { timeoutMs: 30000, cap: 1000 });

    const lib = await nr.request('GET', '/ceh-graph/cytoscape.min.js', undefined, await token('reader'));
    assert.equal(lib.status, 200);
    assert.match(String(lib.headers['content-type']), /javascript/);
    assert.match(String(lib.body), /cytoscape/);

    const read = await query({ query: 'g.V().hasLabel(L).count()', bindings: { L } }, 'reader');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.results, [30]);
    assert.equal(read.body.readOnly, true);

    for (const user of ['viewer', 'reader']) {
      const refused = await query({ query: 'g.addV(X)', bindings: { X }, allowWrites: true }, user);
      assert.equal(refused.status, 401, `${user}: allow writes needs ceh-gremlin-query.write`);
    }
    assert.equal(
      Number((await admin.submit('g.V().hasLabel(X).count()', { X }))[0]),
      0,
      'nothing written by refused requests',
    );

    const written = await query(
      { query: "g.addV(X).property('by', 'writer').values('by')", bindings: { X }, allowWrites: true },
      'writer',
    );
    assert.equal(written.status, 200, JSON.stringify(written.body));
    assert.deepEqual(written.body.results, ['writer']);
    assert.equal(written.body.readOnly, false);
    assert.equal(Number((await admin.submit('g.V().hasLabel(X).count()', { X }))[0]), 1);
    assert.equal((await query({ query: 'g.V().limit(1)' }, 'admin')).status, 200);
    assert.equal(
      (await nr.request('POST', '/ceh-graph/query', { server: 'nope', query: 'g.V()' }, await token('admin'))).status,
      404,
    );
  },
);

test(
  "ReadOnlyStrategy: g.addV('x') without allow writes is refused by the server with its reason",
  { timeout: 30000 },
  async () => {
    for (const user of ['reader', 'admin']) {
      const r = await query({ query: "g.addV('x')" }, user);
      assert.equal(r.status, 502, JSON.stringify(r.body));
      assert.match(r.body.error, /not read only|mutating step/i);
      assert.equal(r.body.timedOut, false);
    }
    // A write buried in a longer script is refused too, and nothing reached the graph.
    const r = await query({ query: 'def n = 1\ng.addV(X).property("n", n)', bindings: { X } }, 'admin');
    assert.equal(r.status, 502);
    assert.equal(Number((await admin.submit('g.V().hasLabel(X).has("n", 1).count()', { X }))[0]), 0);
  },
);

test(
  'timeout: the evaluation is stopped after the given time, the reason is shown, the console stays usable',
  { timeout: 30000 },
  async () => {
    const t0 = Date.now();
    const slow = await query({ query: 'Thread.sleep(4000); 1', timeoutMs: 500 }, 'reader');
    const took = Date.now() - t0;
    assert.equal(slow.status, 504, JSON.stringify(slow.body));
    assert.equal(slow.body.timedOut, true);
    assert.match(slow.body.error, /evaluationTimeout|timed out/i);
    assert.ok(took < 3500, `answered after ${took} ms, before the 4 s script would have finished`);
    const next = await query({ query: 'g.V().hasLabel(L).count()', bindings: { L } }, 'reader');
    assert.deepEqual(next.body.results, [30]);
    const bad = await query({ query: 'g.V().limit(1)', timeoutMs: -5 }, 'reader');
    assert.equal(bad.status, 400);
  },
);

test(
  'cap: results beyond the cap are cut off and flagged, on the server for traversals and for lists',
  { timeout: 30000 },
  async () => {
    const capped = await query(
      { query: "g.V().hasLabel(L).order().by('n').values('n')", bindings: { L }, cap: 10 },
      'reader',
    );
    assert.equal(capped.status, 200);
    assert.deepEqual(capped.body.results, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(capped.body.truncated, true);
    assert.equal(capped.body.cap, 10);
    const exact = await query({ query: 'g.V().hasLabel(L)', bindings: { L }, cap: 30 }, 'reader');
    assert.equal(exact.body.results.length, 30);
    assert.equal(exact.body.truncated, false, 'exactly cap results are not truncated');
    assert.equal(exact.body.results[0].label, L, 'vertices come back as plain {id, label, properties}');
    const list = await query({ query: "g.V().hasLabel(L).values('n').toList()", bindings: { L }, cap: 7 }, 'reader');
    assert.equal(list.body.results.length, 7);
    assert.equal(list.body.truncated, true);
    const byDefault = await query({ query: 'g.V().hasLabel(L)', bindings: { L } }, 'reader');
    assert.equal(byDefault.body.cap, 1000);
    assert.equal(byDefault.body.truncated, false);
  },
);

test(
  'a subgraph result comes back as its vertices and edges (the driver cannot decode a Graph)',
  { timeout: 30000 },
  async () => {
    await admin.submit(
      "g.V().hasLabel(L).has('n', 0).as('a').V().hasLabel(L).has('n', 1).addE('next').from('a').iterate()",
      { L },
    );
    const r = await query(
      { query: "g.V().hasLabel(L).has('n', within(0, 1)).bothE('next').subgraph('sg').cap('sg')", bindings: { L } },
      'reader',
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.results.length, 1);
    const [sg] = r.body.results;
    assert.deepEqual(sg.vertices.map((v: any) => v.properties.n).sort(), [0, 1]);
    assert.equal(sg.edges.length, 1);
    assert.equal(sg.edges[0].label, 'next');
    assert.deepEqual([sg.edges[0].outV, sg.edges[0].inV].sort(), sg.vertices.map((v: any) => v.id).sort());
  },
);

test(
  'bindings: values reach the query only as bindings; bad bindings and syntax errors get a clear reason',
  { timeout: 30000 },
  async () => {
    const hit = await query(
      { query: "g.V().hasLabel(L).has('n', n).values('n')", bindings: JSON.stringify({ L, n: 7 }) },
      'reader',
    );
    assert.deepEqual(hit.body.results, [7]);
    // Text that would break out of a spliced string is only a value: no match, nothing dropped.
    const injection = await query(
      { query: "g.V().hasLabel(L).has('name', n)", bindings: { L, n: "x').drop(); g.V().hasLabel('" } },
      'reader',
    );
    assert.equal(injection.status, 200);
    assert.deepEqual(injection.body.results, []);
    assert.equal(Number((await admin.submit('g.V().hasLabel(L).count()', { L }))[0]), 30);

    const notJson = await query({ query: 'g.V()', bindings: '{"a": ' }, 'reader');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.error, /bindings are not valid JSON/);
    // As Node-RED's admin API answers: a stable code and the text (worded with RED._) as message.
    assert.equal(notJson.body.code, 'bindings-not-json');
    assert.equal(notJson.body.message, notJson.body.error);
    for (const name of ['g', '__cehResult', 'not-a-name']) {
      const r = await query({ query: 'g.V().limit(1)', bindings: { [name]: 1 } }, 'reader');
      assert.equal(r.status, 400, name);
      assert.match(r.body.error, new RegExp(name.replace(/[-]/g, '\\-')));
    }
    const empty = await query({ query: '   ' }, 'reader');
    assert.equal(empty.status, 400);
    assert.match(empty.body.error, /^the query is empty$/);
    assert.equal(empty.body.code, 'empty-query');
    const gone = await query({ server: 'no-such-server', query: 'g.V()' }, 'reader');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'not_deployed');
    assert.equal(gone.body.error, 'gremlin server "no-such-server" is not deployed');
    const syntax = await query({ query: 'g.V(' }, 'reader');
    assert.equal(syntax.status, 502);
    assert.match(syntax.body.error, /line 1/, "the server names the user's own line");
    const down = await nr.request(
      'POST',
      '/ceh-graph/query',
      { server: 'srvDown', query: 'g.V().limit(1)' },
      await token('reader'),
    );
    assert.equal(down.status, 502);
    assert.match(down.body.error, /cannot connect to ws:\/\/127\.0\.0\.1:9\/gremlin/);
    const unbound = await query({ query: 'g.V().has("n", missing)' }, 'reader');
    assert.equal(unbound.status, 502);
    assert.match(unbound.body.error, /missing/);
  },
);
