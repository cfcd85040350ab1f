/*
 * gremlin upsert's "ensure schema on deploy": the specs of every graph map node in the deployed flows (the mappings
 * this pack writes), turned into the graph's schema by lib/graph-schema and applied idempotently. The graph's kind is
 * asked from the server (JanusGraph or TinkerGraph); Neptune and Cosmos take no schema.
 */
import type { NodeAPI } from '../shared/red';
import type { GremlinServerNode } from '../shared/contracts';
import type { GremlinConnection } from '../../lib/gremlin/connection';
import { checkSpec, type CompiledMapping } from '../../lib/mapping';
import {
  schemaFromMappings,
  applySchema,
  detectGraphKind,
  nothingApplied,
  type ApplyReport,
} from '../../lib/graph-schema';

export async function ensureSchemaForFlows(
  RED: NodeAPI,
  connection: GremlinConnection,
  server: GremlinServerNode,
): Promise<ApplyReport> {
  if (server.dialect === 'cosmos' || server.dialect === 'neptune') {
    return nothingApplied(`${server.dialect} takes no schema`);
  }
  const mappings: CompiledMapping[] = [];
  const names: string[] = [];
  RED.nodes.eachNode((n: { type: string; id: string; name?: string; spec?: string }) => {
    if (n.type !== 'ceh-graph-map' || !n.spec) return;
    const { mapping } = checkSpec(n.spec);
    if (mapping) {
      mappings.push(mapping);
      names.push(n.name || n.id);
    }
  });
  if (mappings.length === 0) return nothingApplied('no graph map specs in the flows');
  const source = connection.options.traversalSource || 'g';
  const kind = await detectGraphKind(connection, source);
  if (!kind) return nothingApplied('not JanusGraph or TinkerGraph: nothing to apply');
  const schema = schemaFromMappings(mappings, names);
  const report = await applySchema(connection, schema, kind, { sources: [source] });
  return { ...report, conflicts: [...schema.problems, ...report.conflicts] };
}
