#!/usr/bin/env node
'use strict';
/*
 * Captures real Debezium messages for the unit tests: runs a fixed series of changes against the stack's CRM database
 * (table capture_customers, which only this script writes), reads what the real connector published to
 * crm.public.capture_customers, and writes each message as consumed to test/fixtures/debezium/<NN>-<what>.json
 * ({ topic, partition, offset, headers, key, value }: key and value are the JSON converter's output, parsed).
 *
 *   CEH_STACK_DIR=... npm run stack:up && node scripts/capture-debezium.js
 *
 * The fixtures are committed; rerun this after changing the connector or the table, never edit them by hand.
 */
const fs = require('fs');
const path = require('path');
const { Kafka, logLevel } = require('kafkajs');
const postgres = require('../stack/postgres/postgres');
const connect = require('../stack/connect/connect');

const OUT = path.join(__dirname, '..', 'test', 'fixtures', 'debezium');
const TOPIC = connect.endpoints.crmTopics.capture;

/** The changes, in order; `expect` = how many messages (including tombstones) the step publishes. */
const STEPS = [
  {
    name: 'insert',
    expect: 1,
    sql: `INSERT INTO capture_customers VALUES ('CAP-1', 'Anna', 'Müller', 'anna@example.com', 'gold', 'CH',
      'T-7', TIMESTAMPTZ '2024-03-01 12:34:56.789123+01', DATE '1990-05-17', 12345.67, true, ARRAY['vip','new customer'],
      '{"tier": "gold", "score": 9.5, "nested": {"a": [1, 2]}}', TIMESTAMP '2024-03-02 08:15:30.123456',
      TIMESTAMP '2024-03-03 10:00:00.5', TIME '09:30:15.25')`,
  },
  {
    name: 'insert-sparse',
    expect: 1,
    sql: "INSERT INTO capture_customers (customer_id, first_name, last_name, created_at, credit_limit, birth_date) VALUES ('CAP-2', 'Ben', 'Schmid', TIMESTAMPTZ '1969-12-31 23:59:59.5+00', -0.05, DATE '1960-01-01')",
  },
  {
    name: 'update',
    expect: 1,
    sql: "UPDATE capture_customers SET segment = 'silver', credit_limit = 9999999999.99, tags = ARRAY['churn-risk'], profile = profile || '{\"tier\": \"silver\"}' WHERE customer_id = 'CAP-1'",
  },
  {
    name: 'update-to-null',
    expect: 1,
    sql: "UPDATE capture_customers SET email = NULL, twitter_id = NULL, credit_limit = NULL, tags = NULL, profile = NULL, birth_date = NULL WHERE customer_id = 'CAP-1'",
  },
  {
    name: 'pk-change',
    expect: 3,
    sql: "UPDATE capture_customers SET customer_id = 'CAP-3' WHERE customer_id = 'CAP-2'",
  },
  { name: 'delete', expect: 2, sql: "DELETE FROM capture_customers WHERE customer_id = 'CAP-3'" },
  {
    name: 'add-column',
    expect: 1,
    sql: [
      'ALTER TABLE capture_customers ADD COLUMN loyalty_points integer',
      "UPDATE capture_customers SET loyalty_points = 7 WHERE customer_id = 'CAP-1'",
    ],
  },
  {
    name: 'unknown-type',
    expect: 1,
    sql: [
      'ALTER TABLE capture_customers ADD COLUMN location point',
      "UPDATE capture_customers SET location = point(8.54, 47.37) WHERE customer_id = 'CAP-1'",
    ],
  },
];
const CLEANUP = [
  'DELETE FROM capture_customers',
  'ALTER TABLE capture_customers DROP COLUMN IF EXISTS loyalty_points',
  'ALTER TABLE capture_customers DROP COLUMN IF EXISTS location',
];

const parse = (buf) => (buf === null ? null : JSON.parse(buf.toString('utf8')));
const headersOf = (h) =>
  Object.fromEntries(
    Object.entries(h || {}).map(([k, v]) => {
      const s = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
      try {
        return [k, JSON.parse(s)];
      } catch {
        return [k, s];
      }
    }),
  );

async function main() {
  if (!postgres.available()) throw new Error(postgres.INSTALL_HINT);
  if (!(await connect.connectorStreaming()))
    throw new Error('the crm-pg connector is not streaming: run `npm run stack:up` first');
  for (const sql of CLEANUP) await postgres.query(sql);
  const kafka = new Kafka({ brokers: ['127.0.0.1:9092'], clientId: 'ceh-capture', logLevel: logLevel.WARN });
  const admin = kafka.admin();
  await admin.connect();
  // Wait for the cleanup's own messages to be published, then start after them.
  await new Promise((r) => setTimeout(r, 3000));
  if (!(await admin.listTopics()).includes(TOPIC))
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  const start = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const from = new Map(start.map((p) => [p.partition, p.offset]));

  const seen = [];
  const consumer = kafka.consumer({ groupId: `ceh-capture-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (BigInt(message.offset) < BigInt(from.get(partition) ?? '0')) return;
      seen.push({
        topic: TOPIC,
        partition,
        offset: message.offset,
        headers: headersOf(message.headers),
        key: parse(message.key),
        value: parse(message.value),
      });
    },
  });

  const files = [];
  let n = 0;
  for (const step of STEPS) {
    const before = seen.length;
    for (const sql of [].concat(step.sql)) await postgres.query(sql);
    const deadline = Date.now() + 30000;
    while (seen.length < before + step.expect && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (seen.length !== before + step.expect)
      throw new Error(`${step.name}: expected ${step.expect} messages, got ${seen.length - before}`);
    // Within a step, messages of different keys may arrive in any partition order: sort by source order (lsn), a
    // tombstone right after the delete it follows.
    const got = seen.slice(before);
    const rank = (m) =>
      m.value ? Number(m.value.payload.source.lsn) * 10 + (m.value.payload.op === 'd' ? 0 : 2) : null;
    got.forEach((m, i) => {
      if (!m.value)
        m.rank =
          rank(
            got.find((x) => x.value && x.value.payload.op === 'd' && JSON.stringify(x.key) === JSON.stringify(m.key)),
          ) + 1;
      else m.rank = rank(m);
      m.i = i;
    });
    got.sort((a, b) => a.rank - b.rank);
    for (const m of got) {
      const kind = !m.value ? 'tombstone' : { c: 'create', r: 'read', u: 'update', d: 'delete' }[m.value.payload.op];
      const file = `${String(++n).padStart(2, '0')}-${step.name}-${kind}.json`;
      delete m.rank;
      delete m.i;
      fs.writeFileSync(path.join(OUT, file), `${JSON.stringify(m, null, 2)}\n`);
      files.push(file);
    }
  }
  await consumer.disconnect();
  for (const sql of CLEANUP) await postgres.query(sql);
  process.stdout.write(
    `[capture] ${files.length} messages from ${TOPIC} written to ${path.relative(process.cwd(), OUT)}:\n  ${files.join('\n  ')}\n`,
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[capture] ${e.message}\n`);
    process.exit(1);
  },
);
