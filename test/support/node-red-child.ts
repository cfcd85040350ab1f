/*
 * Node-RED as a child process, the one launcher of the tests and benches: a user dir laid out by
 * scripts/node-red-home.js (what `npm start` runs) on a free port, the test's flow deployed, its output captured, and
 * the start awaited until the admin API answers. startCustomerFlow runs the Customer 360 flow isolated (topic prefix,
 * group prefix, traversal source) for the end-to-end and browser tests. Callers stop it in a finally block.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChildProcess } from 'child_process';
import { freePort, home, customerFlow } from './project';

export type FlowNode = Record<string, any> & { id: string; type: string };

export interface LaunchOptions {
  /** Names the throw-away user dir (ceh-<name>-…); default 'nr'. */
  name?: string;
  /** Run on this user dir and keep it on stop (a restart on the same dir); default a throw-away dir, removed on stop. */
  userDir?: string;
  /**
   * false: leave the user dir as it is (e.g. as `npm install` left it) and run on Node-RED's own default settings with
   * the port on the command line. Default: node-red-home.js lays it out (pack linked, settings.js, the flow).
   */
  prepare?: boolean;
  /** The flow to deploy (written into the user dir), or a flow file to copy in. */
  flow?: unknown[];
  flowFile?: string;
  /** flows_cred.json (plain, as a test input; Node-RED encrypts it on the next deploy). */
  credentials?: unknown;
  /** Extra Node-RED settings (JSON values), merged over the project's defaults. */
  settings?: Record<string, unknown>;
  /** JavaScript appended to settings.js, for settings that are functions (e.g. adminAuth.tokens). */
  settingsCode?: string;
  /** Default: a free port. */
  port?: number;
  /** The Node.js binary (default this one; Node-RED 5 needs Node >= 22.9). */
  node?: string;
  /** Node.js options of the child, e.g. --cpu-prof. */
  execArgv?: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** 'capture' (default): Node-RED's output is kept (log, output(), logTail()); 'inherit': it goes to this process's. */
  output?: 'capture' | 'inherit';
  /** Keep only about the latest this many output chunks (long runs); default everything. */
  keepChunks?: number;
  /** How long the start may take until the admin API answers (default 60 s). */
  timeoutMs?: number;
}

export interface NodeRedProcess {
  child: ChildProcess;
  port: number;
  url: string;
  userDir: string;
  /** Seconds from spawning Node-RED until the admin API answered. */
  editorReadyS: number;
  /** What Node-RED printed, in chunks (empty with output 'inherit'). */
  log: string[];
  output(): string;
  logTail(lines?: number): string;
  alive(): boolean;
  /** Sends `signal` and resolves once the process is gone (SIGKILL after 20 s). Keeps the user dir. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops Node-RED (SIGTERM: it closes its flows, consumers leave their groups) and removes a throw-away user dir. */
  stop(): Promise<void>;
}

/** Starts Node-RED as a child process and resolves once its admin API answers (it has started its flows). */
export async function launchNodeRed(o: LaunchOptions = {}): Promise<NodeRedProcess> {
  const ownDir = !o.userDir;
  const userDir = o.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `ceh-${o.name ?? 'nr'}-`));
  const port = o.port ?? (await freePort());
  const prepare = o.prepare !== false;
  if (prepare) {
    let flowFile = o.flowFile;
    if (o.flow) {
      flowFile = path.join(userDir, 'flow-source.json');
      fs.writeFileSync(flowFile, JSON.stringify(o.flow));
    }
    home.prepareUserDir(userDir, { flowFile, port, credentials: o.credentials, settings: o.settings });
    if (o.settingsCode) fs.appendFileSync(path.join(userDir, 'settings.js'), `${o.settingsCode}\n`);
  }
  const capture = o.output !== 'inherit';
  const log: string[] = [];
  const t0 = Date.now();
  const child: ChildProcess = home.startNodeRed(userDir, {
    stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    env: o.env,
    execArgv: o.execArgv,
    node: o.node,
    ownSettings: prepare,
    port: prepare ? undefined : port,
  });
  const keep = (d: Buffer) => {
    log.push(String(d));
    if (o.keepChunks && log.length > o.keepChunks) log.splice(0, log.length - Math.ceil(o.keepChunks / 2));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (!alive()) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    await gone;
    clearTimeout(timer);
  };
  const stop = async () => {
    await kill('SIGTERM');
    if (ownDir) fs.rmSync(userDir, { recursive: true, force: true });
  };
  const output = () => log.join('');
  try {
    await home.waitForEditor(port, { child, timeoutMs: o.timeoutMs ?? 60000 });
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${output().slice(-3000)}`, { cause: e });
  }
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    userDir,
    editorReadyS: (Date.now() - t0) / 1000,
    log,
    output,
    logTail: (lines = 40) => output().split('\n').slice(-lines).join('\n'),
    alive,
    kill,
    stop,
  };
}

export type CustomerFlowChild = NodeRedProcess & { flow: FlowNode[] };
export type ChildSettings = Pick<LaunchOptions, 'settings' | 'settingsCode'>;

/** Starts Node-RED with customerFlow(options) deployed and resolves once the editor answers. */
export function startCustomerFlow(
  options: Record<string, unknown>,
  extra: ChildSettings = {},
): Promise<CustomerFlowChild> {
  return startFlow(customerFlow(options), extra);
}

/** Starts Node-RED with `flow` deployed and resolves once the editor answers. */
export async function startFlow(flow: FlowNode[], extra: ChildSettings = {}): Promise<CustomerFlowChild> {
  return { ...(await launchNodeRed({ flow, ...extra })), flow };
}
