/*
 * Node-RED as a child process running the Customer 360 flow, isolated (topic prefix, group prefix, traversal source) —
 * what `npm start` runs, for the end-to-end and browser tests — or a test's own flow. Callers stop it in a finally
 * block.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChildProcess } from 'child_process';
import { ROOT, freePort } from './project';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { customerFlow } = require(path.join(ROOT, 'scripts', 'build-flow.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const home = require(path.join(ROOT, 'scripts', 'node-red-home.js'));

export type FlowNode = Record<string, any> & { id: string; type: string };

export interface CustomerFlowChild {
  child: ChildProcess;
  port: number;
  url: string;
  flow: FlowNode[];
  userDir: string;
  /** Seconds from spawning Node-RED until the editor answered. */
  editorReadyS: number;
  /** Everything Node-RED printed (for failure reports). */
  log: string[];
  stop(): Promise<void>;
}

export interface ChildSettings {
  /** Extra Node-RED settings (JSON values), merged over the project's defaults. */
  settings?: Record<string, unknown>;
  /** JavaScript appended to settings.js, for settings that are functions (e.g. adminAuth.tokens). */
  settingsCode?: string;
}

/** Starts Node-RED with customerFlow(options) deployed and resolves once the editor answers. */
export function startCustomerFlow(
  options: Record<string, unknown>,
  extra: ChildSettings = {},
): Promise<CustomerFlowChild> {
  return startFlow(customerFlow(options), extra);
}

/** Starts Node-RED with `flow` deployed and resolves once the editor answers. */
export async function startFlow(flow: FlowNode[], extra: ChildSettings = {}): Promise<CustomerFlowChild> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-nr-'));
  const port = await freePort();
  const flowFile = path.join(userDir, 'flow.json');
  fs.writeFileSync(flowFile, JSON.stringify(flow));
  home.prepareUserDir(userDir, { flowFile, port, settings: extra.settings });
  if (extra.settingsCode) fs.appendFileSync(path.join(userDir, 'settings.js'), `${extra.settingsCode}\n`);
  const log: string[] = [];
  const t0 = Date.now();
  const child: ChildProcess = home.startNodeRed(userDir, { stdio: 'pipe', env: { CEH_LOG_LEVEL: 'warn' } });
  child.stdout?.on('data', (d) => log.push(String(d)));
  child.stderr?.on('data', (d) => log.push(String(d)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT'); // Node-RED closes its flows (consumers leave their groups)
      const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await home.waitForEditor(port, { child, timeoutMs: 60000 });
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${log.join('').slice(-3000)}`, { cause: e });
  }
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    flow,
    userDir,
    editorReadyS: (Date.now() - t0) / 1000,
    log,
    stop,
  };
}
