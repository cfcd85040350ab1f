#!/usr/bin/env node
'use strict';
/*
 * Writes flows/customer-360.json, the flow `npm start` deploys, from this description and the mapping specs in
 * mappings/ (so a mapping is written once: the YAML file is the source, the flow embeds it). A test checks that the
 * committed flow is what this script writes. Run `node scripts/build-flow.js` after changing a mapping.
 *
 * Tests and benchmarks reuse customerFlow() with other topic names, group ids and traversal sources.
 */
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const TAB = 'c360tab000000001';

/**
 * The Customer 360 query: profile (a set property such as tags with all its values), addresses, orders with their
 * products, recent clicks, social account and its terms.
 */
const QUERY_360 = [
  "g.V().has('customer', 'customerId', customerId).",
  "  project('profile', 'tags', 'addresses', 'orders', 'recentClicks', 'social').",
  '    by(valueMap().by(unfold())).',
  "    by(values('tags').order().fold()).",
  "    by(out('hasAddress').order().by('addressId').valueMap().by(unfold()).fold()).",
  "    by(out('placed').project('order', 'lines').",
  '        by(valueMap().by(unfold())).',
  "        by(outE('contains').order().by('lineNo').project('line', 'product').",
  '            by(valueMap()).by(inV().valueMap().by(unfold())).fold()).fold()).',
  "    by(outE('viewed').order().by('at', desc).limit(20).project('click', 'page').",
  "        by(valueMap()).by(inV().values('url')).fold()).",
  "    by(out('hasAccount').project('account', 'terms').",
  "        by(valueMap().by(unfold())).by(out('publishes').out('uses').dedup().values('text').fold()).fold())",
].join('\n');

/** Answers the 360 query: 200 with the customer's view, 404 for an unknown customer. */
const RESPOND_FN = [
  '// The query returns one result for a known customer and none for an unknown one.',
  'const view = Array.isArray(msg.payload) ? msg.payload[0] : undefined;',
  'if (!view) {',
  '    msg.statusCode = 404;',
  "    msg.payload = { error: 'unknown customer', customerId: msg.req.params.id };",
  '} else {',
  '    msg.statusCode = 200;',
  '    // valueMap().by(unfold()) keeps one value per key: a set property (tags) comes whole from its own projection.',
  '    const { tags, ...rest } = view;',
  '    if (tags.length) rest.profile.tags = tags;',
  '    msg.payload = { customerId: msg.req.params.id, ...rest };',
  '}',
  'return msg;',
].join('\n');

/** The stack's graphs: TinkerGraph (in memory) and JanusGraph (persistent, BerkeleyJE). */
const GRAPH_URLS = { janusgraph: 'ws://127.0.0.1:28182/gremlin', tinkergraph: 'ws://127.0.0.1:8182/gremlin' };
const GRAPH_NAMES = { janusgraph: 'local JanusGraph', tinkergraph: 'local TinkerGraph' };
// The demo flow's graph: the persistent JanusGraph. `npm start -- --graph tinkergraph` switches to the in-memory one.
const DEFAULT_GRAPH = 'janusgraph';

const TINKERGRAPH_SOURCES = ['gE2e', 'gBench', 'gReliability', 'gCorpus'];

/** The graph a flow writes to: named, implied by a stack URL, or by a traversal source only one graph serves. */
function graphOf(opts) {
  if (opts.graph) return opts.graph;
  const byUrl = Object.keys(GRAPH_URLS).find((g) => GRAPH_URLS[g] === opts.gremlinUrl);
  if (byUrl) return byUrl;
  if (opts.traversalSource === 'gTest') return 'janusgraph';
  // The TinkerGraph server's per-suite sources (stack/gremlin) exist only there.
  if (TINKERGRAPH_SOURCES.includes(opts.traversalSource)) return 'tinkergraph';
  return DEFAULT_GRAPH;
}

// The demo's topics and their mappings: one table with lib/demo/generator (TOPICS, MAPPING_OF).
const DEMO_TOPICS = require('../lib/demo/topics.json');

