/*
 * `graph map` (ceh-graph-map): a thin Node-RED adapter over lib/mapping. One event or an array of events in; change
 * set(s) on output 1 (events kept in msg.event); one message per unmappable event on output 2 with msg.error naming
 * the event, definition and field. Also serves the editor's live preview (same engine, admin endpoint).
 */
import { errorSource, type NodeAPI, type Node, type NodeDef, type NodeMessage } from '../shared/red';
import {
  checkSpec,
  mapEvents,
  eventRefs,
  issueWhere,
  mappingSchema,
  SpecError,
  type CompiledMapping,
  type SpecIssue,
} from '../../lib/mapping';
import { describeEvent, type EventRef } from '../../lib/change-set';
import { addLineage, lineageProperties, eventTimeOf } from '../../lib/lineage';
import { GraphMapMetrics } from '../../lib/metrics/series';
import { serveMetrics, metricsSettings } from '../shared/metrics';

interface GraphMapDef extends NodeDef {
  spec?: string;
  lineage?: boolean;
}

/** The last event each deployed node saw, for "preview with the last event". One per node, small ones only. */
const lastEvents = new Map<string, unknown>();
const LAST_EVENT_MAX_CHARS = 64 * 1024;
/** msg.mapping specs compiled recently (by text), so a flow that sets one per message does not recompile each time. */
const DYNAMIC_CACHE_SIZE = 16;

function rememberEvent(nodeId: string, event: unknown): void {
  try {
    const text = JSON.stringify(event);
    if (text !== undefined && text.length <= LAST_EVENT_MAX_CHARS) lastEvents.set(nodeId, JSON.parse(text));
  } catch {
    /* circular or otherwise unserialisable: nothing to preview with */
  }
}

type Loaded = { mapping: CompiledMapping } | { error: SpecError };

function load(source: unknown): Loaded {
  const { mapping, issues } =
    typeof source === 'string' || (typeof source === 'object' && source !== null)
      ? checkSpec(source as string | object)
      : {
          mapping: undefined,
          issues: [{ path: [], message: 'msg.mapping must be a spec text (YAML/JSON) or object' }] as SpecIssue[],
        };
  return mapping ? { mapping } : { error: new SpecError(issues) };
}

