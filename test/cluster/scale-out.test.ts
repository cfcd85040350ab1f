/*
 * Scale-out on the stack's cluster profile (`npm run test:cluster`; needs `stack:up --profile cluster`): three Node-RED
 * instances run the Customer 360 flow in one set of consumer groups over 6-partition topics, spread over the two
 * JanusGraph Servers that share one Cassandra keyspace. One stream, three faults in turn:
 *   - kill -9 of one instance at ~40 % committed: the others take over its partitions after the session timeout (the
 *     time from kill to its partitions moving again is reported), then it is restarted;
 *   - one JanusGraph Server stopped for 20 s while its instance keeps consuming (its batches fail and are retried, or
 *     wait behind the in-flight bound), then started again;
 *   - a rolling redeploy: each instance in turn gets a changed flow through the admin API (a full deploy);
 * and after the drain the graph must equal the expected graph exactly (counts per label + checksum) with every vertex
 * key and keyed edge exactly once, and the dead-letter topic only the deliberately bad events.
 *
 * CEH_CLUSTER_EVENTS sets the size (default 6,000: about three minutes on the loaded 2-core machine; the issue's 50,000 is
 * CEH_CLUSTER_EVENTS=50000).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { unique, sleep, ENDPOINTS, stack } from '../support/project';
import { generate, SOURCE_TOPICS } from '../../lib/demo/generator';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { expectedGraph, actualGraph, compareGraphs, assertGraphsEqual, total } from '../support/graph-check';
import {
  NodeRedChild,
  produceRecords,
  committedTotal,
  readDeadLetters,
  dropJanusGraphInChunks,
  graphRowFields,
  drained,
} from '../support/pipeline-run';
import { deleteTopics, demoTopics } from '../support/kafka-test-kit';
import { recordScenario } from '../support/reliability';
import { EDGE_IDENTITY } from '../../lib/change-set';

const EVENTS = Number(process.env.CEH_CLUSTER_EVENTS) || 6000;
const INSTANCES = 3;
const PARTITIONS = 6;
const URLS: string[] = ENDPOINTS.janusgraphClusterUrls;

const groupOf = (run: string, topic: string) => `${run}-${topic.replace(/\W/g, '')}`;

/** Committed offset per "topic/partition" of the run's groups. */
async function committedByPartition(
  admin: ReturnType<Kafka['admin']>,
  prefix: string,
  run: string,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of SOURCE_TOPICS) {
    const res = await admin.fetchOffsets({ groupId: groupOf(run, t), topics: [prefix + t] });
    for (const p of res[0]?.partitions ?? []) out.set(`${t}/${p.partition}`, Math.max(0, Number(p.offset)));
  }
  return out;
}

/** The partitions a `kafka in` status names ("..., p0,3"), per source topic of that node. */
function partitionsInStatus(nr: NodeRedChild): string[] {
  const out: string[] = [];
  for (const n of nr.flow.filter((x: any) => x.type === 'ceh-kafka-in')) {
    // The latest status that named them (a paused or rejoining status does not).
    const text = [...(nr.statusHistory.get(n.id) ?? [])].reverse().find((x) => /, p[\d,]+$/.test(x)) ?? '';
    const m = /p([\d,]+)$/.exec(text);
    const topic = SOURCE_TOPICS.find((t) => String(n.topics).endsWith(t));
    if (m && topic) for (const p of m[1].split(',')) out.push(`${topic}/${p}`);
  }
  return out;
}

