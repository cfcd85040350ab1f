/*
 * The batch writer behind `gremlin upsert`. Change sets queue up and leave as a batch when `batchSize` events wait or
 * `lingerMs` passed since the first one. A batch is planned (duplicates collapsed, see plan.ts) and written in a
 * constant number of requests (deletes, vertices, edges; each split only into chunks of `chunkSize` rows). Transient
 * errors are retried with exponential backoff and jitter; a permanent error splits the batch in halves (in order) until
 * the offending events are alone, so the rest is written and only those events are reported with the server's message.
 * Batches run concurrently up to `maxConcurrentBatches`, except that a batch touching a vertex of a batch still in
 * flight waits for it: writes to one key stay in arrival order.
 * An event whose Kafka partition moved to another consumer meanwhile (the `owns` check, lib/kafka/partition-leases) is
 * left out before each request and each retry: its new owner writes it again, and a late write would undo newer ones.
 */
import { EventEmitter } from 'events';
import { ChangeSet, vertexId, describeEvent } from '../change-set';
import { Dialect, isConnectionLoss, isTransient, serverMessage } from './connection';
import { planBatch, validateChangeSet, InvalidChangeSetError } from './plan';
import { buildRequests, WriteRequest, EDGE_ENDPOINT_MISSING, MergePlan } from './dialects';

export interface Submitter {
  submit(message: unknown, bindings?: Record<string, unknown>, timeoutMs?: number): Promise<unknown[]>;
}

export interface BatchWriterOptions {
  dialect: Dialect;
  partitionKey?: string;
  chunkSize?: number;
  /** mergeV/mergeE dialects: how edges find their endpoints (dialects.ts; default linked on tinkerpop). */
  mergePlan?: MergePlan;
  /**
   * Keyed edges guarded by identity vertices (dialects.ts; JanusGraph with lib/graph-schema's edge identity index). A
   * promise (e.g. asking the server whether the index is there) holds the first batch until it settles.
   */
  edgeIdentities?: boolean | Promise<boolean>;
  /** Events per batch (default 500). */
  batchSize?: number;
  /** How long the first queued event waits for more (default 50 ms). */
  lingerMs?: number;
  /** Batches in flight at once (default 2). */
  maxConcurrentBatches?: number;
  /** Retries of a transient error before its events are reported as failed (default 10). */
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Whether the writer may still write this change set (default: always). False for an event of a Kafka partition
   * this process no longer owns: it is abandoned (neither written nor failed) and its new owner writes it.
   */
  owns?: (changeSet: ChangeSet) => boolean;
}

/** One event that did not reach the graph, and why. */
export interface WriteFailure {
  /** Position of the change set in the array given to write(). */
  position: number;
  changeSet: ChangeSet;
  message: string;
  field?: string;
}

/** What became of the change sets given to writeAll(). */
export interface WriteOutcome {
  failures: WriteFailure[];
  /** Positions of change sets left to their partition's new owner (not written, not failed), ascending. */
  abandoned: number[];
}

export interface BatchReport {
  /** Events written or failed in this batch (abandoned ones not counted). */
  events: number;
  requests: number;
  ms: number;
  retries: number;
  failed: number;
  /** Events of the batch abandoned because their partition moved to another consumer. */
  abandoned: number;
}

interface Entry {
  changeSet: ChangeSet;
  position: number;
  call: CallState;
}

interface CallState {
  pending: number;
  failures: WriteFailure[];
  abandoned: number[];
  resolve: (outcome: WriteOutcome) => void;
}

