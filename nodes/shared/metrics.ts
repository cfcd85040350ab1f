/*
 * The pack's metrics in Node-RED: reads the `cehMetrics` settings, serves GET /metrics (Prometheus text format) on the
 * admin HTTP server behind the `ceh-metrics.read` permission, and optionally on the HTTP node server. Every node module
 * calls serveMetrics(RED); the route is added once per runtime. The registry and series live in lib/metrics.
 *
 * settings.js:
 *   cehMetrics: {
 *     enabled: true,          // false: no endpoint, and the nodes record nothing
 *     lagIntervalMs: 5000,    // how often kafka in reads its consumer lag from the broker
 *     httpNode: false,        // true (or a path): also serve the metrics on the HTTP node server, without admin auth
 *   }
 */
import type { NodeAPI, RequestHandler } from './red';
import { metricsText, metricsContentType } from '../../lib/metrics/registry';

export interface MetricsSettings {
  enabled: boolean;
  lagIntervalMs: number;
  httpNode: string | false;
}

export const METRICS_PERMISSION = 'ceh-metrics.read';

export function metricsSettings(RED: NodeAPI): MetricsSettings {
  let s: Record<string, unknown> = {};
  try {
    const v = (RED.settings as Record<string, unknown> | undefined)?.cehMetrics;
    if (v && typeof v === 'object') s = v as Record<string, unknown>;
  } catch {
    /* Node-RED throws for unknown settings in some versions: defaults apply */
  }
  const interval = Number(s.lagIntervalMs);
  return {
    enabled: s.enabled !== false,
    lagIntervalMs: Number.isFinite(interval) && interval >= 100 ? interval : 5000,
    httpNode:
      s.httpNode === true
        ? '/metrics'
        : typeof s.httpNode === 'string' && s.httpNode.startsWith('/')
          ? s.httpNode
          : false,
  };
}

const served = new WeakSet<object>();

/** The scrape route; its failure text is worded by the first node set that served it (all share the catalogue). */
const handlerOf =
  (RED: NodeAPI): RequestHandler =>
  (_req, res) => {
    metricsText().then(
      (text) => {
        res.set('Content-Type', metricsContentType);
        res.end(text);
      },
      (err: Error) => {
        res.status(500).end(RED._('ceh-shared.metrics.failed', { message: err.message }));
      },
    );
  };

/** Adds GET /metrics to this runtime's admin server (once), and to the node server when the settings ask for it. */
export function serveMetrics(RED: NodeAPI): void {
  const admin = RED.httpAdmin as unknown as object | undefined;
  if (!admin || served.has(admin)) return;
  served.add(admin);
  const s = metricsSettings(RED);
  if (!s.enabled) return;
  const handler = handlerOf(RED);
  RED.httpAdmin.get('/metrics', RED.auth.needsPermission(METRICS_PERMISSION), handler);
  const httpNode = (RED as unknown as { httpNode?: { get(path: string, h: RequestHandler): void } }).httpNode;
  if (s.httpNode && httpNode) httpNode.get(s.httpNode, handler);
}
