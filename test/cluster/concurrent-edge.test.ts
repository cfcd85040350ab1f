/*
 * Two writers of the same new edges at the same moment, on the cluster profile's two JanusGraph Servers (one Cassandra
 * keyspace): what happens when a partition moves while its old owner's batch is still being written. Both go through
 * the pack's BatchWriter with the same change sets. The endpoints are written beforehand and the racing mappings only
 * match them (create: false), so each writer sends one edge request and both start together: each request is one
 * transaction that reads "no such edge" for every row before either commits.
 *
 *   - an edge label identified by its endpoint pair, schema from lib/graph-schema (Multiplicity.SIMPLE + LOCK): the
 *     second commit is refused by JanusGraph's lock, the writer retries it and the retry matches the first writer's
 *     edges: each pair has exactly one edge;
 *   - the control: the same mapping on a label made MULTI before the schema was applied (a graph created before the
 *     fix; lib/graph-schema warns about it and cannot change it): the same race leaves duplicated edges. It shows that
 *     the race really happens in this run, so the first case passes because of the constraint, not by timing.
 *
 * And the same race for keyed edges (several edges per pair, told apart by an edge key: viewed, clicked), which stay
 * MULTI and which JanusGraph cannot index uniquely:
 *   - guarded: the writers merge each edge's identity vertex (EDGE_IDENTITY, unique LOCK index from lib/graph-schema)
 *     in the edge's transaction: the second commit is refused by the index lock, retried, and matches;
 *   - the control: the same writers without the guard (the writer before the fix) duplicate the edges.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { uniqueLabel, ENDPOINTS } from '../support/project';
import { loadSpec } from '../../lib/mapping';
import { mapEvent } from '../../lib/mapping/engine';
import { schemaFromMappings, applySchema, hasEdgeIdentityIndex } from '../../lib/graph-schema';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { BatchWriter } from '../../lib/gremlin/batch-writer';
import { EDGE_IDENTITY, edgeId, type ChangeSet } from '../../lib/change-set';

const URLS: string[] = ENDPOINTS.janusgraphClusterUrls;
/** Rows per edge request: enough that both transactions are still reading when the first one commits. */
const PAIRS = 150;
const ROUNDS = 6;

/**
 * Without `edge`: the endpoints; with it: the edge between endpoints that must exist (match only), with an edge key
 * (the event's `k`) when `keyed`.
 */
function spec(cl: string, ol: string, p: string, edge?: string, keyed = false): string {
  const only = edge ? ', create: false' : '';
  const key = keyed ? `, key: { name: ${p}K, value: "{{k}}" }` : '';
  return `vertices:
  c: { label: ${cl}, key: ${p}C, value: "{{c}}"${only} }
  o: { label: ${ol}, key: ${p}O, value: "{{o}}"${only} }
${edge ? `edges:\n  - { label: ${edge}, from: c, to: o${key} }\n` : ''}`;
}

const changeSets = (specText: string, first: number): ChangeSet[] =>
  Array.from(
    { length: PAIRS },
    (_, n) =>
      mapEvent(
        loadSpec(specText),
        { c: `C-${first + n}`, o: `O-${first + n}`, k: `K-${first + n}` },
        { topic: 'concurrent-edge', partition: 0, offset: String(first + n) },
      ) as ChangeSet,
  );

/** Writes the same change sets through two writers on the two servers at once; their retry counts. */
async function writeTwice(conns: GremlinConnection[], css: ChangeSet[], edgeIdentities = false): Promise<number[]> {
  const writers = conns.map(
    (c) => new BatchWriter(c, { dialect: 'tinkerpop', batchSize: PAIRS, lingerMs: 0, edgeIdentities }),
  );
  const failures = await Promise.all(writers.map((w) => w.write(css)));
  assert.deepEqual(failures, [[], []], 'no event failed');
  return writers.map((w) => w.stats.retries);
}

