/*
 * gremlin upsert's opt-in "ensure schema on deploy", as a Node-RED node against each real graph: the specs of the
 * flow's graph map nodes become the graph's indexes (and on JanusGraph typed keys), and the node's status says so.
 */
import { test, describe, before, after, afterEach } from 'node:test';
import * as assert from 'node:assert/strict';
import { uniqueLabel, eventually } from '../support/project';
import { GRAPHS } from '../support/graphs';
import { helper, helperNodes } from '../support/helper-nodes';
import { GremlinConnection } from '../../lib/gremlin/connection';

const NODES = helperNodes('gremlin-server', 'gremlin-upsert', 'graph-map');

describe('gremlin upsert: ensure schema on deploy', () => {
  before(() => new Promise<void>((r) => helper.startServer(r)));
  afterEach(() => helper.unload());
  after(() => new Promise<void>((r) => helper.stopServer(r)));

  for (const graph of GRAPHS) {
    test(`${graph.name}: the graph map specs of the flow become indexes; the status reports it`, async () => {
      const source = graph.suiteSource('g') === 'gTest' ? 'gTest' : 'g';
      const L = uniqueLabel('ens');
      const key = `k${Date.now().toString(36)}`;
      const spec = `vertices:\n  v:\n    label: ${L}\n    key: ${key}\n    value: "{{id}}"\n    properties:\n      ${key}Total: { value: "{{t}}", type: double }\n`;
      const conn = new GremlinConnection({ url: graph.url, traversalSource: source });
      try {
        await helper.load(NODES, [
          {
            id: 'srv',
            type: 'ceh-gremlin-server',
            url: graph.url,
            traversalSource: source,
            serializer: 'graphbinary',
            dialect: 'tinkerpop',
          },
          { id: 'map', type: 'ceh-graph-map', spec, wires: [['up'], []] },
          { id: 'up', type: 'ceh-gremlin-upsert', server: 'srv', ensureSchema: true, wires: [[], []] },
        ]);
        const up = helper.getNode('up');
        const statuses = () => (up.status?.args ?? []).map((a: any[]) => String(a[0]?.text ?? ''));
        await eventually('the schema status', () => statuses().some((t: string) => t.startsWith('schema: ')), 60000);
        const final = statuses()
          .filter((t: string) => t.startsWith('schema: '))
          .pop();
        assert.match(final!, /^schema: [1-9]\d* created, \d+ already there, 0 conflicts$/);
        if (graph.name === 'tinkergraph') {
          const [has] = await conn.submit(`${source}.getGraph().getIndexedKeys(Vertex.class).contains(k)`, { k: key });
          assert.equal(has, true);
        } else {
          const desc = await conn.submit(
            `def m = ${source}.getGraph().openManagement(); def r = [m.getGraphIndex(n).isUnique(), m.getPropertyKey(t).dataType().getSimpleName()]; m.rollback(); r`,
            { n: `by_${L}_${key}`, t: `${key}Total` },
          );
          assert.deepEqual(desc, [true, 'Double']);
        }
      } finally {
        await conn.close();
      }
    });
  }
});
