/*
 * Scale-out on the stack's cluster profile (`npm run test:cluster`; needs `stack:up --profile cluster`): three Node-RED
 * instances run the Customer 360 flow in one set of consumer groups over 6-partition topics, spread over the two
 * JanusGraph Servers that share one Cassandra keyspace. The events arrive at a steady rate (PacedStream) while three
 * faults happen in turn, each while work remains (the stream is held before its last part until the fault has begun,
 * so no step can find the stream done; a step that cannot run fails the test):
 *   - kill -9 of one instance at ~40 % of the stream: the others take over its partitions after the session timeout.
 *     Measured from the kill: its members gone from the groups (the broker's session timeout), its partitions assigned
 *     to the survivors, the survivors consuming them (their GET /metrics per partition: the figure asserted <= 15 s),
 *     and their committed offsets moving (the graph written); then it is restarted;
 *   - a rolling redeploy: each instance in turn gets a changed flow through the admin API (a full deploy); its old
 *     members must be gone from the groups at once (a clean leave, no session timeout);
 *   - one JanusGraph Server stopped for 20 s while its instance keeps consuming (its batches fail and are retried, or
 *     wait behind the in-flight bound: memory bounded), then started again;
 * and after the drain a SIGTERM must leave the groups at once too, and the graph must equal the expected graph exactly
 * (counts per label + checksum) with every vertex key and keyed edge exactly once, and the dead-letter topic only the
 * deliberately bad events.
 *
 * CEH_CLUSTER_EVENTS sets the size, CEH_CLUSTER_RATE the events per second. The default is the size, 50,000
 * events at 70/s (about 19 minutes; CI runs it): a little above what the three instances write with the faults on the
 * 2-core machine, so a backlog builds, as it would in production after an outage. The stream waits at 40 % for the
 * cluster to catch up before the kill, so that backlog cannot hide in the kill -> resumed figure (see the hold below).
 * CEH_CLUSTER_EVENTS=4500 CEH_CLUSTER_RATE=30 is the quick form (about 6 minutes).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Kafka, logLevel, AssignerProtocol } from 'kafkajs';
import { unique, sleep, ENDPOINTS, stack } from '../support/project';
import { generate, SOURCE_TOPICS } from '../../lib/demo/generator';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { DEFAULT_GROUP_TIMINGS } from '../../lib/kafka/consumer-runner';
import { expectedGraph, actualGraph, compareGraphs, assertGraphsEqual, total } from '../support/graph-check';
import {
  NodeRedChild,
  PacedStream,
  readDeadLetters,
  dropJanusGraphInChunks,
  graphRowFields,
  drained,
} from '../support/pipeline-run';
import { deleteTopics, demoTopics } from '../support/kafka-test-kit';
import { recordScenario } from '../support/reliability';
import { EDGE_IDENTITY } from '../../lib/change-set';

const EVENTS = Number(process.env.CEH_CLUSTER_EVENTS) || 50_000;
const RATE = Number(process.env.CEH_CLUSTER_RATE) || 70;
const INSTANCES = 3;
const PARTITIONS = 6;
const URLS: string[] = ENDPOINTS.janusgraphClusterUrls;
/** The target for kill -> resumed consumption with the default session timeout. */
const RESUME_TARGET_MS = 15_000;
/**
 * A clean leave must beat what a session expiry could do: the broker drops a silent member no sooner than the session
 * timeout after its last heartbeat, i.e. >= session - heartbeat after the stop began.
 */
const CLEAN_LEAVE_MS = DEFAULT_GROUP_TIMINGS.sessionTimeoutMs - 2 * DEFAULT_GROUP_TIMINGS.heartbeatMs;