/** Thrown inside a batch when one of its events is no longer owned: the batch starts over without it. */
class OwnershipLost extends Error {
  constructor() {
    super('an event of this batch belongs to another consumer now');
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class BatchWriter extends EventEmitter {
  private queue: Entry[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  private inFlight = new Set<{ keys: Set<string>; done: Promise<void> }>();
  private readonly o: Required<
    Omit<BatchWriterOptions, 'partitionKey' | 'chunkSize' | 'mergePlan' | 'edgeIdentities' | 'owns'>
  > &
    Pick<BatchWriterOptions, 'partitionKey' | 'chunkSize' | 'mergePlan' | 'edgeIdentities' | 'owns'>;
  /** Counters since creation (for status and the bench). */
  readonly stats = { events: 0, batches: 0, requests: 0, retries: 0, failed: 0, abandoned: 0, lastBatchMs: 0 };

  constructor(
    private readonly conn: Submitter,
    options: BatchWriterOptions,
  ) {
    super();
    this.o = {
      batchSize: 500,
      lingerMs: 50,
      maxConcurrentBatches: 2,
      maxRetries: 10,
      retryBaseMs: 100,
      retryMaxMs: 5000,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    } as BatchWriter['o'];
  }

  /** Queues change sets; resolves once every one of them is written or failed, with the failures. */
  async write(changeSets: ChangeSet[]): Promise<WriteFailure[]> {
    return (await this.writeAll(changeSets)).failures;
  }

  /** As write(), and also says which change sets were abandoned (see the `owns` option). */
  writeAll(changeSets: ChangeSet[]): Promise<WriteOutcome> {
    return new Promise((resolve) => {
      const call: CallState = { pending: changeSets.length, failures: [], abandoned: [], resolve };
      if (changeSets.length === 0) {
        resolve({ failures: [], abandoned: [] });
        return;
      }
      changeSets.forEach((cs, position) => {
        try {
          validateChangeSet(cs, position);
        } catch (err) {
          const e = err as InvalidChangeSetError;
          this.finish({ changeSet: cs, position, call }, e.message, e.field);
          return;
        }
        this.queue.push({ changeSet: cs, position, call });
      });
      this.schedule();
    });
  }

  /** Writes whatever is queued now, without waiting for the linger time. */
  flush(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    while (this.queue.length > 0) this.startBatch(this.queue.splice(0, this.o.batchSize));
  }

  /** Resolves when nothing is queued or in flight. */
  async drain(): Promise<void> {
    this.flush();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight].map((b) => b.done));
  }

  private schedule(): void {
    while (this.queue.length >= this.o.batchSize) this.startBatch(this.queue.splice(0, this.o.batchSize));
    if (this.queue.length > 0 && !this.lingerTimer) {
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = null;
        this.flush();
      }, this.o.lingerMs);
    }
  }

  private owned(entry: Entry): boolean {
    return this.o.owns ? this.o.owns(entry.changeSet) : true;
  }

  /** Finishes the entries no longer owned, as abandoned; returns the others. */
  private dropAbandoned(entries: Entry[]): Entry[] {
    const kept: Entry[] = [];
    for (const e of entries) {
      if (this.owned(e)) kept.push(e);
      else {
        e.call.abandoned.push(e.position);
        this.stats.abandoned++;
        this.settle(e.call);
      }
    }
    return kept;
  }

  private finish(entry: Entry, failure?: string, field?: string): void {
    if (failure !== undefined) {
      entry.call.failures.push({
        position: entry.position,
        changeSet: entry.changeSet,
        message: failure,
        ...(field ? { field } : {}),
      });
      this.stats.failed++;
    }
    this.settle(entry.call);
  }

  private settle(call: CallState): void {
    if (--call.pending === 0)
      call.resolve({
        failures: call.failures.sort((a, b) => a.position - b.position),
        abandoned: call.abandoned.sort((a, b) => a - b),
      });
  }

  private startBatch(entries: Entry[]): void {
    const keys = new Set<string>();
    for (const e of entries) {
      for (const v of e.changeSet.vertices ?? []) keys.add(vertexId(v));
      for (const d of e.changeSet.deletes ?? []) if (d.kind === 'vertex') keys.add(vertexId(d));
      for (const x of [
        ...(e.changeSet.edges ?? []),
        ...(e.changeSet.deletes ?? []).filter((d) => d.kind === 'edge'),
      ] as Array<{ from: any; to: any }>) {
        keys.add(vertexId(x.from));
        keys.add(vertexId(x.to));
      }
    }
    const before = [...this.inFlight];
    const slot = { keys, done: Promise.resolve() };
    this.inFlight.add(slot);
    slot.done = (async () => {
      // Same keys as a batch in flight: wait for it (arrival order per key). Otherwise wait for a free slot.
      for (const b of before) if ([...keys].some((k) => b.keys.has(k))) await b.done;
      while ([...this.inFlight].indexOf(slot) >= this.o.maxConcurrentBatches)
        await Promise.race([...this.inFlight].slice(0, this.o.maxConcurrentBatches).map((b) => b.done));
      await this.runBatch(entries);
    })().finally(() => this.inFlight.delete(slot));
  }

  private async runBatch(batch: Entry[]): Promise<void> {
    const started = Date.now();
    const report: BatchReport = { events: 0, requests: 0, ms: 0, retries: 0, failed: 0, abandoned: 0 };
    const failures = new Map<Entry, string>();
    let entries = this.dropAbandoned(batch);
    for (;;) {
      try {
        if (entries.length) await this.writeIsolating(entries, failures, report);
        break;
      } catch (err) {
        if (!(err instanceof OwnershipLost)) throw err;
        // Start over with what is still owned: its writes are idempotent, and failures found so far are found again.
        failures.clear();
        entries = this.dropAbandoned(entries);
      }
    }
    for (const e of entries) this.finish(e, failures.get(e));
    report.events = entries.length;
    report.abandoned = batch.length - entries.length;
    report.ms = Date.now() - started;
    report.failed = failures.size;
    this.stats.events += entries.length;
    this.stats.batches++;
    this.stats.lastBatchMs = report.ms;
    this.emit('batch', report);
  }

  /** Writes entries; on a permanent error, bisects (left half first) down to single events. */
  private async writeIsolating(entries: Entry[], failures: Map<Entry, string>, report: BatchReport): Promise<void> {
    try {
      await this.writeOnce(entries, failures, report);
    } catch (err) {
      if (err instanceof OwnershipLost) throw err;
      if (entries.length === 1) {
        failures.set(
          entries[0],
          `${describeEvent(entries[0].changeSet.source, entries[0].position)}: ${serverMessage(err)}`,
        );
        return;
      }
      const mid = Math.ceil(entries.length / 2);
      await this.writeIsolating(entries.slice(0, mid), failures, report);
      await this.writeIsolating(entries.slice(mid), failures, report);
    }
  }

  private async writeOnce(entries: Entry[], failures: Map<Entry, string>, report: BatchReport): Promise<void> {
    const plan = planBatch(entries.map((e) => e.changeSet));
    const requests = buildRequests(plan, {
      dialect: this.o.dialect,
      partitionKey: this.o.partitionKey,
      chunkSize: this.o.chunkSize,
      mergePlan: this.o.mergePlan,
      // A failed probe leaves the guard off (the writes go on as without the index).
      edgeIdentities: await Promise.resolve(this.o.edgeIdentities).catch(() => false),
    });
    // Asked before every request and retry: a partition can move while a batch waits out an outage.
    const owned = () => !this.o.owns || entries.every((e) => this.owned(e));
    for (const req of requests.deletes) await this.submit(req, report, owned);
    const vertexIds = new Map<number, unknown>();
    for (const req of requests.vertices) {
      const result = await this.submit(req, report, owned);
      // GraphBinary and GraphSON 3 give a Map, GraphSON 2 a plain object.
      const field = (r: any, k: string) => (r instanceof Map ? r.get(k) : r[k]);
      if (requests.linkEdges) for (const r of result) vertexIds.set(Number(field(r, 'i')), field(r, 'id'));
    }
    for (const req of [...requests.edges, ...(requests.linkEdges?.(vertexIds) ?? [])]) {
      const result = await this.submit(req, report, owned);
      if (!req.returnsRows) continue;
      const written = new Set(result.map((x) => Number(x)));
      // Coalesce dialects return the rows they wrote: an edge missing from the result had an endpoint missing.
      for (const i of req.items) {
        if (written.has(i)) continue;
        const edge = plan.edges[i];
        // ifMissing: skip: an edge to a vertex that is not in the graph is left out on purpose, not a failure.
        if (edge.skipIfMissing) continue;
        for (const ev of edge.events) {
          const entry = entries[ev];
          if (!failures.has(entry)) {
            failures.set(
              entry,
              `${describeEvent(entry.changeSet.source, entry.position)}: ${EDGE_ENDPOINT_MISSING} for ${edge.label} edge ${edge.from.label}(${JSON.stringify(edge.from.value)}) -> ${edge.to.label}(${JSON.stringify(edge.to.value)})`,
            );
          }
        }
      }
    }
  }

  private async submit(req: WriteRequest, report: BatchReport, owned: () => boolean): Promise<unknown[]> {
    for (let attempt = 0; ; attempt++) {
      if (!owned()) throw new OwnershipLost();
      try {
        report.requests++;
        this.stats.requests++;
        return await this.conn.submit(req.message, req.bindings);
      } catch (err) {
        // maxRetries bounds retries of server-side conflicts and throttling; an outage is waited out instead, so that
        // events are never dead-lettered just because the graph was unreachable for a while.
        if (!isTransient(err) || (attempt >= this.o.maxRetries && !isConnectionLoss(err))) throw err;
        report.retries++;
        this.stats.retries++;
        this.emit('retry', err, attempt + 1);
        const backoff = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** attempt);
        await sleep(backoff / 2 + (Math.random() * backoff) / 2);
      }
    }
  }
}
