/* The built package loads into a real Node-RED runtime (a child process, as `npm start` runs it; 4.1, or 5.0 under
 * `npm run test:node-red-5`) with every type. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, NODE_RED_VERSION } from '../support/project';
import { launchNodeRed } from '../support/node-red-child';

test('every node type of package.json is registered in a real Node-RED runtime', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const types = Object.keys(pkg['node-red'].nodes);
  assert.ok(types.length >= 7);
  const nr = await launchNodeRed({ name: 'load', flowFile: path.join(ROOT, 'flows', 'customer-360.json') });
  const { port } = nr;
  try {
    const settings = (await (
      await fetch(`http://127.0.0.1:${port}/settings`, { headers: { Accept: 'application/json' } })
    ).json()) as { version: string };
    assert.ok(
      settings.version.startsWith(NODE_RED_VERSION),
      `runs on the Node-RED under test (${NODE_RED_VERSION}): ${settings.version}`,
    );
    assert.doesNotMatch(nr.output(), /cannot be loaded on this version/);
    const res = await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets: Array<{ module: string; types: string[]; enabled: boolean; err?: string }> = (await res.json()) as any;
    const ours = sets.filter((s) => s.module === pkg.name);
    for (const set of ours) assert.equal(set.err, undefined, `node set failed to load: ${set.err}`);
    const registered = ours.filter((s) => s.enabled).flatMap((s) => s.types);
    assert.deepEqual([...registered].sort(), [...types].sort());
    // The editor receives each node's .html (registerType call) and its help.
    const html = await (await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'text/html' } })).text();
    for (const t of types)
      assert.ok(
        html.includes(`RED.nodes.registerType('${t}'`) || html.includes(`RED.nodes.registerType("${t}"`),
        `editor code for ${t}`,
      );
  } catch (e) {
    (e as Error).message += `\nNode-RED output:\n${nr.output().slice(-3000)}`;
    throw e;
  } finally {
    await nr.stop();
  }
});
