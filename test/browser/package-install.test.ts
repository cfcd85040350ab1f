/*
 * The pack as a user gets it: `npm pack`'s tarball, `npm install <tarball>` into a fresh Node-RED user dir (no settings
 * file: Node-RED writes its default one), Node-RED started on it — the Node-RED the tests run on, 4.1 under `npm test`,
 * 5.0 under `npm run test:node-red-5`. In Chromium: every node in the palette, the pack's examples under
 * Import > Examples, and every node's help (the en-US help text) in the Help sidebar.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT, NODE_RED_VERSION } from '../support/project';
import { ARTIFACTS, chromiumMissing, openEditor, EditorPage } from '../support/browser';
import { launchNodeRed, NodeRedProcess } from '../support/node-red-child';
const PACK = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const NODE_TYPES = Object.keys(PACK['node-red'].nodes) as string[];
const CONFIG_TYPES = new Set(['ceh-kafka-broker', 'ceh-gremlin-server']);
const EXAMPLES = fs
  .readdirSync(path.join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.replace(/\.json$/, ''))
  .sort();

/** The first sentence of a node's en-US help (what the Help sidebar must show), tags stripped. */
function helpSentence(type: string): string {
  const base = path.basename(PACK['node-red'].nodes[type], '.js');
  const html = fs.readFileSync(path.join(ROOT, 'nodes', base, 'locales', 'en-US', `${base}.html`), 'utf8');
  const p = /<p>([\s\S]*?)<\/p>/.exec(html.slice(html.indexOf(`data-help-name="${type}"`)))![1];
  return p
    .replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.:])\s/)[0]
    .slice(0, 60);
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test(
  `npm pack's tarball in a fresh Node-RED ${NODE_RED_VERSION} user dir: palette, examples and help in Chromium`,
  {
    timeout: 180000,
    skip: chromiumMissing,
  },
  async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-tarball-'));
    const userDir = path.join(work, 'userdir');
    fs.mkdirSync(userDir);
    let nr: NodeRedProcess | undefined;
    let editor: EditorPage | undefined;
    let page: any;
    try {
      // The tarball holds what package.json's "files" lists (dist/ built by npm test's build step).
      const tarball = path.join(
        work,
        JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], ROOT))[0].filename,
      );
      // A user dir as Node-RED's own docs describe installing a node by hand: npm install in ~/.node-red.
      fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
      run('npm', ['install', '--no-audit', '--no-fund', tarball], userDir);
      const installed = JSON.parse(
        fs.readFileSync(path.join(userDir, 'node_modules', PACK.name, 'package.json'), 'utf8'),
      );
      assert.equal(installed.version, PACK.version);

      // Node-RED's own default settings, as in a user's fresh ~/.node-red.
      nr = await launchNodeRed({ userDir, prepare: false });
      const { url } = nr;
      const settings = (await (await fetch(`${url}/settings`, { headers: { Accept: 'application/json' } })).json()) as {
        version: string;
      };
      assert.ok(settings.version.startsWith(NODE_RED_VERSION), `the Node-RED under test answers (${settings.version})`);
      assert.doesNotMatch(
        nr.output(),
        /cannot be loaded on this version/,
        'Node-RED accepts the declared node-red.version',
      );

      editor = await openEditor(`${url}/`, {
        viewport: { width: 1600, height: 900 },
        ready: { selector: '.red-ui-palette-node', atLeast: 1 },
      });
      page = editor.page;
      const pageErrors = editor.pageErrors;
      // A fresh user dir first asks whether to enable update notifications (decline, as a user may), then shows the
      // welcome tour (close it with Escape).
      const telemetry = page.locator('.red-ui-dialog button', { hasText: /do not enable/i });
      if (
        await telemetry.waitFor({ timeout: 5000 }).then(
          () => true,
          () => false,
        )
      )
        await telemetry.click();
      const tour = page.locator('.red-ui-tourGuide-popover');
      if (
        await tour.waitFor({ timeout: 5000 }).then(
          () => true,
          () => false,
        )
      ) {
        // The tour positions its popover 100 ms after showing it (an Escape before that throws inside the editor), and
        // in the same tick after that focuses the popover's next button: wait for that focus.
        await page.waitForFunction(
          () => !!(globalThis as any).document.activeElement?.closest('.red-ui-tourGuide-popover'),
          undefined,
          { timeout: 5000 },
        );
        await page.keyboard.press('Escape');
        await page.locator('.red-ui-tourGuide-shade').waitFor({ state: 'detached', timeout: 5000 });
      }

      // Palette: every flow node in the pack's category; the config nodes are registered.
      for (const type of NODE_TYPES) {
        if (CONFIG_TYPES.has(type)) {
          assert.ok(
            await page.evaluate((t: string) => !!(globalThis as any).RED.nodes.getType(t), type),
            `${type} registered`,
          );
        } else {
          await page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`).waitFor({ timeout: 10000 });
        }
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `tarball-${NODE_RED_VERSION}-palette.png`) });

      // Help: the Help sidebar shows each node's own help text.
      for (const type of NODE_TYPES) {
        const sentence = helpSentence(type);
        await page.evaluate((t: string) => (globalThis as any).RED.sidebar.help.show(t, true), type);
        await page
          .waitForFunction(
            ({ s }: { s: string }) => {
              const el = (globalThis as any).document.querySelector(
                '.red-ui-sidebar-help-stack, #red-ui-sidebar-content',
              );
              return !!el && (el.textContent || '').replace(/\s+/g, ' ').includes(s);
            },
            { s: sentence },
            { timeout: 10000 },
          )
          .catch(() => {
            throw new Error(`${type}: help sidebar lacks "${sentence}"`);
          });
      }

      // Import > Examples: the pack is listed and expands to every example file.
      await page.evaluate(() => (globalThis as any).RED.actions.invoke('core:show-examples-import-dialog'));
      const dialog = page.locator('#red-ui-clipboard-dialog');
      const moduleEntry = dialog.locator('.red-ui-treeList-label', { hasText: PACK.name }).first();
      await moduleEntry.waitFor({ timeout: 10000 });
      await moduleEntry.click();
      for (const name of EXAMPLES)
        await dialog.locator('.red-ui-treeList-label', { hasText: name }).first().waitFor({ timeout: 10000 });
      await page.screenshot({ path: path.join(ARTIFACTS, `tarball-${NODE_RED_VERSION}-examples.png`) });
      // Importing one from the dialog puts its nodes on the workspace.
      await dialog.locator('.red-ui-treeList-label', { hasText: EXAMPLES[0] }).first().click();
      await page.locator('#red-ui-clipboard-dialog-ok').click();
      const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', `${EXAMPLES[0]}.json`), 'utf8')).filter(
        (n: any) => n.type.startsWith('ceh-'),
      ).length;
      await page.waitForFunction(
        (n: number) => {
          let ours = 0;
          const RED = (globalThis as any).RED;
          const count = (node: any) => {
            if (node.type.startsWith('ceh-') && node.type !== 'unknown') ours++;
          };
          RED.nodes.eachNode(count);
          RED.nodes.eachConfig(count);
          return ours === n;
        },
        expected,
        { timeout: 10000 },
      );
      assert.deepEqual(pageErrors, [], 'no script errors in the editor');
    } catch (e) {
      if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'tarball-failure.png') }).catch(() => undefined);
      if (nr) (e as Error).message += `\nNode-RED log:\n${nr.output().slice(-3000)}`;
      throw e;
    } finally {
      await editor?.close();
      await nr?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
