/*
 * `npm run demo:produce -- --events N [--rate R] [--seed S] [--brokers host:port] [--topic-prefix P]`: writes the demo events to Kafka,
 * keyed by customer so one customer's events stay ordered, and prints progress and a summary (counts per topic and the
 * expected graph size).
 */
import * as path from 'path';
import { Kafka, logLevel, CompressionTypes, Message, Partitioners } from 'kafkajs';
import { kafkaClientLogging, stderrKafkaLog } from '../kafka/kafkajs-log';
import { generate, DemoRecord, DemoSummary, TOPICS } from './generator';
import { readCommandLine, nonNegative, commandLine } from '../command-line';

export interface ProduceOptions {
  events: number;
  seed?: number;
  /** Events per second; 0 or undefined = as fast as the broker takes them. */
  rate?: number;
  brokers?: string[];
  /** Partitions for topics that do not exist yet. */
  partitions?: number;
  /** Prepended to every topic name (isolated runs: tests and benchmarks use customerFlow({topicPrefix}) alike). */
  topicPrefix?: string;
  /** false: leave out the imitated Debezium customers (the stack's PostgreSQL + Debezium provide real ones). */
  syntheticCdc?: boolean;
  log?: (line: string) => void;
}

export function toMessage(r: DemoRecord): Message {
  const value = r.value === null ? null : typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
  return { key: r.key, value, headers: { 'ceh-demo': 'true' }, timestamp: String(Date.now()) };
}

export async function ensureTopics(brokers: string[], partitions = 3, topicPrefix = ''): Promise<void> {
  const admin = new Kafka({ brokers, clientId: 'ceh-demo-admin', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = Object.values(TOPICS)
      .map((t) => topicPrefix + t)
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions: partitions }));
    if (topics.length) await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

