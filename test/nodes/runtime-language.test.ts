/*
 * The runtime's language reaches the pack's texts: a real embedded Node-RED with `lang: 'de'` logs the configuration
 * problems of kafka in, gremlin upsert and graph map in German — the words of the nodes' own catalogues and of the
 * shared one the build merges into each — with the data (a broker, a number, a field path) as it was given.
 * No servers: each node refuses its settings before it would connect.
 */
import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { startNodeRed, type NodeRedRuntime } from '../support/node-red-runtime';
import { eventually } from '../support/project';

const lines: Array<{ level: number; id?: string; msg: string }> = [];
let rt: NodeRedRuntime;

before(async () => {
  rt = await startNodeRed({
    settings: {
      lang: 'de',
      logging: {
        probe: {
          level: 'warn',
          metrics: false,
          audit: false,
          handler: () => (m: { level: number; id?: string; msg: unknown }) =>
            lines.push({ level: m.level, id: m.id, msg: String(m.msg) }),
        },
      },
    },
  });
});
after(() => rt?.stop());

const errorOf = (id: string) => lines.find((l) => l.id === id && l.level === 20)?.msg;

test('lang de: configuration problems are logged in German, with their data', { timeout: 60000 }, async () => {
  await rt.deploy([
    { id: 'badBroker', type: 'ceh-kafka-broker', brokers: 'kafka', clientId: 'ceh-test' },
    { id: 'okBroker', type: 'ceh-kafka-broker', brokers: '127.0.0.1:9', clientId: 'ceh-test' },
    { id: 'kinBroker', type: 'ceh-kafka-in', broker: 'badBroker', topics: 't', groupId: 'g', wires: [[], []] },
    {
      id: 'kinTimings',
      type: 'ceh-kafka-in',
      broker: 'okBroker',
      topics: 't',
      groupId: 'g',
      sessionTimeout: 6000,
      heartbeatInterval: 3000,
      wires: [[], []],
    },
    { id: 'kinTopic', type: 'ceh-kafka-in', broker: 'okBroker', topics: ' ', groupId: 'g', wires: [[], []] },
    { id: 'srv', type: 'ceh-gremlin-server', url: 'ws://127.0.0.1:9/gremlin' },
    { id: 'up', type: 'ceh-gremlin-upsert', server: 'srv', batchSize: 20000, ensureSchema: false, wires: [[], []] },
    {
      id: 'map',
      type: 'ceh-graph-map',
      spec: JSON.stringify({
        vertices: {
          order: { label: 'order', id: '{{id}}', properties: { total: { value: '{{t}}', type: 'decimal' } } },
        },
      }),
      wires: [[], []],
    },
  ]);
  await eventually(
    'every node to log its problem',
    () => ['kinBroker', 'kinTimings', 'kinTopic', 'up', 'map'].every(errorOf),
    20000,
  );
  assert.equal(errorOf('kinBroker'), 'kafka in: Broker "kafka" ist nicht host:port');
  assert.equal(
    errorOf('kinTimings'),
    'kafka in: das Heartbeat-Intervall (3000 ms) darf höchstens ein Drittel des Session-Timeouts (6000 ms) sein',
  );
  assert.equal(errorOf('kinTopic'), 'kafka in: kein Topic konfiguriert');
  assert.equal(errorOf('up'), 'gremlin upsert: Batch-Größe darf höchstens 10000 sein, nicht 20000');
  // The issue itself (the spec checker's words, a field path) is data; the wording around it is the node's.
  assert.match(errorOf('map') ?? '', /^Mapping-Spezifikation: vertices\.order\.id: unknown field "id" .*\(Zeile 1\)$/);
});
