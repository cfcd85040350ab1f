/*
 * ceh-gremlin-upsert: a thin adapter over lib/gremlin/batch-writer. done() is called for a message only after all of
 * its change sets are written or reported, so `kafka in` can commit its offset safely.
 */
import {
  errorSource,
  type Translate,
  type NodeAPI,
  type Node,
  type NodeDef,
  type NodeMessage,
  type NodeStatus,
} from '../shared/red';
import type { ChangeSet } from '../../lib/change-set';
import { BatchWriter, BatchReport } from '../../lib/gremlin/batch-writer';
import type { GremlinServerNode } from '../shared/contracts';
import { retryKind, serverMessage } from '../../lib/gremlin/connection';
import { GremlinUpsertMetrics } from '../../lib/metrics/series';
import { serveMetrics, metricsSettings } from '../shared/metrics';
import { ensureSchemaForFlows } from './ensure-schema';
import { hasEdgeIdentityIndex, type ApplyReport } from '../../lib/graph-schema';
import { partitionLeases } from '../../lib/kafka/partition-leases';

import { configFlag, configNumber } from '../shared/config';

/** The node's saved configuration. */
interface GremlinUpsertDef extends NodeDef {
  server?: string;
  batchSize?: number | string;
  lingerMs?: number | string;
  concurrency?: number | string;
  retries?: number | string;
  passThrough?: boolean | string;
  ensureSchema?: boolean | string;
}

/** The editor's spinner limits (gremlin-upsert.html LIMITS): outside them the node refuses to start, naming the field. */
const LIMITS = { batchSize: [1, 10000], lingerMs: [0, 60000], concurrency: [1, 16], retries: [0, 100] } as const;
const limited = (t: Translate, def: GremlinUpsertDef, field: keyof typeof LIMITS, dflt: number, label: string) =>
  configNumber(t, def[field], dflt, label, { min: LIMITS[field][0], max: LIMITS[field][1], integer: true });