export = function (RED: NodeAPI) {
  serveMetrics(RED);
  const t = (key: string, subs?: Record<string, unknown>) => RED._(key, subs);
  function GraphMapNode(this: Node, config: GraphMapDef) {
    RED.nodes.createNode(this, config);
    const node = this;
    const metrics = new GraphMapMetrics(node, metricsSettings(RED).enabled);
    const configured = load(config.spec ?? '');
    // Lineage (opt-in): every written vertex and edge names its last event (topic, partition, offset, time) and this node.
    const lineageName = config.lineage === true ? String(config.name || config.id) : undefined;
    const dynamic = new Map<string, Loaded>();
    let mapped = 0;
    let failed = 0;
    let statusTimer: NodeJS.Timeout | undefined;

    if ('error' in configured) {
      // The issue's own message and field path are data; the wording around them is this node's.
      for (const issue of configured.error.issues) {
        const at = issueWhere(issue);
        const text = at ? t('graph-map.errors.issueAt', { where: at, message: issue.message }) : issue.message;
        node.error(
          t('graph-map.errors.spec', {
            issue: issue.line !== undefined ? t('graph-map.errors.issueLine', { issue: text, line: issue.line }) : text,
          }),
        );
      }
      const first = configured.error.issues[0];
      const where = issueWhere(first);
      node.status({
        fill: 'red',
        shape: 'ring',
        text: where ? t('graph-map.status.specIssue', { where }) : t('graph-map.status.specInvalid'),
      });
    } else {
      const m = configured.mapping;
      const counts = { vertices: m.vertices.length, edges: m.edges.length };
      node.status({
        fill: 'grey',
        shape: 'dot',
        text: t(m.mode === 'cdc' ? 'graph-map.status.definitionsCdc' : 'graph-map.status.definitions', counts),
      });
    }

    // Status at most twice a second: at tens of thousands of events/s a status per message would flood the editor.
    function showCounts(): void {
      if (statusTimer) return;
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        node.status({
          fill: failed ? 'yellow' : 'green',
          shape: 'dot',
          text: failed
            ? t('graph-map.status.mappedFailed', { mapped, failed })
            : t('graph-map.status.mapped', { mapped }),
        });
      }, 500);
    }

    function mappingFor(msg: NodeMessage): Loaded {
      if (msg.mapping === undefined) return configured;
      const text = typeof msg.mapping === 'string' ? msg.mapping : JSON.stringify(msg.mapping);
      let loaded = dynamic.get(text);
      if (!loaded) {
        loaded = load(msg.mapping);
        if (dynamic.size >= DYNAMIC_CACHE_SIZE) dynamic.delete(dynamic.keys().next().value as string);
        dynamic.set(text, loaded);
      }
      return loaded;
    }

    node.on('input', (msg, send, done) => {
      // Whatever goes wrong, the message must finish (done), or kafka in would wait for it forever.
      try {
        handle(msg, send, done);
      } catch (e) {
        done(e as Error);
      }
    });

    function handle(
      msg: NodeMessage,
      send: (m: Array<NodeMessage | NodeMessage[] | null>) => void,
      done: () => void,
    ): void {
      const batch = Array.isArray(msg.payload);
      const events: unknown[] = batch ? (msg.payload as unknown[]) : [msg.payload];
      if (events.length) rememberEvent(node.id, events[events.length - 1]);
      const refs = eventRefs(msg.kafka, events.length, batch);
      const loaded = mappingFor(msg);
      const failures: Array<{
        index: number;
        error: { message: string; event: EventRef; definition?: string; field?: string };
      }> = [];
      let changeSets: unknown[] = [];
      let skipped = 0;
      if ('error' in loaded) {
        const e = loaded.error;
        events.forEach((_, i) =>
          failures.push({
            index: i,
            error: {
              message: `${describeEvent(refs[i])}: ${e.message}`,
              event: refs[i] ?? {},
              definition: e.definition,
              field: e.field,
            },
          }),
        );
      } else {
        const r = mapEvents(loaded.mapping, events, refs);
        if (lineageName !== undefined) {
          for (const x of r.mapped)
            addLineage(x.changeSet, lineageProperties(refs[x.index], eventTimeOf(msg.kafka, x.index), lineageName));
        }
        changeSets = r.mapped.map((x) => x.changeSet);
        skipped = r.skipped.length;
        for (const f of r.failed) {
          const error: { message: string; event: EventRef; definition?: string; field?: string } = {
            message: f.error.message,
            event: f.error.event ?? {},
          };
          if (f.error.definition) error.definition = f.error.definition;
          if (f.error.field) error.field = f.error.field;
          failures.push({ index: f.index, error });
        }
      }
      // Clones for output 2 are taken before msg is reused for output 1. The payload is left out of the clone: copying
      // the whole batch per failure is slow, and a deeply nested event would overflow the stack and lose the batch.
      const payload = msg.payload;
      delete msg.payload;
      const errorMsgs = failures.map((f) => {
        const c = RED.util.cloneMessage(msg);
        c.payload = events[f.index];
        // msg.event is the original event on every output (dead letters publish it), as on output 1.
        c.event = events[f.index];
        c.error = { ...f.error, source: errorSource(node) };
        return c;
      });
      msg.payload = payload;
      let out: NodeMessage | null = null;
      if (batch && (changeSets.length || events.length === 0)) {
        msg.event = msg.payload;
        msg.payload = changeSets;
        out = msg;
      } else if (!batch && changeSets.length) {
        msg.event = msg.payload;
        msg.payload = changeSets[0];
        out = msg;
      }
      mapped += changeSets.length;
      failed += failures.length;
      metrics.events(changeSets.length, failures.length, skipped);
      showCounts();
      send([out, errorMsgs.length ? errorMsgs : null]);
      done();
    }

    node.on('close', (_removed: boolean, closed: () => void) => {
      if (statusTimer) clearTimeout(statusTimer);
      lastEvents.delete(node.id);
      metrics.close();
      closed();
    });
  }

  RED.nodes.registerType('ceh-graph-map', GraphMapNode);

  /*
   * Live preview for the editor: runs the engine on the spec being edited (not yet deployed) with a pasted sample
   * event, or with the last event the deployed node saw. Returns the spec issues (for editor markers) and, when the
   * spec is valid, the change sets and per-event errors.
   */
  /* The mapping spec's JSON Schema, for the editor's completion (the same file the spec loader checks first). */
  RED.httpAdmin.get('/ceh-graph-map/schema', RED.auth.needsPermission('ceh-graph-map.read'), (_req, res) => {
    res.json(mappingSchema());
  });

  RED.httpAdmin.post('/ceh-graph-map/preview', RED.auth.needsPermission('ceh-graph-map.write'), (req, res) => {
    const body = req.body ?? {};
    const spec = typeof body.spec === 'string' ? body.spec : '';
    const { mapping, issues } = checkSpec(spec);
    let event: unknown;
    let hasEvent = false;
    if (body.useLast) {
      if (typeof body.nodeId !== 'string' || !lastEvents.has(body.nodeId)) {
        res.status(404).json({ error: t('graph-map.errors.noLastEvent'), issues });
        return;
      }
      event = lastEvents.get(body.nodeId);
      hasEvent = true;
    } else if (typeof body.event === 'string' && body.event.trim() !== '') {
      try {
        event = JSON.parse(body.event);
        hasEvent = true;
      } catch (e) {
        res.status(400).json({ error: t('graph-map.errors.sampleNotJson', { message: (e as Error).message }), issues });
        return;
      }
    }
    if (!mapping || !hasEvent) {
      res.json({ issues, event });
      return;
    }
    const events = Array.isArray(event) ? event : [event];
    const r = mapEvents(mapping, events, eventRefs(undefined, events.length, Array.isArray(event)));
    // With lineage ticked the preview shows its properties too (no Kafka position for a sample event).
    if (body.lineage === true)
      for (const x of r.mapped)
        addLineage(
          x.changeSet,
          lineageProperties(undefined, undefined, String(body.name || body.nodeId || 'graph map')),
        );
    res.json({
      issues,
      event,
      changeSets: r.mapped.map((x) => x.changeSet),
      errors: r.failed.map((f) => ({
        index: f.index,
        message: f.error.message,
        definition: f.error.definition,
        field: f.error.field,
      })),
      skipped: r.skipped,
    });
  });
};
