/*
 * Scenarios 5 and 6, secrets and security end to end. One Node-RED child process (log level trace, metrics and audit
 * on, adminAuth on) runs the Customer 360 flow over Kafka SASL_SSL (SCRAM-SHA-256, 127.0.0.1:9094, a client
 * certificate with an encrypted key and its passphrase) and the authenticated TLS Gremlin Server (wss, port 8183):
 *  6: events reach that graph; then a deploy with a wrong Kafka password and a wrong Gremlin password fails loudly
 *     (status red, errors reach Catch nodes and the log), never silently.
 *  5: no secret (SCRAM, Gremlin, TLS key and passphrase, including the wrong ones) appears in flows.json, the exported
 *     flow, the credentials file, or anything Node-RED logged; every admin endpoint of the pack answers 401 without a
 *     token and 401/403 to a user without the permission.
 */
import { test, after } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as crypto from 'crypto';
import { execFileSync } from 'child_process';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT, ENDPOINTS, unique, eventually, customerFlow, requireFromNodeRed } from '../support/project';
import { recordScenario } from '../support/reliability';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { launchNodeRed, NodeRedProcess } from '../support/node-red-child';
import { http } from './corpus-kit';
import { tlsConfigNode } from '../support/node-red-runtime';

const bcrypt = requireFromNodeRed('bcryptjs');