const SOURCES = [
  { name: 'orders', ...DEMO_TOPICS.orders, y: 180 },
  { name: 'clicks', ...DEMO_TOPICS.clicks, y: 240 },
  // The demo producer's imitation of Debezium; with cdc: 'debezium' the real connector's topic (DEBEZIUM_TOPIC) instead.
  { name: 'CRM customers (CDC)', ...DEMO_TOPICS.customers, y: 300 },
  { name: 'tweets', ...DEMO_TOPICS.tweets, y: 360 },
  // Only with cdc: 'debezium': the CRM's addresses table has no synthetic stand-in.
  { name: 'CRM addresses (CDC)', topic: 'crm.public.addresses', mapping: 'address.yaml', y: 420, debeziumOnly: true },
];

/** Debezium's topic for the CRM's customers table (PostgreSQL → Kafka Connect, stack/connect). */
const DEBEZIUM_TOPIC = 'crm.public.customers';

/** The flow `npm start` deploys where PostgreSQL is installed (flows/customer-360.json): real CDC. */
const MAIN_FLOW_OPTIONS = { cdc: 'debezium' };

/**
 * The Customer 360 flow. Options let tests and benchmarks run the same flow in isolation:
 *   topicPrefix: prepended to every topic (source and dead letter); groupPrefix: consumer group prefix; clientId: the
 *   Kafka client id (one per instance lets the broker's group description tell several instances apart);
 *   traversalSource: the Gremlin traversal source (g, gE2e, gBench, gReliability); brokers; gremlinUrl;
 *   mode: 'batch' (default) or 'message' for `kafka in`; maxInFlight; batchSize/lingerMs for `gremlin upsert`;
 *   sources: names of the SOURCES to include (default all); topics: { <source name>: topic list } replacing a source's
 *   topics (not prefixed); cdc: 'synthetic' (default: the demo producer's crm.customers.cdc, which the tests feed) or
 *   'debezium' (the connector's crm.public.customers: flows/customer-360.json); specs: { <mapping file>: spec text } replacing a mapping (tests relabel vertices to stay apart).
 *   lineage: true ticks lineage on every graph map (each written element names its topic, partition, offset, ...).
 *   graph: 'janusgraph' (DEFAULT_GRAPH: the persistent graph; implied by its URL or gTest) or 'tinkergraph'
 *   (implied by its URL or its per-suite sources gE2e, gBench, gReliability, gCorpus).
 */
