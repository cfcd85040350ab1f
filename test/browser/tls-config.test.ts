/*
 * TLS for a Kafka broker as a user sets it up in the editor (Chromium): open the broker's dialog, turn TLS on, add a
 * core tls-config node from the dialog's + button, save both and deploy; the deployed flow's broker then names that
 * tls-config node, which Node-RED's admin API returns with the flow.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { ENDPOINTS, unique, eventually } from '../support/project';
import { ARTIFACTS, chromiumMissing, openEditor, EditorPage } from '../support/browser';
import { startFlow, CustomerFlowChild, FlowNode } from '../support/node-red-child';

test(
  'kafka broker dialog in Chromium: TLS on, a new tls-config added and deployed',
  { timeout: 180000, skip: chromiumMissing },
  async () => {
    const run = unique('tls');
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab', label: 'tls' },
      { id: 'broker', type: 'ceh-kafka-broker', name: run, brokers: ENDPOINTS.kafkaBrokers.join(','), usetls: false },
      // As the editor saves it (a kafka out without maxQueue would be invalid, and the deploy would ask to confirm).
      {
        id: 'out',
        type: 'ceh-kafka-out',
        z: 'tab',
        broker: 'broker',
        topic: run,
        maxQueue: 1000,
        x: 200,
        y: 100,
        wires: [],
      },
    ];
    let nr: CustomerFlowChild | undefined;
    let editor: EditorPage | undefined;
    try {
      nr = await startFlow(flow);
      editor = await openEditor(`${nr.url}/`, {
        viewport: { width: 1400, height: 900 },
        ready: { selector: '.red-ui-flow-node', atLeast: 1 },
      });
      const page = editor.page;
      await page.evaluate(() => (globalThis as any).RED.editor.editConfig('', 'ceh-kafka-broker', 'broker'));
      await page.locator('#node-config-input-usetls').check();
      // The tls-config row appears with TLS on; its + opens the core tls-config node's own dialog on top.
      await page.locator('#node-config-input-btn-tls-add').click();
      const serverName = page.locator('#node-config-input-servername');
      await serverName.fill(`${run}.example`);
      await page.locator('#node-config-dialog-ok:visible').click(); // the tls-config dialog: Add
      await serverName.waitFor({ state: 'detached' });
      const chosen = await page.locator('#node-config-input-tls').inputValue();
      assert.ok(chosen && chosen !== '_ADD_', `the new tls-config is chosen in the broker (${chosen})`);
      await page.locator('#node-config-dialog-ok:visible').click(); // the broker dialog: Update
      await page.locator('#node-config-input-usetls').waitFor({ state: 'detached' });
      await page.locator('#red-ui-header-button-deploy').click();

      const deployed = await eventually(
        'the deployed flow with the tls-config',
        async () => {
          const flows: FlowNode[] = await (await fetch(`${nr!.url}/flows`)).json();
          const broker = flows.find((n) => n.id === 'broker');
          return broker?.tls ? flows : undefined;
        },
        30000,
        250,
      );
      const broker = deployed.find((n) => n.id === 'broker')!;
      const tls = deployed.find((n) => n.id === broker.tls);
      assert.equal(broker.usetls, true, 'TLS on');
      assert.equal(tls?.type, 'tls-config', 'the broker names a deployed tls-config node');
      assert.equal(tls?.servername, `${run}.example`, 'with the settings given in its dialog');
      assert.deepEqual(editor.pageErrors, [], 'no script errors in the editor');
    } catch (e) {
      await editor?.page.screenshot({ path: path.join(ARTIFACTS, 'tls-config-failure.png') }).catch(() => undefined);
      throw e;
    } finally {
      await editor?.close();
      await nr?.stop();
    }
  },
);
