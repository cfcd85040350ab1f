/*
 * Metrics end to end: Node-RED as a child process running the Customer 360 flow (adminAuth on, the lag read every
 * second), scraped by a real Prometheus from Debian's packages (stack/prometheus, port 29090, data under
 * $CEH_STACK_DIR) with a bearer token. After the demo producer sent N events:
 *   - GET /metrics agrees exactly with the producer's counts: records consumed per topic, undecodable records, events
 *     mapped / failed / skipped per graph map, events written, dead letters published; the lag of every partition
 *     falls to 0;
 *   - Prometheus, through its HTTP API, read the lag (above 0 during the ingest, 0 at the end), the consumption rate
 *     and the same total;
 *   - the endpoint answers 401 to anonymous users and to users whose permissions do not include ceh-metrics.read.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT, ENDPOINTS, unique, eventually, requireFromNodeRed } from '../support/project';
import { adminRequest } from '../support/admin-auth';
import { startCustomerFlow, CustomerFlowChild } from '../support/node-red-child';
import { deleteTopics, demoTopics } from '../support/kafka-test-kit';
import { parseMetrics, select, sum, Sample } from '../support/metrics-text';
import { produceDemo, ensureTopics } from '../../lib/demo/produce';
import { generate, TOPICS } from '../../lib/demo/generator';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
const prometheus = require(path.join(ROOT, 'stack', 'prometheus', 'prometheus.js'));
const bcrypt = requireFromNodeRed('bcryptjs');

const EVENTS = 3000;
const SEED = 18;
const SCRAPE_TOKEN = `scrape-${Math.random().toString(36).slice(2)}`;
const PASSWORD = 'metrics-test-pw';

type PromResult = Array<{ metric: Record<string, string>; value: [number, string] }>;
const scalar = (r: PromResult) => (r.length ? Number(r[0].value[1]) : NaN);

async function get(port: number, url: string, token?: string): Promise<{ status: number; text: string; type: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** A token with every permission the user has (scope ''). */
async function login(port: number, username: string): Promise<string> {
  const r = await adminRequest(port, 'POST', '/auth/token', {
    client_id: 'node-red-admin',
    grant_type: 'password',
    scope: '',
    username,
    password: PASSWORD,
  });
  assert.equal(r.status, 200, `login of ${username}`);
  return r.body.access_token as string;
}