function customerFlow(opts = {}) {
  // The stack's TinkerGraph serves several named traversal sources; JanusGraph serves g (and gTest for the suite).
  const graph = graphOf(opts);
  if (!GRAPH_URLS[graph])
    throw new Error(`customer-360 flow: graph must be one of ${Object.keys(GRAPH_URLS).join(', ')}`);
  const o = {
    topicPrefix: '',
    groupPrefix: 'customer-360',
    clientId: 'customer-360',
    traversalSource: 'g',
    brokers: '127.0.0.1:9092',
    gremlinUrl: GRAPH_URLS[graph],
    mode: 'batch',
    maxInFlight: 1000,
    batchSize: 500,
    lingerMs: 50,
    httpPath: '/customer/:id/360',
    // JanusGraph on BerkeleyJE keeps a unique index unique only for one writer at a time (see
    // stack/janusgraph/janusgraph-berkeleyje.properties): one batch in flight. TinkerGraph takes two.
    concurrency: graph === 'janusgraph' ? 1 : 2,
    ...opts,
  };
  const id = (n) =>
    `c360${n
      .replace(/[^a-z0-9]/gi, '')
      .toLowerCase()
      .padEnd(12, '0')
      .slice(0, 12)}`;
  const flow = [
    {
      id: TAB,
      type: 'tab',
      label: 'Customer 360',
      disabled: false,
      info:
        'The Customer 360 event hub of the talk: customer events from Kafka become vertices and edges of one graph,\n' +
        'written in batches; every failure goes to the dead-letter topic with its reason; an HTTP endpoint answers\n' +
        'the 360° view of a customer. Produce demo events with `npm run demo:produce -- --events 5000`.',
    },
    {
      id: id('kafkabroker'),
      type: 'ceh-kafka-broker',
      name: 'local Kafka',
      brokers: o.brokers,
      clientId: o.clientId,
      connectionTimeout: 10000,
      requestTimeout: 30000,
      usetls: false,
      tls: '',
      sasl: 'none',
    },
    {
      id: id('gremlinserver'),
      type: 'ceh-gremlin-server',
      name: GRAPH_NAMES[graph],
      url: o.gremlinUrl,
      traversalSource: o.traversalSource,
      serializer: 'graphbinary',
      dialect: 'tinkerpop',
      partitionKey: '',
      tls: '',
      timeout: 30000,
      // JanusGraph on BerkeleyJE: never let the server interrupt an evaluation (it invalidates the storage); the client
      // gives up after the timeout and the writer retries.
      serverTimeout: graph !== 'janusgraph',
    },
    {
      id: id('groupingest'),
      type: 'group',
      z: TAB,
      name: 'Ingest: Kafka → graph map → gremlin upsert (batched)',
      style: { label: true, stroke: '#0070c0', fill: '#e3f3ff', 'fill-opacity': '0.4' },
      nodes: [],
      x: 34,
      y: 79,
      w: 1052,
      h: 422,
    },
    {
      id: id('commentingest'),
      type: 'comment',
      z: TAB,
      g: id('groupingest'),
      name: 'One kafka in per topic (batch mode) → a graph map per topic → one shared gremlin upsert',
      info:
        'Offsets are committed only after gremlin upsert has written the batch (at-least-once through the whole flow).\n' +
        'Each graph map embeds a mapping spec from mappings/; open one and use its preview.',
      x: 420,
      y: 120,
      wires: [],
    },
    {
      id: id('upsert'),
      type: 'ceh-gremlin-upsert',
      z: TAB,
      g: id('groupingest'),
      name: 'upsert into the graph',
      server: id('gremlinserver'),
      batchSize: o.batchSize,
      lingerMs: o.lingerMs,
      concurrency: o.concurrency,
      retries: 10,
      passThrough: false,
      x: 880,
      y: 270,
      wires: [[], [id('deadletterout')]],
    },
  ];
  for (const s of SOURCES.filter((x) =>
    o.sources ? o.sources.includes(x.name) : !x.debeziumOnly || o.cdc === 'debezium',
  )) {
    const key = s.topic.replace(/\W/g, '');
    const topic = o.cdc === 'debezium' && s.topic === DEMO_TOPICS.customers.topic ? DEBEZIUM_TOPIC : s.topic;
    // An overriding topic list is taken as it is (not prefixed): a test reading the connector's own topic.
    const topics = (o.topics && o.topics[s.name]) || o.topicPrefix + topic;
    flow.push(
      {
        id: id(`in${key}`),
        type: 'ceh-kafka-in',
        z: TAB,
        g: id('groupingest'),
        name: s.name,
        broker: id('kafkabroker'),
        topics,
        topicsType: 'list',
        groupId: `${o.groupPrefix}-${key}`,
        start: 'earliest',
        valueDecoding: 'json',
        keyDecoding: 'string',
        mode: o.mode,
        commit: 'flow',
        onError: 'handled',
        maxInFlight: o.maxInFlight,
        x: 170,
        y: s.y,
        wires: [[id(`map${key}`)], [id('deadletterout')]],
      },
      {
        id: id(`map${key}`),
        type: 'ceh-graph-map',
        z: TAB,
        g: id('groupingest'),
        name: `map ${s.name}`,
        spec: (o.specs && o.specs[s.mapping]) || fs.readFileSync(path.join(ROOT, 'mappings', s.mapping), 'utf8'),
        ...(o.lineage === true ? { lineage: true } : {}),
        x: 470,
        y: s.y,
        wires: [[id('upsert')], [id('deadletterout')]],
      },
    );
  }
  flow.push(
    {
      id: id('groupdead'),
      type: 'group',
      z: TAB,
      name: 'Dead letters: undecodable, unmappable or unwritable events',
      style: { label: true, stroke: '#c00000', fill: '#ffefef', 'fill-opacity': '0.4' },
      nodes: [],
      x: 34,
      y: 519,
      w: 1052,
      h: 122,
    },
    {
      id: id('commentdead'),
      type: 'comment',
      z: TAB,
      g: id('groupdead'),
      name: 'Nothing is lost: every failure is published to the dead-letter topic with its reason in headers',
      info:
        'kafka out in dead-letter mode publishes the original event (never the change set), keyed as it came, with headers\n' +
        'ceh-error, ceh-source-topic, ceh-source-partition, ceh-source-offset, ceh-failed-node-id/-type/-name\n' +
        '(and ceh-error-definition, ceh-error-field for mapping errors).',
      x: 400,
      y: 560,
      wires: [],
    },
    {
      id: id('deadletterout'),
      type: 'ceh-kafka-out',
      z: TAB,
      g: id('groupdead'),
      name: `dead letter: ${DEMO_TOPICS.deadletter.topic}`,
      broker: id('kafkabroker'),
      topic: o.topicPrefix + DEMO_TOPICS.deadletter.topic,
      mode: 'deadLetter',
      key: '',
      keyType: 'none',
      headers: '',
      headersType: 'none',
      partition: '',
      partitionType: 'none',
      acks: 'all',
      compression: 'none',
      maxQueue: 1000,
      x: 700,
      y: 600,
      wires: [],
    },
    {
      id: id('groupapi'),
      type: 'group',
      z: TAB,
      name: 'Customer 360 API: GET /customer/:id/360',
      style: { label: true, stroke: '#00a000', fill: '#efffef', 'fill-opacity': '0.4' },
      nodes: [],
      x: 34,
      y: 659,
      w: 1052,
      h: 162,
    },
    {
      id: id('commentapi'),
      type: 'comment',
      z: TAB,
      g: id('groupapi'),
      name: 'curl 127.0.0.1:1880/customer/<id>/360 → profile, orders with products, recent clicks, social account and terms',
      info: 'The query takes the customer id as a binding (never spliced into the query text). Press the button of the query node to run it with its test bindings and see the result in the Debug sidebar.',
      x: 440,
      y: 700,
      wires: [],
    },
    {
      id: id('httpin'),
      type: 'http in',
      z: TAB,
      g: id('groupapi'),
      name: '',
      url: o.httpPath,
      method: 'get',
      upload: false,
      swaggerDoc: '',
      x: 180,
      y: 760,
      wires: [[id('query360')]],
    },
    {
      id: id('query360'),
      type: 'ceh-gremlin-query',
      z: TAB,
      g: id('groupapi'),
      name: 'customer 360 view',
      server: id('gremlinserver'),
      query: QUERY_360,
      bindings: [{ name: 'customerId', type: 'msg', value: 'req.params.id' }],
      testBindings: '{"customerId": "C-00002"}',
      timeout: 30000,
      output: 'array',
      x: 430,
      y: 760,
      wires: [[id('respond')]],
    },
    {
      id: id('respond'),
      type: 'function',
      z: TAB,
      g: id('groupapi'),
      name: '200 view or 404',
      func: RESPOND_FN,
      outputs: 1,
      timeout: 0,
      noerr: 0,
      initialize: '',
      finalize: '',
      libs: [],
      x: 660,
      y: 760,
      wires: [[id('httpout')]],
    },
    {
      id: id('httpout'),
      type: 'http response',
      z: TAB,
      g: id('groupapi'),
      name: '',
      statusCode: '',
      headers: {},
      x: 870,
      y: 760,
      wires: [],
    },
    {
      id: id('catchapi'),
      type: 'catch',
      z: TAB,
      g: id('groupapi'),
      name: 'query failed',
      scope: [id('query360')],
      uncaught: false,
      x: 430,
      y: 800,
      wires: [[id('fail500')]],
    },
    {
      id: id('fail500'),
      type: 'change',
      z: TAB,
      g: id('groupapi'),
      name: '500 with the reason',
      rules: [
        { t: 'set', p: 'statusCode', pt: 'msg', to: '500', tot: 'num' },
        { t: 'set', p: 'payload', pt: 'msg', to: '{"error": error.message}', tot: 'jsonata' },
      ],
      x: 660,
      y: 800,
      wires: [[id('httpout')]],
    },
  );
  const ids = new Set(flow.map((n) => n.id));
  if (ids.size !== flow.length) throw new Error('customer-360 flow: duplicate node ids');
  // Group membership is listed on the group too.
  for (const g of flow.filter((n) => n.type === 'group')) g.nodes = flow.filter((n) => n.g === g.id).map((n) => n.id);
  return flow;
}

module.exports = { customerFlow, QUERY_360, SOURCES, GRAPH_URLS, DEFAULT_GRAPH, DEBEZIUM_TOPIC, MAIN_FLOW_OPTIONS };

if (require.main === module) {
  const out = path.join(ROOT, 'flows', 'customer-360.json');
  fs.writeFileSync(out, `${JSON.stringify(customerFlow(MAIN_FLOW_OPTIONS), null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(ROOT, out)}\n`);
}