/** Of a round's pairs: [edges of the label, pairs holding more than one]. */
async function edgeCounts(
  conn: GremlinConnection,
  cl: string,
  cKey: string,
  edge: string,
  first: number,
): Promise<[number, number]> {
  const from = Array.from({ length: PAIRS }, (_, n) => `C-${first + n}`);
  const [n] = await conn.submit('g.V().hasLabel(L).has(K, within(F)).outE(E).count()', {
    L: cl,
    K: cKey,
    F: from,
    E: edge,
  });
  const [dup] = await conn.submit(
    'g.V().hasLabel(L).has(K, within(F)).local(outE(E).inV().groupCount().unfold().where(select(values).is(gt(1)))).count()',
    { L: cl, K: cKey, F: from, E: edge },
  );
  return [Number(n), Number(dup)];
}

test(
  'two instances writing the same new edges at once: SIMPLE + LOCK keeps one edge per pair; a MULTI label duplicates',
  {
    timeout: 10 * 60_000,
  },
  async () => {
    assert.ok(URLS.length >= 2, 'the cluster profile runs two JanusGraph Servers');
    const conns = URLS.slice(0, 2).map((url) => new GremlinConnection({ url, requestTimeoutMs: 120000 }));
    const p = uniqueLabel('ce');
    const [cl, ol, simple, multi] = ['c', 'o', 'placedS', 'placedM'].map((x) => `${x}_${p}`);
    try {
      // The control label exists before the schema: as in a graph made by an earlier version (MULTI, no lock).
      await conns[0].submit('def m = graph.openManagement(); m.makeEdgeLabel(E).make(); m.commit(); 1', { E: multi });
      const schema = schemaFromMappings([loadSpec(spec(cl, ol, p, simple)), loadSpec(spec(cl, ol, p, multi))]);
      assert.deepEqual(schema.simpleEdgeLabels, [multi, simple].sort());
      const report = await applySchema(conns[0], schema, 'janusgraph');
      assert.deepEqual(report.conflicts, []);
      assert.equal(report.warnings.length, 1, report.summary);
      assert.match(
        report.warnings[0],
        new RegExp(`edge labels ${multi} \\(MULTI DEFAULT\\): the mappings want SIMPLE LOCK`),
      );
      const desc = await conns[1].submit(
        'def m = graph.openManagement(); def l = m.getEdgeLabel(E); def r = [l.multiplicity().toString(), m.getConsistency(l).toString()]; m.rollback(); r',
        { E: simple },
      );
      assert.deepEqual(desc, ['SIMPLE', 'LOCK']);

      // Whether two requests overlap is up to the servers' timing (on a loaded machine a round may not race): rounds
      // of fresh pairs until both labels have met the race, each round checked in full.
      const rounds: string[] = [];
      let raced = { multi: false, simple: false };
      for (let round = 0; round < ROUNDS && !(raced.multi && raced.simple); round++) {
        const first = round * PAIRS;
        // The endpoints first (one writer); the racing writers then send nothing but their edge request.
        assert.deepEqual(
          await new BatchWriter(conns[0], { dialect: 'tinkerpop' }).write(changeSets(spec(cl, ol, p), first)),
          [],
        );
        const retriesMulti = await writeTwice(conns, changeSets(spec(cl, ol, p, multi), first));
        const [multiEdges, multiDup] = await edgeCounts(conns[0], cl, `${p}C`, multi, first);
        const retriesSimple = await writeTwice(conns, changeSets(spec(cl, ol, p, simple), first));
        const [simpleEdges, simpleDup] = await edgeCounts(conns[0], cl, `${p}C`, simple, first);
        rounds.push(
          `round ${round + 1}: MULTI ${multiEdges} edges (${multiDup} pairs twice, retries ${retriesMulti}); SIMPLE+LOCK ${simpleEdges} edges (${simpleDup} pairs twice, retries ${retriesSimple})`,
        );
        assert.equal(simpleDup, 0, `no pair has two SIMPLE edges: ${rounds.at(-1)}`);
        assert.equal(simpleEdges, PAIRS);
        raced = { multi: raced.multi || multiDup > 0, simple: raced.simple || retriesSimple[0] + retriesSimple[1] > 0 };
      }
      console.log(`[concurrent-edge] ${PAIRS} pairs per round, two writers at once:\n  ${rounds.join('\n  ')}`);
      assert.ok(raced.multi, 'the control never raced (no MULTI pair twice): the test proved nothing');
      assert.ok(raced.simple, 'the SIMPLE writers never met the lock (no retry): the test proved nothing');
    } finally {
      await conns[0].submit('g.V().hasLabel(C, O).drop()', { C: cl, O: ol }).catch(() => undefined);
      await Promise.all(conns.map((c) => c.close()));
    }
  },
);