test(
  `cluster: ${INSTANCES} Node-RED instances, ${EVENTS} events, kill -9 at ~40 %, a JanusGraph Server down 20 s, rolling redeploy: graph exact, no duplicate`,
  { timeout: 30 * 60_000 },
  async () => {
    const t0 = Date.now();
    const { records, graph } = generate(EVENTS, 11);
    const expected = expectedGraph({ records, graph });
    const conn = new GremlinConnection({ url: URLS[0], traversalSource: 'g', requestTimeoutMs: 300000 });
    const run = unique('cluster');
    const prefix = `${run}.`;
    const admin = new Kafka({
      brokers: ENDPOINTS.kafkaBrokers,
      clientId: 'ceh-cluster-test',
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const nodes = Array.from(
      { length: INSTANCES },
      (_, i) =>
        new NodeRedChild({
          topicPrefix: prefix,
          groupPrefix: run,
          gremlinUrl: URLS[i % URLS.length],
          traversalSource: 'g',
          concurrency: 1,
          // Three Node-RED starts next to Cassandra and two JanusGraph Servers on 2 shared cores: > 60 s seen.
          startTimeoutMs: 180000,
        }),
    );
    const notes: string[] = [];
    try {
      // The cluster keyspace belongs to this suite: start from an empty graph (the schema and its indexes stay).
      await dropJanusGraphInChunks(conn);
      await produceRecords(prefix, records, ENDPOINTS.kafkaBrokers, PARTITIONS);
      const tStart = Date.now();
      await Promise.all(nodes.map((n) => n.start()));
      notes.push(`3 instances up in ${((Date.now() - tStart) / 1000).toFixed(0)} s`);

      // kill -9 of instance 2 at ~40 % committed, once its status has shown its partitions.
      const victim = nodes[1];
      const deadlineA = Date.now() + 600_000;
      while ((await committedTotal(prefix, run)) < 0.35 * EVENTS || partitionsInStatus(victim).length === 0) {
        if (Date.now() > deadlineA)
          throw new Error(`never reached 40 %: ${await committedTotal(prefix, run)}\n${nodes[0].logTail()}`);
        await sleep(200);
      }
      const owned = partitionsInStatus(victim);
      const tKill = Date.now();
      await victim.kill('SIGKILL');
      // Read after the kill: a commit the victim had in flight must not count as "moving again".
      const atKill = await committedByPartition(admin, prefix, run);
      const ends = new Map<string, number>();
      for (const t of SOURCE_TOPICS)
        for (const p of await admin.fetchTopicOffsets(prefix + t)) ends.set(`${t}/${p.partition}`, Number(p.high));
      const pending = owned.filter((k) => (atKill.get(k) ?? 0) < (ends.get(k) ?? 0));
      let resumedMs: number | null = null;
      while (pending.length && resumedMs === null && Date.now() - tKill < 120_000) {
        const now = await committedByPartition(admin, prefix, run);
        if (pending.some((k) => (now.get(k) ?? 0) > (atKill.get(k) ?? 0))) resumedMs = Date.now() - tKill;
        else await sleep(250);
      }
      notes.push(
        `kill -9 at ${Math.round((100 * total(Object.fromEntries(atKill))) / EVENTS)} %: its partitions moving again after ${resumedMs === null ? 'n/a (none pending)' : `${(resumedMs / 1000).toFixed(1)} s`}`,
      );
      if (pending.length)
        assert.ok(
          resumedMs !== null,
          `the killed member's partitions (${pending.join(' ')}) did not move within 120 s`,
        );
      await victim.start();

      // A rolling redeploy: each instance in turn gets a changed flow (Node-RED's full deploy stops and restarts every
      // node: its kafka in members leave their groups and join again).
      let redeployed = 0;
      for (const [i, n] of nodes.entries()) {
        if ((await committedTotal(prefix, run)) >= EVENTS) break;
        const flows = (await (
          await fetch(`http://127.0.0.1:${n.port}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })
        ).json()) as any[];
        for (const x of flows) if (x.type === 'ceh-kafka-in') x.name = `${x.name || 'kafka in'} (redeploy ${i + 1})`;
        const res = await fetch(`http://127.0.0.1:${n.port}/flows`, {
          method: 'POST',
          body: JSON.stringify(flows),
          headers: {
            'Content-Type': 'application/json',
            'Node-RED-API-Version': 'v1',
            'Node-RED-Deployment-Type': 'full',
          },
        });
        assert.equal(res.status, 204, `redeploy of instance ${i + 1}: ${res.status} ${await res.text()}`);
        redeployed++;
        // Time passes on purpose: a rolling redeploy's pace, one instance every 5 s while the stream goes on (what
        // is checked is the graph at the end, not how fast an instance rejoins).
        await sleep(5000);
      }
      notes.push(`rolling redeploy of ${redeployed} instances`);

      // A JanusGraph Server stopped for 20 s while its instance (instance 2: URLS[1]) keeps consuming.
      if (URLS.length > 1 && (await committedTotal(prefix, run)) < 0.9 * EVENTS) {
        const rss0 = nodes[1].rssMb();
        await stack.janusgraphCluster.stopServer(1);
        const tDown = Date.now();
        let peak = rss0;
        while (Date.now() - tDown < 20_000) {
          peak = Math.max(peak, nodes[1].rssMb());
          await sleep(500); // time passes on purpose: the server stays down 20 s; its instance's RSS sampled meanwhile
        }
        await stack.janusgraphCluster.startServer(1);
        notes.push(
          `JanusGraph ${URLS[1].replace(/^ws:\/\/|\/gremlin$/g, '')} down ${((Date.now() - tDown) / 1000).toFixed(0)} s (incl. restart), its instance's RSS ${rss0.toFixed(0)} → peak ${peak.toFixed(0)} MB`,
        );
      } else notes.push('JanusGraph stop skipped: the stream was (nearly) done');

      const logs = { logTail: () => nodes.map((n) => n.logTail(15)).join('\n---\n') };
      await drained(prefix, run, EVENTS, logs, { timeoutMs: 15 * 60_000 });
      const tDrained = Date.now();
      // Every instance showed its own partitions in its kafka in status, and the rebalances were visible as "rejoining".
      for (const [i, n] of nodes.entries()) {
        const texts = [...n.statusHistory.values()].flat();
        assert.ok(
          texts.some((x) => /, p[\d,]+$/.test(x)),
          `instance ${i + 1} never showed its partitions: ${texts.slice(-5).join(' | ')}`,
        );
      }
      const rejoins = nodes.map(
        (n) => [...n.statusHistory.values()].flat().filter((x) => /^rejoining group /.test(x)).length,
      );
      notes.push(`"rejoining group" status seen ${rejoins.join('/')} times per instance`);
      const actual = await actualGraph(conn, 'g', expected);
      const cmp = compareGraphs(expected, actual);
      const dead = await readDeadLetters(prefix);
      const keyedEdges = Object.keys(expected.edgeKeyOf).reduce((n, l) => n + (expected.edges[l] ?? 0), 0);
      const [identityCount] = await conn.submit('g.V().hasLabel(I).count()', { I: EDGE_IDENTITY.label });
      const identities = Number(identityCount);
      notes.push(`${identities} edge identities for ${keyedEdges} keyed edges`);
      recordScenario({
        scenario: 'cluster: 3 instances, kill -9, JanusGraph Server down 20 s, rolling redeploy',
        eventsSent: EVENTS,
        ...graphRowFields(expected, actual, cmp, dead),
        notes: `${notes.join('; ')}; drained in ${((tDrained - tStart) / 1000).toFixed(0)} s (${Math.round(EVENTS / ((tDrained - tStart) / 1000))} events/s under load); checksum ${cmp.equal ? 'equal' : 'DIFFERENT'}`,
      });
      console.log(
        `[cluster] ${notes.join('; ')}; ${EVENTS} events drained in ${((tDrained - tStart) / 1000).toFixed(0)} s; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
      assert.deepEqual(actual.duplicates, [], 'each vertex key and keyed edge exactly once');
      // The instances guarded their keyed edges (gremlin upsert found the identity index): one identity per keyed edge.
      assert.equal(identities, keyedEdges, 'one edge identity vertex per keyed edge');
      assertGraphsEqual(expected, actual, cmp);
      assert.equal(dead.distinct, expected.bad, 'exactly the deliberately bad events on the dead-letter topic');
    } finally {
      for (const n of nodes) await n.stop().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await deleteTopics(demoTopics(prefix));
      await conn.close();
    }
  },
);