export = function (RED: NodeAPI) {
  serveMetrics(RED);
  const t: Translate = (key, subs) => RED._(key, subs);
  function GremlinUpsert(this: Node, def: GremlinUpsertDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const server = RED.nodes.getNode(String(def.server)) as GremlinServerNode | null;
    if (!server) {
      const text = t('ceh-gremlin-upsert.errors.noServer');
      node.status({ fill: 'red', shape: 'ring', text });
      node.on('input', (_msg: NodeMessage, _send, done) => done(new Error(`gremlin upsert: ${text}`)));
      return;
    }
    const passThrough = configFlag(def.passThrough, true);
    let sizes: { batchSize: number; lingerMs: number; maxConcurrentBatches: number; maxRetries: number };
    try {
      sizes = {
        batchSize: limited(t, def, 'batchSize', 500, t('ceh-gremlin-upsert.label.batchSize')),
        lingerMs: limited(t, def, 'lingerMs', 50, t('ceh-gremlin-upsert.label.linger')),
        maxConcurrentBatches: limited(t, def, 'concurrency', 2, t('ceh-gremlin-upsert.label.concurrency')),
        maxRetries: limited(t, def, 'retries', 10, t('ceh-gremlin-upsert.label.retries')),
      };
    } catch (e) {
      node.status({ fill: 'red', shape: 'ring', text: (e as Error).message });
      node.error(`gremlin upsert: ${(e as Error).message}`);
      node.on('input', (_msg: NodeMessage, _send, done) => done(new Error(`gremlin upsert: ${(e as Error).message}`)));
      return;
    }
    const connection = server.acquire(node);
    let closed = false;
    // Opt-in: the schema and indexes the flows' graph map specs need, applied on deploy (lib/graph-schema).
    const schemaEnsured: Promise<ApplyReport> | null =
      def.ensureSchema === true ? ensureSchemaForFlows(RED, connection, server) : null;
    const writer = new BatchWriter(connection, {
      dialect: server.dialect,
      partitionKey: server.partitionKey,
      // JanusGraph with the edge identity index (stack:up, graph:schema or the ensured schema): keyed edges guarded.
      edgeIdentities:
        server.dialect === 'tinkerpop'
          ? Promise.resolve(schemaEnsured?.catch(() => undefined)).then(() =>
              hasEdgeIdentityIndex(
                connection,
                connection.options.traversalSource || 'g',
                () => closed,
                (e) => node.error(`gremlin upsert: ${serverMessage(e)}`),
              ),
            )
          : false,
      // Events of a partition kafka in no longer owns are left to its new owner (README "Scaling out").
      owns: (cs) => partitionLeases.owns(cs.source),
      ...sizes,
    });

    if (schemaEnsured) {
      node.status({ fill: 'blue', shape: 'ring', text: t('ceh-gremlin-upsert.status.ensuringSchema') });
      schemaEnsured.then(
        (r) => {
          if (r.warnings.length)
            node.warn(
              `gremlin upsert: ${t('ceh-gremlin-upsert.log.schemaWarnings', { warnings: r.warnings.join('; ') })}`,
            );
          if (r.conflicts.length) {
            node.warn(
              `gremlin upsert: ${t('ceh-gremlin-upsert.log.schemaConflicts', { conflicts: r.conflicts.join('; ') })}`,
            );
            node.status({
              fill: 'red',
              shape: 'ring',
              text: t('ceh-gremlin-upsert.status.schemaConflicts', {
                count: r.conflicts.length,
                first: r.conflicts[0],
              }).slice(0, 80),
            });
          } else
            node.status({
              fill: 'green',
              shape: 'dot',
              text: t('ceh-gremlin-upsert.status.schema', { summary: r.summary }),
            });
        },
        (err: Error) => {
          node.warn(`gremlin upsert: ${t('ceh-gremlin-upsert.log.schemaFailed', { message: err.message })}`);
          node.status({
            fill: 'red',
            shape: 'ring',
            text: t('ceh-gremlin-upsert.status.schemaFailed', { message: err.message }).slice(0, 80),
          });
        },
      );
    }

    const metrics = new GremlinUpsertMetrics(node, metricsSettings(RED).enabled);
    writer.on('batch', (r: BatchReport) => {
      metrics.batch(r.events, r.failed, r.ms);
      if (r.abandoned === 0) return;
      metrics.abandoned(r.abandoned);
      node.log(`gremlin upsert: ${t('ceh-gremlin-upsert.log.abandoned', { count: r.abandoned })}`);
    });
    writer.on('retry', (err: Error) => metrics.retry(retryKind(err)));

    // Status: events/s and batches/s over the last second, last batch latency, retries so far.
    let window = { events: 0, batches: 0, since: Date.now() };
    let lastStatusAt = 0;
    writer.on('batch', (r: BatchReport) => {
      window.events += r.events;
      window.batches++;
      const now = Date.now();
      if (now - lastStatusAt < 1000 && r.failed === 0) return;
      const secs = Math.max(0.001, (now - window.since) / 1000);
      const status: NodeStatus = {
        fill: r.failed > 0 ? 'yellow' : 'green',
        shape: 'dot',
        text: t('ceh-gremlin-upsert.status.writing', {
          events: Math.round(window.events / secs),
          batches: (window.batches / secs).toFixed(1),
          ms: r.ms,
          retries: writer.stats.retries,
        }),
      };
      node.status(status);
      lastStatusAt = now;
      window = { events: 0, batches: 0, since: now };
    });
    writer.on('retry', (err: Error, attempt: number) =>
      node.status({
        fill: 'yellow',
        shape: 'ring',
        text: t('ceh-gremlin-upsert.status.retry', { attempt, message: err.message }).slice(0, 60),
      }),
    );

    node.on('input', async (msg: NodeMessage, send, done) => {
      const payload = msg.payload;
      const isBatch = Array.isArray(payload);
      if (!payload || typeof payload !== 'object') {
        done(new Error(`gremlin upsert: ${t('ceh-gremlin-upsert.errors.notChangeSets')}`));
        return;
      }
      const changeSets = (isBatch ? payload : [payload]) as ChangeSet[];
      try {
        const { failures, abandoned } = await writer.writeAll(changeSets);
        if (failures.length) metrics.poison(failures.length);
        for (const f of failures) {
          const out = RED.util.cloneMessage(msg);
          out.payload = f.changeSet;
          if (isBatch && Array.isArray(msg.event)) out.event = (msg.event as unknown[])[f.position];
          out.error = {
            message: f.message,
            event: f.changeSet?.source ?? (isBatch ? { index: f.position } : {}),
            ...(f.field ? { field: f.field } : {}),
            source: errorSource(node),
          };
          send([null, out]);
        }
        // Output 1 ("written") carries only what was written: failed change sets (and their events) are taken out,
        // msg.failed counts them, and a message none of whose change sets was written is not sent on at all.
        // Abandoned ones (their partition moved on) are taken out the same way, counted in msg.abandoned.
        if (passThrough && failures.length + abandoned.length < changeSets.length) {
          if (failures.length || abandoned.length) {
            const left = new Set([...failures.map((f) => f.position), ...abandoned]);
            msg.payload = changeSets.filter((_, i) => !left.has(i));
            if (Array.isArray(msg.event)) msg.event = (msg.event as unknown[]).filter((_, i) => !left.has(i));
            if (failures.length) msg.failed = failures.length;
            if (abandoned.length) msg.abandoned = abandoned.length;
          }
          send([msg, null]);
        }
        done();
      } catch (err) {
        done(err as Error);
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      // Write what is queued before letting go of the connection (Node-RED allows 15 s).
      const drained = Promise.race([writer.drain(), new Promise((r) => setTimeout(r, 12000))]);
      drained
        .then(() => server.release(node))
        .catch(() => undefined)
        .then(() => {
          metrics.close();
          done();
        });
    });
  }

  RED.nodes.registerType('ceh-gremlin-upsert', GremlinUpsert);
};