const run = unique('sec').replace(/-/g, '');
const KEY_PREFIX = `SEC${run}-`;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** A client certificate whose private key is encrypted with a passphrase: TLS secrets the broker config node holds. */
function clientCertificate(): { cert: string; key: string; passphrase: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-sec-tls-'));
  const passphrase = `tls-passphrase-${crypto.randomBytes(8).toString('hex')}`;
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-days',
        '1',
        '-subj',
        '/CN=ceh-test-client',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-passout',
        `pass:${passphrase}`,
      ],
      { stdio: 'ignore' },
    );
    return {
      cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
      key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      passphrase,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Nodes that record every status and every caught error of the tab into global context, served at /<run>/probe. */
function probeNodes(tab: string, suffix: string): unknown[] {
  const record = [
    "const l = global.get('probe') || [];",
    "if (msg.status) l.push({ kind: 'status', type: msg.status.source.type, name: msg.status.source.name, fill: msg.status.fill, text: String(msg.status.text || '') });",
    "else l.push({ kind: 'error', type: msg.error.source.type, name: msg.error.source.name, message: String(msg.error.message) });",
    'if (l.length > 3000) l.shift();',
    "global.set('probe', l);",
    'return null;',
  ].join('\n');
  return [
    { id: `probestatus${suffix}`, type: 'status', z: tab, name: '', scope: null, wires: [[`proberecord${suffix}`]] },
    {
      id: `probecatch${suffix}`,
      type: 'catch',
      z: tab,
      name: '',
      scope: null,
      uncaught: false,
      wires: [[`proberecord${suffix}`]],
    },
    { id: `proberecord${suffix}`, type: 'function', z: tab, name: 'probe', func: record, outputs: 1, wires: [[]] },
    {
      id: `probehttp${suffix}`,
      type: 'http in',
      z: tab,
      url: `/${run}/probe`,
      method: 'get',
      wires: [[`probeanswer${suffix}`]],
    },
    {
      id: `probeanswer${suffix}`,
      type: 'function',
      z: tab,
      func: "msg.payload = global.get('probe') || []; return msg;",
      outputs: 1,
      wires: [[`proberesp${suffix}`]],
    },
    { id: `proberesp${suffix}`, type: 'http response', z: tab, statusCode: '', headers: {}, wires: [] },
  ];
}

const KAFKA_TLS = 'sectlskafka';
const GREMLIN_TLS = 'sectlsgremlin';

/** The Customer 360 flow over SASL_SSL Kafka and the authenticated TLS Gremlin Server. */
function secureFlow(topicPrefix: string, groupPrefix: string, suffix: string): any[] {
  const flow = customerFlow({
    topicPrefix,
    groupPrefix,
    traversalSource: 'g',
    brokers: ENDPOINTS.kafkaSaslSslBrokers.join(','),
    gremlinUrl: ENDPOINTS.gremlinSecureUrl,
    httpPath: `/${run}/customer/:id/360`,
    lingerMs: 20,
  });
  // TLS through Node-RED's tls-config nodes: Kafka's with the client certificate, key and passphrase as its
  // credentials (PEM texts, see KAFKA_TLS), Gremlin's trusting the stack's CA file.
  for (const n of flow) {
    if (n.type === 'ceh-kafka-broker')
      Object.assign(n, { usetls: true, tls: KAFKA_TLS + suffix, sasl: 'scram-sha-256' });
    if (n.type === 'ceh-gremlin-server') Object.assign(n, { tls: GREMLIN_TLS + suffix });
  }
  return [
    ...flow,
    tlsConfigNode(KAFKA_TLS + suffix, ''),
    tlsConfigNode(GREMLIN_TLS + suffix, ENDPOINTS.caFile),
    ...probeNodes(flow[0].id, suffix),
  ];
}

test(
  'security end to end (SASL_SSL + authenticated wss) and no secret leaks; admin endpoints need their permission',
  { timeout: 180000 },
  async () => {
    const tls = clientCertificate();
    const secrets: Record<string, string> = {
      'SCRAM password': ENDPOINTS.scramPassword,
      'Gremlin password': ENDPOINTS.gremlinPassword,
      'TLS key passphrase': tls.passphrase,
      // A line from the middle of the encrypted private key (PEM body).
      'TLS private key': tls.key.split('\n')[10],
      'wrong Kafka password': `wrong-kafka-password-${crypto.randomBytes(6).toString('hex')}`,
      'wrong Gremlin password': `wrong-gremlin-password-${crypto.randomBytes(6).toString('hex')}`,
    };
    // tls-config keeps PEM texts as its credentials (keydata is a text credential in Node-RED's core node: the key
    // stays encrypted by the passphrase, which is a password credential).
    const kafkaTlsCredentials = {
      cadata: fs.readFileSync(ENDPOINTS.caFile, 'utf8'),
      certdata: tls.cert,
      keydata: tls.key,
      passphrase: tls.passphrase,
    };
    const prefix = `sec.${run}.`;
    const flow = secureFlow(prefix, `sec-${run}`, '');
    const brokerId = flow.find((n) => n.type === 'ceh-kafka-broker').id;
    const gremlinId = flow.find((n) => n.type === 'ceh-gremlin-server').id;
    const kafka = new Kafka({ brokers: ENDPOINTS.kafkaBrokers, clientId: `ceh-${run}`, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const topics = [
      'customer.orders',
      'customer.clicks',
      'crm.customers.cdc',
      'social.tweets',
      'customer.deadletter',
    ].map((t) => prefix + t);
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    });
    cleanups.push(() => admin.deleteTopics({ topics }));
    const hash = bcrypt.hashSync('admin-login-pw', 8);
    const nodeRed: NodeRedProcess = await launchNodeRed({
      name: 'security',
      flow,
      credentials: {
        [brokerId]: { username: ENDPOINTS.scramUser, password: ENDPOINTS.scramPassword },
        [KAFKA_TLS]: kafkaTlsCredentials,
        [gremlinId]: { username: ENDPOINTS.gremlinUser, password: ENDPOINTS.gremlinPassword },
      },
      settings: {
        logging: { console: { level: 'trace', metrics: true, audit: true } },
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: hash, permissions: '*' },
            { username: 'reader', password: hash, permissions: 'read' },
          ],
        },
      },
    });
    cleanups.push(() => nodeRed.stop());
    const graph = new GremlinConnection({
      url: ENDPOINTS.gremlinSecureUrl,
      tls: { ca: fs.readFileSync(ENDPOINTS.caFile, 'utf8') },
      username: ENDPOINTS.gremlinUser,
      password: ENDPOINTS.gremlinPassword,
    });
    cleanups.push(async () => {
      await graph.submit(
        'g.V().or(has("customerId", TextP.startingWith(PFX)), has("orderId", TextP.startingWith(PFX)), has("sku", TextP.startingWith(PFX))).drop()',
        { PFX: KEY_PREFIX },
      );
      await graph.close();
    });

    // ---- 6: events over SASL_SSL reach the authenticated TLS graph; a bad one reaches the dead-letter topic.
    const ORDERS = 10;
    const CUSTOMERS = 5;
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    await producer.send({
      topic: `${prefix}customer.orders`,
      acks: -1,
      messages: [
        ...Array.from({ length: ORDERS }, (_, i) => ({
          key: `${i}`,
          value: JSON.stringify({
            customerId: `${KEY_PREFIX}C${i}`,
            orderId: `${KEY_PREFIX}O${i}`,
            total: 5 + i,
            items: [{ sku: `${KEY_PREFIX}P${i}`, lineNo: 1 }],
          }),
        })),
        {
          key: 'bad',
          value: JSON.stringify({
            customerId: `${KEY_PREFIX}Cbad`,
            orderId: `${KEY_PREFIX}Obad`,
            total: 'not a number',
          }),
        },
      ],
    });
    await producer.send({
      topic: `${prefix}crm.customers.cdc`,
      acks: -1,
      messages: Array.from({ length: CUSTOMERS }, (_, i) => ({
        key: `${i}`,
        value: JSON.stringify({
          op: 'c',
          before: null,
          after: { customer_id: `${KEY_PREFIX}R${i}`, email: `r${i}@example.com` },
          source: { ts_ms: 1714557600000 },
        }),
      })),
    });
    const count = async (q: string) => Number((await graph.submit(q, { PFX: KEY_PREFIX }))[0]);
    const expectedVertices = ORDERS * 3 + CUSTOMERS;
    const expectedEdges = ORDERS * 2;
    const vertexQuery =
      'g.V().or(has("customerId", TextP.startingWith(PFX)), has("orderId", TextP.startingWith(PFX)), has("sku", TextP.startingWith(PFX))).count()';
    const edgeQuery = 'g.V().has("orderId", TextP.startingWith(PFX)).bothE().count()';
    // Vertices are written before edges: wait for both.
    await eventually(
      'the events in the TLS graph',
      async () => (await count(vertexQuery)) === expectedVertices && (await count(edgeQuery)) === expectedEdges,
      60000,
      300,
    ).catch(() => undefined);
    const verticesFound = await count(vertexQuery);
    const edgesFound = await count(edgeQuery);
    const dead = await eventually(
      'the dead letter (published over SASL_SSL)',
      async () => {
        const [res] = await admin.fetchTopicOffsets(`${prefix}customer.deadletter`);
        return Number(res.high) >= 1 ? Number(res.high) : 0;
      },
      30000,
      300,
    ).catch(() => 0);
    const before = (await http(nodeRed.port, 'GET', `/${run}/probe`)).body as any[];
    assert.ok(Array.isArray(before), 'the probe answers');
    const goodStatuses = {
      kafkaIn: before.filter((s) => s.type === 'ceh-kafka-in' && s.fill === 'green').length,
      upsert: before.filter((s) => s.type === 'ceh-gremlin-upsert' && s.fill === 'green').length,
    };

    // ---- 5: admin API, tokens and endpoints of the pack.
    const token = async (username: string, scope: string) => {
      const r = await http(nodeRed.port, 'POST', '/auth/token', {
        client_id: 'node-red-admin',
        grant_type: 'password',
        scope,
        username,
        password: 'admin-login-pw',
      });
      assert.equal(r.status, 200, `token for ${username}: ${r.status} ${r.text}`);
      return r.body.access_token as string;
    };
    const adminToken = await token('admin', '*');
    const readerToken = await token('reader', 'read');
    assert.ok(adminToken && readerToken, 'tokens for admin and reader');
    assert.equal((await http(nodeRed.port, 'GET', '/flows')).status, 401, 'GET /flows needs a token');
    const exported = await http(nodeRed.port, 'GET', '/flows', undefined, adminToken, { 'Node-RED-API-Version': 'v2' });
    assert.equal(exported.status, 200);
    const brokerCreds = await http(
      nodeRed.port,
      'GET',
      `/credentials/ceh-kafka-broker/${brokerId}`,
      undefined,
      adminToken,
    );
    const gremlinCreds = await http(
      nodeRed.port,
      'GET',
      `/credentials/ceh-gremlin-server/${gremlinId}`,
      undefined,
      adminToken,
    );
    assert.equal(brokerCreds.body.has_password, true, 'the editor learns only that a password is set');
    assert.equal(gremlinCreds.body.has_password, true);

    // Every admin route the pack registers (read from the compiled nodes), called as nobody, as reader and as admin.
    const routes: Array<{ method: string; url: string; permission: string }> = [];
    for (const dir of fs.readdirSync(path.join(ROOT, 'dist', 'nodes'))) {
      const file = path.join(ROOT, 'dist', 'nodes', dir, `${dir}.js`);
      if (!fs.existsSync(file)) continue;
      // The permission a route names decides what a reader gets: a `.read` permission admits Node-RED's read scope.
      for (const m of fs
        .readFileSync(file, 'utf8')
        .matchAll(
          /RED\.httpAdmin\.(get|post|put|delete)\(\s*'([^']+)'\s*,\s*(?:RED\.auth\.needsPermission\('([^']+)'\))?/g,
        )) {
        routes.push({
          method: m[1].toUpperCase(),
          url: m[2].replace(/:id\b/, flow.find((n) => n.type === `ceh-${dir}`)?.id ?? 'x'),
          permission: m[3] ?? '',
        });
      }
    }
    assert.ok(routes.length >= 2, `admin routes found: ${JSON.stringify(routes)}`);
    const endpointResults: string[] = [];
    for (const r of routes) {
      const body = r.method === 'GET' ? undefined : { spec: 'vertices: {}', event: '{}' };
      const anonymous = await http(nodeRed.port, r.method, r.url, body);
      const reader = await http(nodeRed.port, r.method, r.url, body, readerToken);
      const adminRes = await http(nodeRed.port, r.method, r.url, body, adminToken);
      endpointResults.push(`${r.method} ${r.url}: ${anonymous.status}/${reader.status}/${adminRes.status}`);
      assert.equal(anonymous.status, 401, `${r.method} ${r.url} without a token`);
      if (r.permission.endsWith('.read'))
        assert.ok(
          ![401, 403].includes(reader.status),
          `${r.method} ${r.url} (${r.permission}) with read permission: ${reader.status}`,
        );
      else
        assert.ok(
          [401, 403].includes(reader.status),
          `${r.method} ${r.url} with read permission only: ${reader.status}`,
        );
      assert.ok(![401, 403].includes(adminRes.status), `${r.method} ${r.url} as admin: ${adminRes.status}`);
    }

    // ---- 6: a deploy with a wrong Kafka password and a wrong Gremlin password fails loudly.
    const wrong = secureFlow(`sec.${run}.wrong.`, `sec-${run}-wrong`, 'w').map((n) => {
      if (n.type === 'ceh-kafka-broker')
        return { ...n, credentials: { username: ENDPOINTS.scramUser, password: secrets['wrong Kafka password'] } };
      if (n.type === 'ceh-gremlin-server')
        return { ...n, credentials: { username: ENDPOINTS.gremlinUser, password: secrets['wrong Gremlin password'] } };
      if (n.id === `${KAFKA_TLS}w`) return { ...n, credentials: kafkaTlsCredentials };
      return n;
    });
    const probedBefore = ((await http(nodeRed.port, 'GET', `/${run}/probe`)).body as any[]).length;
    const deploy = await http(nodeRed.port, 'POST', '/flows', wrong, adminToken, {
      'Node-RED-Deployment-Type': 'full',
    });
    assert.equal(deploy.status, 204, `deploy: ${deploy.text}`);
    const apiAnswer = await eventually(
      'the 360 query to fail with the reason',
      async () => {
        const r = await http(nodeRed.port, 'GET', `/${run}/customer/${KEY_PREFIX}C1/360`);
        return r.status === 500 ? r : null;
      },
      60000,
      1000,
    ).then((x) => x!);
    const probe = await eventually(
      'kafka in and the Gremlin nodes to report the failures',
      async () => {
        // Only what happened after the deploy (global context keeps the first flow's entries).
        const l = ((await http(nodeRed.port, 'GET', `/${run}/probe`)).body as any[]).slice(probedBefore);
        const kafkaError = l.find((e) => e.kind === 'error' && e.type === 'ceh-kafka-in');
        const kafkaRed = l.find((e) => e.kind === 'status' && e.type === 'ceh-kafka-in' && e.fill === 'red');
        const gremlinRed = l.find((e) => e.kind === 'status' && /ceh-gremlin/.test(e.type) && e.fill === 'red');
        const gremlinError = l.find((e) => e.kind === 'error' && /ceh-gremlin/.test(e.type));
        return kafkaError && kafkaRed && gremlinRed && gremlinError
          ? { kafkaError, kafkaRed, gremlinRed, gremlinError }
          : null;
      },
      60000,
      500,
    ).then(
      (x) => x!,
      (e: Error) => {
        throw new Error(
          `${e.message}\nprobe: ${JSON.stringify(before.slice(-5))}\nlog tail:\n${nodeRed
            .output()
            .split('\n')
            .filter((x) => /error|warn/.test(x))
            .slice(-20)
            .join('\n')}`,
        );
      },
    );

    // ---- 5: secrets in files, the exported flow and the log (trace level, metrics and audit on).
    const file = (name: string) => fs.readFileSync(path.join(nodeRed.userDir, name), 'utf8');
    const flowsFile = file('flows.json');
    // Written by the deploy: encrypted with credentialSecret (prepareUserDir's plain test input is gone).
    const credFile = file('flows_cred.json');
    assert.ok(flowsFile.includes(`sec.${run}.wrong.`), 'flows.json holds the deployed flow');
    await nodeRed.stop().catch(() => undefined);
    const places: Record<string, string> = {
      'flows.json': flowsFile,
      'flows_cred.json': credFile,
      'GET /flows': exported.text,
      'GET /credentials': brokerCreds.text + gremlinCreds.text,
      'Node-RED output (trace)': nodeRed.output(),
    };
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(places)) {
      for (const [what, value] of Object.entries(secrets)) if (text.includes(value)) leaks.push(`${what} in ${where}`);
    }
    const logLines = nodeRed.output().split('\n').length;
    fs.writeFileSync(path.join(os.tmpdir(), 'ceh-security-node-red.log'), nodeRed.output());

    recordScenario({
      scenario: '5 secrets and admin permissions',
      eventsSent: 0,
      verticesExpected: 0,
      verticesFound: 0,
      edgesExpected: 0,
      edgesFound: 0,
      errorOutputs: 0,
      lost: 0,
      duplicated: 0,
      notes:
        `${Object.keys(secrets).length} secrets x ${Object.keys(places).length} places (${logLines} trace log lines): ${leaks.length} leaks; ` +
        `${routes.length} pack admin routes anonymous/reader/admin = ${endpointResults.map((r) => r.split(': ')[1]).join(', ')}`,
    });
    recordScenario({
      scenario: '6 security end to end',
      eventsSent: ORDERS + 1 + CUSTOMERS,
      verticesExpected: expectedVertices,
      verticesFound,
      edgesExpected: expectedEdges,
      edgesFound,
      errorOutputs: dead,
      lost: expectedVertices - Math.min(verticesFound, expectedVertices),
      duplicated: Math.max(0, verticesFound - expectedVertices),
      notes:
        `SASL_SSL SCRAM-SHA-256 + client cert, wss with auth; wrong passwords: kafka in "${probe.kafkaError.message.slice(0, 60)}", ` +
        `gremlin "${probe.gremlinError.message.slice(0, 60)}"`,
    });

    assert.equal(verticesFound, expectedVertices, 'every event reached the authenticated TLS graph');
    assert.equal(edgesFound, expectedEdges);
    assert.equal(dead, 1, 'the bad order reached the dead-letter topic over SASL_SSL');
    assert.ok(
      goodStatuses.kafkaIn > 0 && goodStatuses.upsert > 0,
      `green statuses while the secrets were right: ${JSON.stringify(goodStatuses)}`,
    );
    assert.match(probe.kafkaError.message, /SASL|authenticat|password/i);
    assert.match(probe.gremlinError.message + probe.gremlinRed.text, /auth|password|401|credential/i);
    assert.match(
      JSON.stringify(apiAnswer.body),
      /auth|password|401|credential/i,
      'the API answers 500 with the reason',
    );
    assert.deepEqual(leaks, [], 'secrets must not appear anywhere');
  },
);