const groupOf = (run: string, topic: string) => `${run}-${topic.replace(/\W/g, '')}`;
const clientIdOf = (i: number) => `ceh-cluster-${i + 1}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
type Admin = ReturnType<Kafka['admin']>;

/** Committed offset per "topic/partition" of the run's groups. */
async function committedByPartition(admin: Admin, prefix: string, run: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of SOURCE_TOPICS) {
    const res = await admin.fetchOffsets({ groupId: groupOf(run, t), topics: [prefix + t] });
    for (const p of res[0]?.partitions ?? []) out.set(`${t}/${p.partition}`, Math.max(0, Number(p.offset)));
  }
  return out;
}

interface Member {
  memberId: string;
  clientId: string;
  /** "topic/partition"s, the topic without the run's prefix. */
  partitions: string[];
}

/** The broker's view of the run's groups: state and members with their assignments. */
async function describe(admin: Admin, prefix: string, run: string) {
  const ids = SOURCE_TOPICS.map((t) => groupOf(run, t));
  const { groups } = await admin.describeGroups(ids);
  return groups.map((g) => ({
    groupId: g.groupId,
    state: g.state,
    members: g.members.map((m): Member => {
      const a = m.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
      const partitions = Object.entries(a?.assignment ?? {}).flatMap(([t, ps]) =>
        ps.map((p) => `${t.startsWith(prefix) ? t.slice(prefix.length) : t}/${p}`),
      );
      return { memberId: m.memberId, clientId: m.clientId, partitions };
    }),
  }));
}

/** Sum of several per-partition maps. */
function added(maps: Array<Map<string, number>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}

/** Waits until cond() holds (polled every 200 ms); the ms it took. */
async function timeUntil(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(200);
  }
  return Date.now() - t0;
}

/**
 * Stops one instance cleanly and measures from the stop's start until its members are gone from every group, polled
 * while the stop runs (a deploy request answers only when every node has closed: gremlin upsert may spend up to 12 s
 * writing what it has queued, long after kafka in left). A clean stop sends LeaveGroup: no session timeout runs.
 */
async function cleanLeaveMs(
  admin: Admin,
  prefix: string,
  run: string,
  clientId: string,
  stop: () => Promise<void>,
): Promise<number> {
  const before = (await describe(admin, prefix, run)).flatMap((g) =>
    g.members.filter((m) => m.clientId === clientId).map((m) => m.memberId),
  );
  assert.equal(before.length, SOURCE_TOPICS.length, `${clientId} is a member of every group before its stop`);
  const stopping = stop();
  const ms = await timeUntil(
    `${clientId}'s old members leaving the groups`,
    async () => !(await describe(admin, prefix, run)).some((g) => g.members.some((m) => before.includes(m.memberId))),
    60_000,
  );
  await stopping;
  return ms;
}

/** Every group Stable with a member of each given client id holding partitions. */
async function groupsStableWith(admin: Admin, prefix: string, run: string, clientIds: string[]): Promise<boolean> {
  return (await describe(admin, prefix, run)).every(
    (g) =>
      g.state === 'Stable' &&
      g.members.length === clientIds.length &&
      clientIds.every((c) => g.members.some((m) => m.clientId === c && m.partitions.length > 0)),
  );
}

