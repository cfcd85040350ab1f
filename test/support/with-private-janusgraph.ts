/*
 * `node dist/test/support/with-private-janusgraph.js <command...>`: runs a command with CEH_TEST_JANUSGRAPH_URL set to a
 * private JanusGraph Server (test/support/private-janusgraph.ts), removed afterwards: a JanusGraph test or the bench's
 * --graph janusgraph run that must not share the stack's JanusGraph with other runs on the machine.
 */
import { spawnSync } from 'child_process';
import { PrivateJanusGraph } from './private-janusgraph';

async function main(): Promise<number> {
  const server = new PrivateJanusGraph();
  try {
    await server.init();
    process.stdout.write(`[private JanusGraph] ${server.url}\n`);
    const r = spawnSync(process.argv[2], process.argv.slice(3), {
      stdio: 'inherit',
      env: { ...process.env, CEH_TEST_JANUSGRAPH_URL: server.url },
    });
    return r.status ?? 1;
  } finally {
    await server.destroy();
  }
}

main().then(
  (rc) => process.exit(rc),
  (e) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
  },
);