test(
  'two instances writing the same new keyed edges at once: the identity guard keeps one edge per key; unguarded writers duplicate',
  { timeout: 10 * 60_000 },
  async () => {
    assert.ok(URLS.length >= 2, 'the cluster profile runs two JanusGraph Servers');
    const conns = URLS.slice(0, 2).map((url) => new GremlinConnection({ url, requestTimeoutMs: 120000 }));
    const p = uniqueLabel('ke');
    const [cl, ol, guarded, unguarded] = ['c', 'o', 'viewedG', 'viewedU'].map((x) => `${x}_${p}`);
    const identities = (first: number) =>
      conns[0].submit('g.V().hasLabel(I).has(K, within(N)).count()', {
        I: EDGE_IDENTITY.label,
        K: EDGE_IDENTITY.key,
        N: changeSets(spec(cl, ol, p, guarded, true), first).map((cs) => edgeId(cs.edges![0])),
      });
    try {
      const schema = schemaFromMappings([
        loadSpec(spec(cl, ol, p, guarded, true)),
        loadSpec(spec(cl, ol, p, unguarded, true)),
      ]);
      assert.deepEqual(schema.simpleEdgeLabels, [], 'keyed edge labels stay MULTI');
      const report = await applySchema(conns[0], schema, 'janusgraph');
      assert.deepEqual(report.conflicts, []);
      // The index is in the keyspace: both servers see it, so both writers take the guard the nodes would take.
      for (const c of conns) assert.equal(await hasEdgeIdentityIndex(c), true, 'the edge identity index is there');

      const rounds: string[] = [];
      let raced = { unguarded: false, guarded: false };
      for (let round = 0; round < ROUNDS && !(raced.unguarded && raced.guarded); round++) {
        const first = round * PAIRS;
        assert.deepEqual(
          await new BatchWriter(conns[0], { dialect: 'tinkerpop' }).write(changeSets(spec(cl, ol, p), first)),
          [],
        );
        const retriesU = await writeTwice(conns, changeSets(spec(cl, ol, p, unguarded, true), first));
        const [edgesU, dupU] = await edgeCounts(conns[0], cl, `${p}C`, unguarded, first);
        const retriesG = await writeTwice(conns, changeSets(spec(cl, ol, p, guarded, true), first), true);
        const [edgesG, dupG] = await edgeCounts(conns[0], cl, `${p}C`, guarded, first);
        const [ids] = await identities(first);
        rounds.push(
          `round ${round + 1}: unguarded ${edgesU} edges (${dupU} keys twice, retries ${retriesU}); guarded ${edgesG} edges (${dupG} keys twice, retries ${retriesG}, ${ids} identities)`,
        );
        assert.equal(dupG, 0, `no key has two guarded edges: ${rounds.at(-1)}`);
        assert.equal(edgesG, PAIRS);
        assert.equal(Number(ids), PAIRS, 'one identity vertex per guarded edge');
        raced = { unguarded: raced.unguarded || dupU > 0, guarded: raced.guarded || retriesG[0] + retriesG[1] > 0 };
      }
      console.log(
        `[concurrent-keyed-edge] ${PAIRS} keyed edges per round, two writers at once:\n  ${rounds.join('\n  ')}`,
      );
      assert.ok(raced.unguarded, 'the control never raced (no key twice): the test proved nothing');
      assert.ok(raced.guarded, 'the guarded writers never met the lock (no retry): the test proved nothing');
    } finally {
      await conns[0].submit('g.V().hasLabel(C, O).drop()', { C: cl, O: ol }).catch(() => undefined);
      await conns[0]
        .submit('g.V().hasLabel(I).has(K, TextP.containing(L)).drop()', {
          I: EDGE_IDENTITY.label,
          K: EDGE_IDENTITY.key,
          L: `[${guarded}#`,
        })
        .catch(() => undefined);
      await Promise.all(conns.map((c) => c.close()));
    }
  },
);