test(
  `cluster: ${INSTANCES} Node-RED instances, ${EVENTS} events at ${RATE}/s, kill -9 at ~40 %, rolling redeploy, a JanusGraph Server down 20 s: graph exact, no duplicate`,
  { timeout: 45 * 60_000 },
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
          clientId: clientIdOf(i),
          gremlinUrl: URLS[i % URLS.length],
          traversalSource: 'g',
          concurrency: 1,
          // Three Node-RED starts next to Cassandra and two JanusGraph Servers on 2 shared cores: > 60 s seen.
          startTimeoutMs: 180000,
        }),
    );
    const all = nodes.map((_, i) => clientIdOf(i));
    const stream = new PacedStream(prefix, records, RATE, PARTITIONS);
    // Held until the step that needs work arriving has begun (released there). Before the kill the stream is held
    // until the cluster has caught up: kill -> resumed measures the group's takeover, not the survivors' own backlog
    // (at their in-flight bound they fetch nothing new, a newly assigned partition included: 73.9 s in a CI run at
    // 70/s where the kill found 17 % of the stream not yet committed).
    const releaseKill = stream.holdAt(0.4 * EVENTS);
    const releaseRedeploy = stream.holdAt(0.7 * EVENTS);
    const releaseOutage = stream.holdAt(0.85 * EVENTS);
    let streamError: Error | null = null;
    const notes: string[] = [];
    const streaming = (step: string) =>
      assert.ok(!stream.done && !streamError, `${step}: the stream must still be running (${stream.sent} sent)`);
    try {
      // The cluster keyspace belongs to this suite: start from an empty graph (the schema and its indexes stay).
      await dropJanusGraphInChunks(conn);
      await stream.createTopics();
      const tStart = Date.now();
      await Promise.all(nodes.map((n) => n.start()));
      await timeUntil('3 instances in every group', () => groupsStableWith(admin, prefix, run, all), 120_000);
      notes.push(`3 instances up and in their groups in ${((Date.now() - tStart) / 1000).toFixed(0)} s`);
      const tStream = Date.now();
      stream.start();
      stream.finished().catch((e: Error) => {
        streamError = e;
      });

      // ---- kill -9 of instance 2 at ~40 % of the stream.
      const victim = nodes[1];
      const survivors = nodes.filter((n) => n !== victim);
      await timeUntil('40 % of the stream sent', async () => stream.sent >= Math.round(0.4 * EVENTS), 900_000);
      const heldAt = stream.sent;
      const caughtUpMs = await timeUntil(
        'the cluster caught up with the held stream',
        async () => total(Object.fromEntries(await committedByPartition(admin, prefix, run))) >= heldAt - RATE,
        900_000,
      );
      // Two seconds of stream again, so the victim's partitions have records it will not finish.
      releaseKill();
      await timeUntil('the stream flowing again', async () => stream.sent >= heldAt + 2 * RATE, 60_000);
      streaming('kill -9');
      const owned = (await describe(admin, prefix, run)).flatMap((g) =>
        g.members.filter((m) => m.clientId === clientIdOf(1)).flatMap((m) => m.partitions),
      );
      assert.ok(owned.length > 0, 'the victim holds partitions before the kill');
      const consumedBefore = added(await Promise.all(survivors.map((n) => n.consumedByPartition(prefix))));
      const tKill = Date.now();
      await victim.kill('SIGKILL');
      // Read after the kill: a commit the victim had in flight must not count as "moving again".
      const atKill = await committedByPartition(admin, prefix, run);
      const ends = new Map<string, number>();
      for (const t of SOURCE_TOPICS)
        for (const p of await admin.fetchTopicOffsets(prefix + t)) ends.set(`${t}/${p.partition}`, Number(p.high));
      // Its partitions with records not finished for good: what the survivors must take over.
      const pending = owned.filter((k) => (atKill.get(k) ?? 0) < (ends.get(k) ?? 0));
      assert.ok(pending.length > 0, `the kill must find the victim with work left (${owned.join(' ')})`);
      const at: Record<'gone' | 'assigned' | 'consumed' | 'committed', number | null> = {
        gone: null,
        assigned: null,
        consumed: null,
        committed: null,
      };
      // Polled until all four are seen or 120 s passed (the commit figure only informs: it includes the queue ahead).
      while (Object.values(at).some((x) => x === null) && Date.now() - tKill < 120_000) {
        const ms = Date.now() - tKill;
        const groups = await describe(admin, prefix, run);
        if (at.gone === null && !groups.some((g) => g.members.some((m) => m.clientId === clientIdOf(1)))) at.gone = ms;
        if (
          at.assigned === null &&
          groups.every((g) => g.state === 'Stable') &&
          pending.every((k) =>
            groups.some((g) => g.members.some((m) => m.clientId !== clientIdOf(1) && m.partitions.includes(k))),
          )
        )
          at.assigned = ms;
        if (at.consumed === null) {
          const now = added(await Promise.all(survivors.map((n) => n.consumedByPartition(prefix))));
          if (pending.every((k) => (now.get(k) ?? 0) > (consumedBefore.get(k) ?? 0))) at.consumed = Date.now() - tKill;
        }
        if (at.committed === null) {
          const now = await committedByPartition(admin, prefix, run);
          if (pending.every((k) => (now.get(k) ?? 0) > (atKill.get(k) ?? 0))) at.committed = Date.now() - tKill;
        }
        await sleep(200);
      }
      if (at.gone === null || at.assigned === null || at.consumed === null)
        throw new Error(
          `the victim's partitions (${pending.join(' ')}) were not taken over within 120 s: ${JSON.stringify(at)}\n${survivors[0].logTail()}`,
        );
      const resumedMs = at.consumed;
      notes.push(
        `caught up at 40 % in ${seconds(caughtUpMs)}; kill -9 at ${Math.round((100 * total(Object.fromEntries(atKill))) / EVENTS)} % committed (${pending.length} of its partitions with work left): its members gone after ${seconds(at.gone)}, partitions assigned to the others after ${seconds(at.assigned)}, consumed again after ${seconds(resumedMs)}, committed again after ${at.committed === null ? '> 120 s' : seconds(at.committed)}`,
      );
      const tRestart = Date.now();
      await victim.start();
      await timeUntil(
        'the restarted instance back in every group',
        () => groupsStableWith(admin, prefix, run, all),
        120_000,
      );
      notes.push(`restarted, back in every group after ${seconds(Date.now() - tRestart)}`);

      // ---- A rolling redeploy: each instance in turn gets a changed flow (Node-RED's full deploy stops and restarts
      // every node: its kafka in members leave their groups and join again).
      streaming('rolling redeploy');
      releaseRedeploy();
      const leaves: number[] = [];
      for (const [i, n] of nodes.entries()) {
        const flows = (await (
          await fetch(`http://127.0.0.1:${n.port}/flows`, { headers: { 'Node-RED-API-Version': 'v1' } })
        ).json()) as any[];
        for (const x of flows) if (x.type === 'ceh-kafka-in') x.name = `${x.name || 'kafka in'} (redeploy ${i + 1})`;
        leaves.push(
          await cleanLeaveMs(admin, prefix, run, clientIdOf(i), async () => {
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
          }),
        );
        await timeUntil(
          `instance ${i + 1} back in every group`,
          () => groupsStableWith(admin, prefix, run, all),
          120_000,
        );
      }
      notes.push(
        `rolling redeploy of 3 instances: old members gone ${leaves.map(seconds).join(' / ')} after the deploy request began`,
      );

      // ---- A JanusGraph Server stopped for 20 s while its instance (instance 2: URLS[1]) keeps consuming.
      assert.ok(URLS.length > 1, 'the cluster profile runs two JanusGraph Servers');
      streaming('JanusGraph Server stop');
      const outageNode = nodes[1];
      const rss0 = outageNode.rssMb();
      const consumed0 = total(Object.fromEntries(await outageNode.consumedByPartition(prefix)));
      await stack.janusgraphCluster.stopServer(1);
      const tDown = Date.now();
      releaseOutage();
      let peak = rss0;
      while (Date.now() - tDown < 20_000) {
        peak = Math.max(peak, outageNode.rssMb());
        await sleep(500); // time passes on purpose: the server stays down 20 s; its instance's RSS sampled meanwhile
      }
      const consumedDown = total(Object.fromEntries(await outageNode.consumedByPartition(prefix))) - consumed0;
      await stack.janusgraphCluster.startServer(1);
      notes.push(
        `JanusGraph ${URLS[1].replace(/^ws:\/\/|\/gremlin$/g, '')} down ${((Date.now() - tDown) / 1000).toFixed(0)} s (incl. restart), its instance consumed ${consumedDown} records in the first 20 s, RSS ${rss0.toFixed(0)} → peak ${peak.toFixed(0)} MB`,
      );

      await stream.finished();
      notes.push(`stream of ${EVENTS} sent in ${((Date.now() - tStream) / 1000).toFixed(0)} s`);
      const logs = { logTail: () => nodes.map((n) => n.logTail(15)).join('\n---\n') };
      await drained(prefix, run, EVENTS, logs, { timeoutMs: 15 * 60_000 });
      const tDrained = Date.now();
      // How often the fence (lib/kafka/partition-leases) left an event to its partition's new owner: informs only (a
      // run without a late hand-over has none, and a redeployed node's counter starts again).
      const abandoned = await Promise.all(nodes.map((n) => n.metricTotal('ceh_gremlin_upsert_abandoned_events_total')));
      notes.push(`events abandoned to a new owner ${abandoned.join('/')} per instance`);
      // ---- A SIGTERM leaves the groups at once too.
      const sigtermMs = await cleanLeaveMs(admin, prefix, run, clientIdOf(2), () => nodes[2].kill('SIGTERM'));
      notes.push(`SIGTERM: members gone after ${seconds(sigtermMs)}`);
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
        scenario: 'cluster: 3 instances, kill -9, rolling redeploy, JanusGraph Server down 20 s',
        eventsSent: EVENTS,
        ...graphRowFields(expected, actual, cmp, dead),
        notes: `${notes.join('; ')}; drained ${((tDrained - tStream) / 1000).toFixed(0)} s after the stream began; checksum ${cmp.equal ? 'equal' : 'DIFFERENT'}`,
      });
      if (!cmp.equal) console.log(`[cluster] graph differs:\n${cmp.sample.join('\n')}`);
      console.log(
        `[cluster] ${notes.join('; ')}; ${EVENTS} events drained ${((tDrained - tStream) / 1000).toFixed(0)} s after the stream began; total ${((Date.now() - t0) / 1000).toFixed(0)} s`,
      );
      assert.ok(
        resumedMs <= RESUME_TARGET_MS,
        `kill -9 → the victim's partitions consumed again: ${seconds(resumedMs)} (target ≤ ${RESUME_TARGET_MS / 1000} s)`,
      );
      for (const [i, ms] of leaves.entries())
        assert.ok(ms <= CLEAN_LEAVE_MS, `redeploy of instance ${i + 1}: old members left after ${seconds(ms)}`);
      assert.ok(sigtermMs <= CLEAN_LEAVE_MS, `SIGTERM: members left after ${seconds(sigtermMs)}`);
      assert.ok(consumedDown > 0, 'the instance whose JanusGraph Server was down kept consuming');
      assert.ok(peak - rss0 <= 150, `memory bounded while its JanusGraph Server was down: ${rss0} → ${peak} MB`);
      assert.deepEqual(actual.duplicates, [], 'each vertex key and keyed edge exactly once');
      // The instances guarded their keyed edges (gremlin upsert found the identity index): one identity per keyed edge.
      assert.equal(identities, keyedEdges, 'one edge identity vertex per keyed edge');
      assertGraphsEqual(expected, actual, cmp);
      assert.equal(dead.distinct, expected.bad, 'exactly the deliberately bad events on the dead-letter topic');
    } finally {
      releaseKill();
      releaseRedeploy();
      releaseOutage();
      for (const n of nodes) await n.stop().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      await stream.finished().catch(() => undefined);
      await deleteTopics(demoTopics(prefix));
      await conn.close();
    }
  },
);
