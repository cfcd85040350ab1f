/*
 * The browser tests' Chromium: Debian's /usr/bin/chromium driven by playwright-core (no browser download), on a
 * throw-away profile, with the page's script errors collected, opened on a Node-RED editor and waiting until it has
 * loaded. Callers close it in a finally block.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './project';

import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots and failure pages (git-ignored). */
export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
/** The `skip` option of a browser test: skipped with the reason when Chromium is not installed. */
export const chromiumMissing: string | false = fs.existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} missing: run scripts/ensure-chromium.sh`;

export interface EditorPage {
  /** playwright-core's Page. */
  page: any;
  /** Script errors the page threw (first lines of each stack). */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface EditorOptions {
  viewport: { width: number; height: number };
  acceptDownloads?: boolean;
  /** Loaded once the editor shows this many elements matching `selector` (default: the deployed flow's nodes). */
  ready?: { selector: string; atLeast: number };
}

/** Opens the Node-RED editor at `url` in headless Chromium and resolves once it has loaded. */
export async function openEditor(url: string, opts: EditorOptions): Promise<EditorPage> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-chromium-'));
  let context: any;
  let page: any;
  const close = async () => {
    if (context) await context.close().catch(() => undefined);
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: opts.acceptDownloads ?? false,
      viewport: opts.viewport,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (e: Error) =>
      pageErrors.push(
        String(e.stack || e.message)
          .split('\n')
          .slice(0, 4)
          .join(' | '),
      ),
    );
    await page.goto(url, { timeout: 120000 }); // a loaded 2-core machine takes long for the first load
    const ready = opts.ready ?? { selector: '.red-ui-flow-node', atLeast: 11 };
    await page.waitForFunction(
      ({ selector, atLeast }: { selector: string; atLeast: number }) =>
        (globalThis as any).RED?.nodes?.getType &&
        (globalThis as any).document.querySelectorAll(selector).length >= atLeast,
      ready,
      { timeout: 60000 },
    );
    return { page, pageErrors, close };
  } catch (e) {
    if (page) await page.screenshot({ path: path.join(ARTIFACTS, 'editor-load-failure.png') }).catch(() => undefined);
    await close();
    throw e;
  }
}

/** Opens a graph map node's edit dialog and runs the preview on `sample` (the dialog stays open). */
export async function previewGraphMapSample(page: any, nodeId: string, sample: unknown): Promise<void> {
  await page.evaluate((id: string) => {
    const RED = (globalThis as any).RED;
    RED.editor.edit(RED.nodes.node(id));
  }, nodeId);
  await page.locator('#node-ceh-graph-map-sample').waitFor();
  await page.locator('#node-ceh-graph-map-sample').fill(JSON.stringify(sample, null, 2));
  await page.locator('#node-ceh-graph-map-run').click();
}