test(
  'metrics: counters agree with the producer, lag falls to 0, Prometheus reads lag and rate, permissions hold',
  { timeout: 240000 },
  async () => {
    const run = unique('metrics');
    const topicPrefix = `${run}.`;
    const { summary } = generate(EVENTS, SEED);
    let nr: CustomerFlowChild | undefined;
    let prom: any;
    try {
      await ensureTopics(ENDPOINTS.kafkaBrokers, 3, topicPrefix);
      const hash = bcrypt.hashSync(PASSWORD, 8);
      nr = await startCustomerFlow(
        { topicPrefix, groupPrefix: run, graph: 'tinkergraph', traversalSource: 'g', httpPath: `/${run}/:id/360` },
        {
          settings: {
            cehMetrics: { lagIntervalMs: 1000 },
            adminAuth: {
              type: 'credentials',
              sessionExpiryTime: 600,
              users: [
                { username: 'admin', password: hash, permissions: '*' },
                { username: 'reader', password: hash, permissions: 'read' },
                { username: 'flows-reader', password: hash, permissions: ['flows.read'] },
              ],
            },
          },
          // A static token for the scraper, as an operator would configure it (settings.js, adminAuth.tokens).
          settingsCode: `module.exports.adminAuth.tokens = (token) => Promise.resolve(token === ${JSON.stringify(SCRAPE_TOKEN)} ? { username: 'prometheus', permissions: 'ceh-metrics.read' } : null);`,
        },
      );
      const port = nr.port;

      // Permissions: ceh-metrics.read is a read permission, so Node-RED's `read` scope includes it; `flows.read` does not.
      assert.equal((await get(port, '/metrics')).status, 401, 'anonymous');
      assert.equal(
        (await get(port, '/metrics', await login(port, 'flows-reader'))).status,
        401,
        'a user with flows.read only',
      );
      assert.equal((await get(port, '/metrics', 'not-a-token')).status, 401, 'a wrong token');
      const reader = await get(port, '/metrics', await login(port, 'reader'));
      assert.equal(reader.status, 200, 'a read-only user (read covers every *.read permission)');
      assert.match(reader.type, /^text\/plain; version=0\.0\.4/);
      assert.equal((await get(port, '/metrics', SCRAPE_TOKEN)).status, 200, 'the scraper token');
      const adminToken = await login(port, 'admin');

      prom = await prometheus.start({ targets: [`127.0.0.1:${port}`], bearerToken: SCRAPE_TOKEN, scrapeIntervalS: 1 });
      await eventually(
        'Prometheus to scrape Node-RED',
        async () => (await prom.targets()).some((t: any) => t.health === 'up'),
        30000,
        250,
      );

      // The producer sends faster than TinkerGraph takes the events, so a lag builds up and then drains.
      const t0 = Date.now();
      const sent = await produceDemo({
        events: EVENTS,
        seed: SEED,
        topicPrefix,
        brokers: ENDPOINTS.kafkaBrokers,
        log: () => undefined,
      });
      assert.deepEqual(sent, summary);

      const source = (t: string) => topicPrefix + t;
      const inNodes = nr.flow.filter((n) => n.type === 'ceh-kafka-in');
      const partitions = inNodes.length * 3;
      let samples: Sample[] = [];
      await eventually(
        "the counters to reach the producer's counts and the lag to fall to 0",
        async () => {
          const r = await get(port, '/metrics', adminToken);
          samples = parseMetrics(r.text);
          const lag = select(samples, 'ceh_kafka_in_consumer_lag');
          return (
            sum(samples, 'ceh_kafka_in_records_consumed_total') >= summary.events &&
            sum(samples, 'ceh_kafka_out_dead_letters_published_total') >= summary.bad &&
            lag.length === partitions &&
            lag.every((s) => s.value === 0)
          );
        },
        150000,
        500,
      );
      const drainedS = (Date.now() - t0) / 1000;

      // Records consumed, per kafka in and topic, exactly what the producer sent.
      for (const n of inNodes) {
        const topic = String(n.topics);
        const bare = topic.slice(topicPrefix.length);
        assert.equal(
          sum(samples, 'ceh_kafka_in_records_consumed_total', { node_id: n.id, node_name: n.name, topic }),
          summary.perTopic[bare],
          `consumed from ${bare}`,
        );
        assert.equal(
          select(samples, 'ceh_kafka_in_records_consumed_total', { node_id: n.id }).length,
          3,
          `a series per partition of ${bare}`,
        );
        assert.equal(
          select(samples, 'ceh_kafka_in_consumer_lag', { node_id: n.id, topic }).length,
          3,
          `lag per partition of ${bare}`,
        );
        assert.equal(sum(samples, 'ceh_kafka_in_records_in_flight', { node_id: n.id }), 0);
      }
      assert.equal(sum(samples, 'ceh_kafka_in_records_consumed_total'), summary.events);
      // The bad clicks are undecodable JSON: kafka in sends them to its error output; every other bad event fails mapping.
      const undecodable = summary.badPerTopic[TOPICS.clicks] ?? 0;
      assert.ok(undecodable > 0, 'the demo has undecodable clicks');
      assert.equal(
        sum(samples, 'ceh_kafka_in_records_undecodable_total', { topic: source(TOPICS.clicks) }),
        undecodable,
      );
      assert.equal(sum(samples, 'ceh_kafka_in_records_undecodable_total'), undecodable);

      // Per graph map: mapped = sent - bad - tombstones (skipped), failed = the bad ones.
      const maps = nr.flow.filter((n) => n.type === 'ceh-graph-map');
      let mappedTotal = 0;
      for (const n of inNodes) {
        const bare = String(n.topics).slice(topicPrefix.length);
        const map = maps.find((m) => n.wires[0].includes(m.id))!;
        const bad = summary.badPerTopic[bare] ?? 0;
        const tombstones = bare === TOPICS.customers ? summary.tombstones : 0;
        const failed = bare === TOPICS.clicks ? 0 : bad;
        const mapped = summary.perTopic[bare] - bad - tombstones;
        assert.equal(
          sum(samples, 'ceh_graph_map_events_mapped_total', { node_id: map.id, node_name: map.name }),
          mapped,
          `mapped by ${map.name}`,
        );
        assert.equal(
          sum(samples, 'ceh_graph_map_events_failed_total', { node_id: map.id }),
          failed,
          `failed in ${map.name}`,
        );
        assert.equal(
          sum(samples, 'ceh_graph_map_events_skipped_total', { node_id: map.id }),
          tombstones,
          `skipped by ${map.name}`,
        );
        mappedTotal += mapped;
      }
      assert.equal(sum(samples, 'ceh_graph_map_events_failed_total') + undecodable, summary.bad);

      // gremlin upsert wrote every mapped event, in batches; nothing was poison.
      const upsert = nr.flow.find((n) => n.type === 'ceh-gremlin-upsert')!;
      assert.equal(sum(samples, 'ceh_gremlin_upsert_events_written_total', { node_id: upsert.id }), mappedTotal);
      assert.equal(sum(samples, 'ceh_gremlin_upsert_poison_events_total'), 0);
      const batches = sum(samples, 'ceh_gremlin_upsert_batches_total', { node_id: upsert.id });
      assert.ok(batches > 0 && batches < mappedTotal, `batched: ${batches} batches`);
      assert.equal(sum(samples, 'ceh_gremlin_upsert_batch_size_count', { node_id: upsert.id }), batches);
      assert.equal(sum(samples, 'ceh_gremlin_upsert_batch_size_sum', { node_id: upsert.id }), mappedTotal);
      assert.equal(sum(samples, 'ceh_gremlin_upsert_batch_duration_seconds_count', { node_id: upsert.id }), batches);

      // Dead letters: one per bad event.
      const dlq = nr.flow.find((n) => n.type === 'ceh-kafka-out')!;
      assert.equal(
        sum(samples, 'ceh_kafka_out_dead_letters_published_total', {
          node_id: dlq.id,
          topic: source(TOPICS.deadletter),
        }),
        summary.bad,
      );
      assert.equal(sum(samples, 'ceh_kafka_out_records_published_total', { node_id: dlq.id }), summary.bad);
      assert.ok(sum(samples, 'process_resident_memory_bytes') > 50e6, 'the Node-RED process RSS');

      // Through Prometheus: the lag rose during the ingest and is 0 now; the consumption rate; the same total.
      const window = `${Math.ceil((Date.now() - t0) / 1000) + 10}s`;
      await eventually(
        'Prometheus to scrape the final values',
        async () =>
          scalar(await prom.query('sum(ceh_kafka_in_records_consumed_total)')) === summary.events &&
          scalar(await prom.query('sum(ceh_kafka_in_consumer_lag)')) === 0,
        20000,
        500,
      );
      const lagSeries = (await prom.query('ceh_kafka_in_consumer_lag')) as PromResult;
      assert.equal(lagSeries.length, partitions, 'Prometheus has the lag of every partition');
      assert.ok(
        lagSeries.every(
          (s) =>
            s.metric.node_id &&
            s.metric.node_name !== undefined &&
            s.metric.topic.startsWith(topicPrefix) &&
            s.metric.partition,
        ),
      );
      const maxLag = scalar(await prom.query(`max_over_time(sum(ceh_kafka_in_consumer_lag)[${window}:1s])`));
      assert.ok(maxLag > 0, `the lag seen by Prometheus during the ingest: ${maxLag}`);
      const maxRate = scalar(
        await prom.query(`max_over_time(sum(rate(ceh_kafka_in_records_consumed_total[5s]))[${window}:1s])`),
      );
      assert.ok(maxRate > 0, `the consumption rate seen by Prometheus: ${maxRate}`);
      const maxWriteRate = scalar(
        await prom.query(`max_over_time(sum(rate(ceh_gremlin_upsert_events_written_total[5s]))[${window}:1s])`),
      );
      assert.ok(maxWriteRate > 0, `the write rate seen by Prometheus: ${maxWriteRate}`);
      // The counters start at 0 when the partitions are assigned, so increase() over the run sees (nearly) every record;
      // Prometheus extrapolates at the window's edges, hence a tolerance rather than equality.
      const increase = scalar(await prom.query(`sum(increase(ceh_kafka_in_records_consumed_total[${window}]))`));
      assert.ok(increase >= summary.events * 0.9, `increase() over the run: ${increase} of ${summary.events}`);
      const dead = scalar(await prom.query('sum(ceh_kafka_out_dead_letters_published_total)'));
      assert.equal(dead, summary.bad);

      // The shipped Grafana dashboard: every panel's query is valid PromQL for this Prometheus, and the main ones have data.
      const dashboard = JSON.parse(
        fs.readFileSync(path.join(ROOT, 'docs', 'metrics', 'grafana-dashboard.json'), 'utf8'),
      );
      const empty: string[] = [];
      for (const panel of dashboard.panels) {
        for (const t of panel.targets) {
          const result = await prom.query(String(t.expr).replace(/\$job/g, 'node-red'));
          if (result.length === 0) empty.push(panel.title);
        }
      }
      for (const title of [
        'Total consumer lag',
        'Consumer lag per partition',
        'Records consumed / s per topic',
        'Events mapped / failed per graph map',
        'Batch latency',
        'Node-RED process memory',
      ]) {
        assert.ok(!empty.includes(title), `dashboard panel "${title}" has data`);
      }
      // The example Prometheus configuration and alerting rules pass Prometheus's own checker.
      const check = spawnSync('promtool', ['check', 'config', path.join(ROOT, 'docs', 'metrics', 'prometheus.yml')], {
        encoding: 'utf8',
      });
      assert.equal(check.status, 0, `promtool check config: ${check.stdout}${check.stderr}`);

      process.stdout.write(
        `[metrics] ${EVENTS} events: drained (lag 0, counters equal) after ${drainedS.toFixed(1)} s; ` +
          `Prometheus saw max lag ${maxLag}, max consumed rate ${Math.round(maxRate)} records/s, max write rate ${Math.round(maxWriteRate)} events/s, ` +
          `increase ${Math.round(increase)}; ${batches} batches; ${summary.bad} dead letters\n`,
      );
    } catch (e) {
      if (nr) process.stdout.write(`[metrics] Node-RED log:\n${nr.log.join('').slice(-4000)}\n`);
      throw e;
    } finally {
      await prom?.stop();
      await nr?.stop();
      await deleteTopics(demoTopics(topicPrefix));
    }
  },
);
