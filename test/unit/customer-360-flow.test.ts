/* flows/customer-360.json is what scripts/build-flow.js writes from mappings/, and it is a well-formed flow. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JavaScript script of the project (runs without a build)
const { customerFlow, SOURCES, DEBEZIUM_TOPIC, MAIN_FLOW_OPTIONS } = require(
  path.join(ROOT, 'scripts', 'build-flow.js'),
);

test('the committed flow equals the generated one (run `node scripts/build-flow.js` after changing a mapping)', () => {
  const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'flows', 'customer-360.json'), 'utf8'));
  assert.deepEqual(committed, customerFlow(MAIN_FLOW_OPTIONS));
});

test("the committed flow reads the CRM from Debezium; the synthetic variant reads the demo producer's imitation", () => {
  const cdcIn = (flow: Array<Record<string, any>>) =>
    flow.find((n) => n.type === 'ceh-kafka-in' && n.name === 'CRM customers (CDC)')!;
  assert.equal(cdcIn(customerFlow(MAIN_FLOW_OPTIONS)).topics, DEBEZIUM_TOPIC);
  assert.equal(cdcIn(customerFlow()).topics, 'crm.customers.cdc');
  assert.equal(cdcIn(customerFlow({ cdc: 'debezium', topicPrefix: 'p.' })).topics, `p.${DEBEZIUM_TOPIC}`);
});

test("the CRM's addresses table is a source of the Debezium variant only (no synthetic stand-in)", () => {
  const addressIn = (flow: Array<Record<string, any>>) =>
    flow.find((n) => n.type === 'ceh-kafka-in' && n.name === 'CRM addresses (CDC)');
  assert.equal(addressIn(customerFlow(MAIN_FLOW_OPTIONS))!.topics, 'crm.public.addresses');
  assert.equal(addressIn(customerFlow()), undefined);
});

for (const [variant, options] of [
  ['synthetic', {}],
  ['debezium', MAIN_FLOW_OPTIONS],
] as const)
  test(`${variant} flow: every wire and config reference points at a node; every topic has kafka in → graph map → upsert`, () => {
    const flow: Array<Record<string, any>> = customerFlow(options);
    const byId = new Map(flow.map((n) => [n.id, n]));
    for (const n of flow) {
      for (const out of n.wires ?? []) for (const t of out) assert.ok(byId.has(t), `${n.id} → ${t}`);
      for (const ref of ['broker', 'server']) if (n[ref]) assert.ok(byId.has(n[ref]), `${n.id}.${ref}`);
    }
    for (const s of SOURCES.filter((x: { debeziumOnly?: boolean }) => variant === 'debezium' || !x.debeziumOnly)) {
      const topic = variant === 'debezium' && s.mapping === 'customer.yaml' ? DEBEZIUM_TOPIC : s.topic;
      const kin = flow.find((n) => n.type === 'ceh-kafka-in' && n.topics === topic)!;
      assert.ok(kin, topic);
      const map = byId.get(kin.wires[0][0])!;
      assert.equal(map.type, 'ceh-graph-map');
      assert.equal(map.spec, fs.readFileSync(path.join(ROOT, 'mappings', s.mapping), 'utf8'));
      assert.equal(byId.get(map.wires[0][0])!.type, 'ceh-gremlin-upsert');
      // Every error output reaches the dead-letter producer.
      for (const errOut of [kin.wires[1], map.wires[1]]) assert.equal(byId.get(errOut[0])!.mode, 'deadLetter');
    }
  });

test('options isolate a run: topic prefix, group prefix and traversal source', () => {
  const flow: Array<Record<string, any>> = customerFlow({
    topicPrefix: 'run1.',
    groupPrefix: 'g1',
    traversalSource: 'gE2e',
  });
  assert.ok(
    flow
      .filter((n) => n.type === 'ceh-kafka-in')
      .every((n) => n.topics.startsWith('run1.') && n.groupId.startsWith('g1-')),
  );
  assert.equal(flow.find((n) => n.type === 'ceh-kafka-out')!.topic, 'run1.customer.deadletter');
  assert.equal(flow.find((n) => n.type === 'ceh-gremlin-server')!.traversalSource, 'gE2e');
});
