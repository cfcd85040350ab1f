/*
 * npm run graph:schema -- --mappings mappings/ --graph janusgraph|tinkergraph|neptune|cosmos [--apply --url ws://...]
 *   [--sources g,gTest]   (the traversal sources whose graphs get the schema; default g)
 * Prints what that graph needs for the mappings; --apply also applies it (idempotent) and prints the report.
 * Exit code 1 when the mappings disagree with each other or with the graph (conflicts are named, never overwritten).
 */
import * as fs from 'fs';
import * as path from 'path';
import { GRAPH_KINDS, GraphKind, loadMappingDir, schemaFromMappings, renderSchema, applySchema } from './index';
import { loadSpec } from '../mapping';
import { GremlinConnection } from '../gremlin/connection';
import { readCommandLine } from '../command-line';

const USAGE =
  'usage: npm run graph:schema -- --mappings <folder or file> --graph <janusgraph|tinkergraph|neptune|cosmos> [--apply --url ws://host:port/gremlin] [--sources g,gTest]';

export async function main(argv: string[]): Promise<number> {
  const a = readCommandLine(
    argv,
    { mappings: 'string', graph: 'string', apply: 'boolean', url: 'string', sources: 'string', help: 'boolean' },
    USAGE,
  );
  if (a.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const graph = String(a.graph ?? '') as GraphKind;
  if (!GRAPH_KINDS.includes(graph)) throw new Error(`--graph must be one of ${GRAPH_KINDS.join(', ')}\n${USAGE}`);
  const source = String(a.mappings ?? 'mappings');
  const { mappings, names } = fs.statSync(source).isDirectory()
    ? loadMappingDir(source)
    : { mappings: [loadSpec(fs.readFileSync(source, 'utf8'))], names: [path.basename(source)] };
  const schema = schemaFromMappings(mappings, names);
  const sources =
    typeof a.sources === 'string'
      ? a.sources
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  process.stdout.write(renderSchema(schema, graph, sources));
  let failed = schema.problems.length > 0;
  if (a.apply) {
    if (typeof a.url !== 'string') throw new Error('--apply needs --url ws://host:port/gremlin');
    // JanusGraph on BerkeleyJE must never see an evaluation interrupted (see connection.ts, serverTimeout).
    const conn = new GremlinConnection({ url: a.url, serverTimeout: graph !== 'janusgraph' });
    try {
      const report = await applySchema(conn, schema, graph, { sources });
      process.stdout.write(`\napplied to ${a.url}: ${report.summary}\n`);
      for (const c of report.created) process.stdout.write(`  ${c}\n`);
      for (const c of report.conflicts) process.stdout.write(`  CONFLICT ${c}\n`);
      failed = failed || report.conflicts.length > 0;
    } finally {
      await conn.close();
    }
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`graph:schema: ${(e as Error).message}\n`);
      process.exit(2);
    },
  );
}
