/*
 * The real editor in a real browser (Debian's Chromium, driven by playwright-core; no browser download): Node-RED as a
 * child process runs the Customer 360 flow isolated (own topics, groups and the gE2e graph). Checks what a newcomer
 * sees: the pack's nodes in the palette, the flow deployed and running, every example importing cleanly, the query
 * node's button answering in the Debug sidebar and the graph map preview. Screenshots go to test/artifacts/ (git-ignored);
 * one of the running flow also to docs/editor.png for the README when CEH_UPDATE_SCREENSHOT=1.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, ENDPOINTS, unique, eventually } from '../support/project';
import { ARTIFACTS, chromiumMissing, openEditor, previewGraphMapSample, EditorPage } from '../support/browser';
import { startCustomerFlow, CustomerFlowChild } from '../support/node-red-child';
import { deleteTopics, demoTopics } from '../support/kafka-test-kit';
import { catalogue } from '../support/texts';
import { GremlinConnection } from '../../lib/gremlin/connection';
import { produceDemo, ensureTopics } from '../../lib/demo/produce';

const PACK = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NODE_TYPES = Object.keys(PACK['node-red'].nodes) as string[];
const CONFIG_TYPES = new Set(['ceh-kafka-broker', 'ceh-gremlin-server']);
const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const SAMPLES = JSON.parse(fs.readFileSync(path.join(ROOT, 'mappings', 'samples.json'), 'utf8'));

test(
  'the editor in Chromium: palette, running flow, examples, query button, graph map preview',
  {
    timeout: 150000,
    skip: chromiumMissing,
  },
  async () => {
    const run = unique('browser');
    const topicPrefix = `${run}.`;
    const graph = new GremlinConnection({ url: ENDPOINTS.gremlinUrl, traversalSource: 'gE2e' });
    let nr: CustomerFlowChild | undefined;
    let editor: EditorPage | undefined;
    let page: any;
    try {
      await graph.submit('g.V().drop()'); // gE2e belongs to the end-to-end suites (this one and test/e2e)
      await ensureTopics(ENDPOINTS.kafkaBrokers, 3, topicPrefix); // the consumers find their topics at once
      nr = await startCustomerFlow({ topicPrefix, groupPrefix: run, traversalSource: 'gE2e' });
      const summary = await produceDemo({
        events: 300,
        seed: 7,
        topicPrefix,
        brokers: ENDPOINTS.kafkaBrokers,
        log: () => undefined,
      });
      const customer = summary.sampleCustomers[0].customerId;

      // The editor has loaded the deployed flow once the workspace shows its nodes.
      editor = await openEditor(`${nr.url}/`, { viewport: { width: 1680, height: 960 } });
      page = editor.page;
      const pageErrors = editor.pageErrors;

      // The palette shows every (non-config) node of the pack in the "event hub" category; config nodes are registered.
      for (const type of NODE_TYPES) {
        if (CONFIG_TYPES.has(type)) {
          assert.ok(
            await page.evaluate((t: string) => !!(globalThis as any).RED.nodes.getType(t), type),
            `${type} registered in the editor`,
          );
        } else {
          await page
            .locator(`#red-ui-palette-container-event_hub .red-ui-palette-node[data-palette-type="${type}"]`)
            .waitFor({ timeout: 10000 });
        }
      }
      // German: the runtime serves the de help and messages of every node when the editor asks in German.
      const nodesDe = await (
        await fetch(`${nr.url}/nodes`, { headers: { Accept: 'text/html', 'Accept-Language': 'de' } })
      ).text();
      for (const type of NODE_TYPES) {
        const base = path.basename(PACK['node-red'].nodes[type], '.js');
        const dir = path.join(ROOT, 'nodes', base, 'locales', 'de');
        const firstParagraph = /<p>([^<]{20,60})/.exec(fs.readFileSync(path.join(dir, `${base}.html`), 'utf8'))![1];
        assert.ok(nodesDe.includes(firstParagraph), `${type}: German help served`);
        const messages = await (await fetch(`${nr.url}/locales/${PACK.name}/${type}?lng=de`)).json();
        // The build merges the shared adapter texts (nodes/shared/locales) into every node's catalogue.
        assert.deepEqual(
          messages,
          { ...catalogue(`nodes/${base}`, base, 'de'), ...catalogue('nodes/shared', 'shared', 'de') },
          `${type}: German messages served`,
        );
      }
      const paletteShot = path.join(ARTIFACTS, 'palette.png');
      await page.locator('#red-ui-palette-container-event_hub').screenshot({ path: paletteShot });

      // The deployed flow runs: the upsert node's status counts written events once the demo events arrive.
      const upsertId = nr.flow.find((n) => n.type === 'ceh-gremlin-upsert')!.id;
      await eventually(
        `customer ${customer} in the graph`,
        async () =>
          Number((await graph.submit("g.V().has('customer','customerId',c).count()", { c: customer }))[0]) === 1,
        60000,
        250,
      );
      await page.waitForFunction(
        (id: string) => {
          const label = (globalThis as any).document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`);
          return !!label && /\d/.test(label.textContent || '');
        },
        upsertId,
        { timeout: 30000 },
      );
      const editorShot = path.join(ARTIFACTS, 'editor.png');
      await page.screenshot({ path: editorShot });
      // The README's screenshot is refreshed on request only, so that a test run leaves the work tree clean.
      if (process.env.CEH_UPDATE_SCREENSHOT) {
        fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
        fs.copyFileSync(editorShot, path.join(ROOT, 'docs', 'editor.png'));
      }

      // The query node's button: runs the 360 query with its test bindings; the result appears in the Debug sidebar.
      const query = nr.flow.find((n) => n.type === 'ceh-gremlin-query')!;
      await page.evaluate(
        ({ id, c }: { id: string; c: string }) => {
          const RED = (globalThis as any).RED;
          RED.sidebar.show('debug');
          // Point the test bindings at a customer the demo events created (an editor-only change would disable the
          // button until deployed, so change the deployed node's definition the way a user would: edit and deploy).
          RED.nodes.node(id).testBindings = JSON.stringify({ customerId: c });
          RED.nodes.node(id).changed = true;
          RED.nodes.dirty(true);
        },
        { id: query.id, c: customer },
      );
      // The runtime announces each start of the flows (runtime-state "start", deploy: true after a deploy): only then
      // is the redeployed node there to answer its button.
      await page.evaluate(() => {
        const w = globalThis as any;
        w.cehRedeployed = false;
        w.RED.comms.subscribe('notification/runtime-state', (_topic: string, m: any) => {
          if (m?.state === 'start' && m.deploy) w.cehRedeployed = true;
        });
      });
      // Deploy through the editor's own Deploy button: the edited flow must deploy cleanly.
      await page.locator('#red-ui-header-button-deploy').click();
      await page.locator('.red-ui-notification-success').first().waitFor({ timeout: 30000 });
      const deployed = (await (
        await fetch(`${nr.url}/flows`, { headers: { Accept: 'application/json' } })
      ).json()) as any[];
      assert.equal(
        deployed.find((n) => n.id === query.id).testBindings,
        JSON.stringify({ customerId: customer }),
        'the deploy reached the runtime',
      );
      await page.waitForFunction((id: string) => !(globalThis as any).RED.nodes.node(id).changed, query.id);
      await page.waitForFunction(() => (globalThis as any).cehRedeployed === true, null, { timeout: 30000 });
      const debugMsg = page.locator('.red-ui-debug-msg', { hasText: 'gremlin query (test)' }).first();
      await page.locator(`[id="${query.id}"] .red-ui-flow-node-button`).click();
      await debugMsg.waitFor({ timeout: 30000 }).catch(async (e: Error) => {
        const notes = await page.locator('.red-ui-notification').allTextContents();
        throw new Error(`no result in the Debug sidebar; notifications: ${notes.join(' / ')}`, { cause: e });
      });
      assert.match(await debugMsg.textContent(), /array\[1\]/, "one result: the customer's 360 view");
      // Expand the result the way a user does: the view's parts are listed.
      await debugMsg.locator('.red-ui-debug-msg-expandable').first().click();
      await debugMsg.locator('.red-ui-debug-msg-object-entry .red-ui-debug-msg-expandable').first().click();
      await debugMsg.getByText('profile', { exact: true }).first().waitFor({ timeout: 5000 });
      assert.match(await debugMsg.textContent(), /orders/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'query-button-debug.png') });

      // The graph map edit dialog previews a sample event: the tweet becomes vertices (user, tweet, one term per hashtag).
      const tweetsMap = nr.flow.find((n) => n.type === 'ceh-graph-map' && n.name === 'map tweets')!;
      await previewGraphMapSample(page, tweetsMap.id, SAMPLES.twitter);
      const preview = page.locator('#node-ceh-graph-map-preview');
      await preview
        .locator('li', { hasText: `twitterUser(userId="${SAMPLES.twitter.user.id_str}")` })
        .first()
        .waitFor({ timeout: 15000 });
      const previewText = await preview.textContent();
      const hashtags = SAMPLES.twitter.entities.hashtags.length;
      assert.match(
        previewText,
        new RegExp(`\\(${2 + hashtags}\\)`),
        `vertices: the user, the tweet and ${hashtags} terms`,
      );
      for (const h of SAMPLES.twitter.entities.hashtags)
        assert.ok(previewText.includes(`term(text="${h.text}")`), `term ${h.text}`);
      await preview.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(ARTIFACTS, 'graph-map-preview.png') });
      await page.locator('#node-dialog-cancel').click();

      // Every example: listed under Import > Examples for this pack, served by the editor's library, imports without
      // unknown node types, error notifications or invalid nodes.
      const listed = await page.evaluate(async (pkg: string) => {
        const res = await fetch(`library/examples/flows/${pkg}`);
        return res.json();
      }, PACK.name);
      const listedNames = (listed as Array<string | { fn: string }>).map((e) => (typeof e === 'string' ? e : e.fn));
      assert.deepEqual(
        listedNames.map((n) => n.replace(/\.json$/, '')).sort(),
        EXAMPLES.map((f) => f.replace(/\.json$/, '')).sort(),
      );
      for (const file of EXAMPLES) {
        const outcome = await page.evaluate(
          async ({ pkg, name }: { pkg: string; name: string }) => {
            const RED = (globalThis as any).RED;
            const res = await fetch(`library/examples/flows/${pkg}/${encodeURIComponent(name)}`);
            const text = await res.text();
            const before = new Set<string>();
            RED.nodes.eachNode((n: any) => {
              before.add(n.id);
            });
            RED.nodes.eachConfig((n: any) => {
              before.add(n.id);
            });
            const errorsBefore = (globalThis as any).document.querySelectorAll('.red-ui-notification-error').length;
            RED.view.importNodes(text, { generateIds: true, addFlow: false, notify: true });
            const added: any[] = [];
            RED.nodes.eachNode((n: any) => {
              if (!before.has(n.id)) added.push(n);
            });
            RED.nodes.eachConfig((n: any) => {
              if (!before.has(n.id)) added.push(n);
            });
            return {
              status: res.status,
              count: JSON.parse(text).filter((n: any) => n.type !== 'tab').length,
              added: added.length,
              unknown: added.filter((n) => n.type === 'unknown').map((n) => n.name || n.type),
              invalid: added
                .filter((n) => n.valid === false)
                .map((n) => `${n.type} ${n.name || n.id}: ${JSON.stringify(n.validationErrors || [])}`),
              errors: [...(globalThis as any).document.querySelectorAll('.red-ui-notification-error')]
                .slice(errorsBefore)
                .map((e) => e.textContent),
            };
          },
          { pkg: PACK.name, name: file.replace(/\.json$/, '') },
        );
        assert.equal(outcome.status, 200, `${file} served`);
        assert.equal(outcome.added, outcome.count, `${file}: every node imported`);
        assert.deepEqual(outcome.unknown, [], `${file}: unknown node types`);
        assert.deepEqual(outcome.invalid, [], `${file}: invalid nodes`);
        assert.deepEqual(outcome.errors, [], `${file}: error notifications`);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'examples-imported.png') });
      assert.deepEqual(pageErrors, [], 'no script errors in the editor');
    } catch (e) {
      if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'failure.png') }).catch(() => undefined);
      if (page) fs.writeFileSync(path.join(ARTIFACTS, 'failure.html'), await page.content().catch(() => ''));
      if (nr) process.stdout.write(`[browser] Node-RED log:\n${nr.log.join('').slice(-3000)}\n`);
      throw e;
    } finally {
      await editor?.close();
      await nr?.stop();
      await graph.close();
      await deleteTopics(demoTopics(topicPrefix));
    }
  },
);
