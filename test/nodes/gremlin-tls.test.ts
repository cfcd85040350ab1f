/*
 * gremlin server over wss:// against the stack's authenticated TLS Gremlin Server (8183), in a real Node-RED runtime:
 * TLS from Node-RED's core tls-config node, a flow saved before tls-config (the node's own CA and verify fields) still
 * working, the tls-config node winning over those fields, and a tls-config node that is not deployed.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { ENDPOINTS, eventually } from '../support/project';
import { Probe, recordCode } from '../support/kafka-test-kit';
import { startNodeRed, tlsConfigNode, NodeRedRuntime, FlowNode } from '../support/node-red-runtime';

const probe = new Probe();
let rt: NodeRedRuntime;
before(async () => {
  rt = await startNodeRed({ globals: { probe } });
});
after(() => rt?.stop());

function secureServer(extra: Record<string, unknown>): FlowNode {
  return {
    id: 'srv',
    type: 'ceh-gremlin-server',
    url: ENDPOINTS.gremlinSecureUrl,
    traversalSource: 'g',
    serializer: 'graphbinary',
    dialect: 'tinkerpop',
    timeout: 10000,
    credentials: { username: ENDPOINTS.gremlinUser, password: ENDPOINTS.gremlinPassword },
    ...extra,
  };
}

/** Deploys a gremlin query on server `srv` (plus `nodes`), runs it once: its result, or the error Catch got. */
async function queryOutcome(nodes: FlowNode[]): Promise<unknown> {
  probe.clear();
  await rt.deploy([
    ...nodes,
    {
      id: 'q',
      type: 'ceh-gremlin-query',
      server: 'srv',
      query: 'g.inject(41).math("_ + 1")',
      bindings: [],
      wires: [['got']],
    },
    { id: 'got', type: 'function', func: recordCode('got'), outputs: 1, wires: [] },
    { id: 'ct', type: 'catch', scope: ['q'], uncaught: false, wires: [['ct-rec']] },
    { id: 'ct-rec', type: 'function', func: recordCode('error'), outputs: 1, wires: [] },
  ]);
  rt.inject('q', { payload: null });
  await eventually('a result or an error', () => probe.msgs('got').length + probe.msgs('error').length > 0, 30000);
  const outcome =
    probe.msgs('got').length > 0 ? probe.msgs('got')[0].payload : String(probe.msgs('error')[0].error.message);
  await rt.deploy([]);
  return outcome;
}

test('wss:// with TLS from a tls-config node (the stack CA) and SASL credentials answers queries', async () => {
  assert.deepEqual(
    await queryOutcome([tlsConfigNode('tls-ca', ENDPOINTS.caFile), secureServer({ tls: 'tls-ca' })]),
    [42],
  );
});

test('a flow saved before tls-config (the CA file and verify flag on the server node) still answers', async () => {
  assert.deepEqual(await queryOutcome([secureServer({ ca: ENDPOINTS.caFile, rejectUnauthorized: true })]), [42]);
});

test('a chosen tls-config node wins over the old fields: without a CA it fails on the certificate', async () => {
  const outcome = await queryOutcome([
    tlsConfigNode('tls-system', ''),
    secureServer({ tls: 'tls-system', ca: ENDPOINTS.caFile, rejectUnauthorized: true }),
  ]);
  assert.match(String(outcome), /certificate/i);
});

test('a tls-config node that is not deployed is a clear error, not a connection with defaults', async () => {
  const outcome = await queryOutcome([secureServer({ tls: 'no-such-tls' })]);
  assert.match(String(outcome), /TLS configuration no-such-tls is not deployed/);
});