export async function produceDemo(opts: ProduceOptions): Promise<DemoSummary> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const brokers = opts.brokers ?? ['127.0.0.1:9092'];
  const generated = generate(opts.events, opts.seed ?? 42);
  const { summary } = generated;
  // Where the real CRM runs, its customers come from Debezium: the imitation is left out (see `npm run demo:crm`).
  const records =
    opts.syntheticCdc === false ? generated.records.filter((r) => r.topic !== TOPICS.customers) : generated.records;
  const prefix = opts.topicPrefix ?? '';
  await ensureTopics(brokers, opts.partitions ?? 3, prefix);
  const producer = new Kafka({
    brokers,
    clientId: 'ceh-demo-producer',
    ...kafkaClientLogging(stderrKafkaLog),
  }).producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = Date.now();
  const chunk = opts.rate ? Math.max(1, Math.min(500, Math.ceil(opts.rate / 10))) : 2000;
  let sent = 0;
  let lastReport = t0;
  try {
    for (let i = 0; i < records.length; i += chunk) {
      const slice = records.slice(i, i + chunk);
      const byTopic = new Map<string, Message[]>();
      for (const r of slice) {
        const topic = prefix + r.topic;
        const messages = byTopic.get(topic);
        if (messages) messages.push(toMessage(r));
        else byTopic.set(topic, [toMessage(r)]);
      }
      await producer.sendBatch({
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
        compression: CompressionTypes.None,
      });
      sent += slice.length;
      if (opts.rate) {
        const due = t0 + (sent / opts.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (Date.now() - lastReport > 1000 || sent === records.length) {
        lastReport = Date.now();
        log(`[demo] sent ${sent}/${records.length} (${Math.round(sent / ((Date.now() - t0) / 1000 || 1))} events/s)`);
      }
    }
  } finally {
    await producer.disconnect();
  }
  return summary;
}

export function formatSummary(s: DemoSummary): string {
  const lines = [
    `[demo] ${s.events} events, ${s.bad} deliberately bad (expected on ${TOPICS.deadletter}), ${s.tombstones} tombstones`,
  ];
  for (const [t, n] of Object.entries(s.perTopic))
    lines.push(`  ${t.padEnd(20)} ${String(n).padStart(8)}${s.badPerTopic[t] ? `  (${s.badPerTopic[t]} bad)` : ''}`);
  lines.push('[demo] expected graph:');
  for (const [l, n] of Object.entries(s.expected.vertices).sort())
    lines.push(`  vertex ${l.padEnd(14)} ${String(n).padStart(8)}`);
  for (const [l, n] of Object.entries(s.expected.edges).sort())
    lines.push(`  edge   ${l.padEnd(14)} ${String(n).padStart(8)}`);
  if (s.sampleCustomers[0])
    lines.push(`[demo] try: curl 127.0.0.1:1880/customer/${s.sampleCustomers[0].customerId}/360`);
  return lines.join('\n');
}

const PRODUCE_USAGE =
  'use --events N [--rate R] [--seed S] [--brokers h:p] [--partitions P] [--topic-prefix P] [--synthetic-cdc] [--json]';

const PRODUCE_HELP = `npm run demo:produce -- [options]: writes the demo events to Kafka and prints the expected graph
  --events N          how many events (default 1000)
  --rate R            events per second (default: as fast as the broker takes them)
  --seed S            the generator's seed (default 42; the same seed, the same events)
  --brokers h:p,...   the Kafka brokers (default the stack's 127.0.0.1:9092)
  --partitions P      partitions of topics that do not exist yet
  --topic-prefix P    prepended to every topic name (an isolated run)
  --synthetic-cdc     also write the imitated Debezium customers (default: with --topic-prefix, or where
                      PostgreSQL is not installed)
  --json              print the summary as JSON`;

export function parseArgs(argv: string[]): ProduceOptions & { json: boolean } {
  const v = readCommandLine(
    argv,
    {
      events: 'string',
      rate: 'string',
      seed: 'string',
      brokers: 'string',
      partitions: 'string',
      'topic-prefix': 'string',
      json: 'boolean',
      'synthetic-cdc': 'boolean',
    },
    PRODUCE_USAGE,
  );
  const opts: ProduceOptions & { json: boolean } = { events: nonNegative(v.events, 'events') ?? 1000, json: !!v.json };
  if (v.rate !== undefined) opts.rate = nonNegative(v.rate, 'rate');
  if (v.seed !== undefined) opts.seed = nonNegative(v.seed, 'seed');
  if (v.brokers !== undefined) opts.brokers = v.brokers.split(',');
  if (v.partitions !== undefined) opts.partitions = nonNegative(v.partitions, 'partitions');
  if (v['topic-prefix'] !== undefined) opts.topicPrefix = v['topic-prefix'];
  if (v['synthetic-cdc']) opts.syntheticCdc = true;
  return opts;
}

if (require.main === module) {
  const opts = commandLine('demo', PRODUCE_HELP, parseArgs);
  if (opts.syntheticCdc === undefined && !opts.topicPrefix) {
    // The stack's PostgreSQL (stack/postgres) decides: real CDC where it is installed, the imitation elsewhere.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript, loaded only when it decides
    const postgres = require(path.join(__dirname, '..', '..', '..', 'stack', 'postgres', 'postgres.js'));
    opts.syntheticCdc = !postgres.available();
    process.stdout.write(
      opts.syntheticCdc
        ? `[demo] no PostgreSQL installed: CRM customers are imitated on ${TOPICS.customers}. ${postgres.INSTALL_HINT}\n`
        : `[demo] CRM customers come from PostgreSQL through Debezium: run \`npm run demo:crm -- --changes 500\` (${TOPICS.customers} left out; --synthetic-cdc writes it anyway)\n`,
    );
  }
  produceDemo(opts).then(
    (summary) => {
      process.stdout.write(`${opts.json ? JSON.stringify(summary, null, 2) : formatSummary(summary)}\n`);
    },
    (e) => {
      process.stderr.write(`[demo] failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
