/*
 * A real Node-RED runtime embedded in the test process, with this package's built nodes loaded. Use it for anything
 * the node-red-node-test-helper cannot show — above all message hooks (RED.hooks), which the helper's RED lacks.
 *
 *   const rt = await startNodeRed({ globals: { probe } });   // temp userDir with this pack installed (linked)
 *   await rt.deploy([{ id: 'a', type: 'ceh-kafka-in', ..., credentials: { password: 'x' } }, ...]);
 *   rt.getNode('a')                                         // the live node instance
 *   rt.inject('out1', { payload: 1 })                       // hand a msg to a node's input
 *   await rt.deploy([]);                                     // stop every node (closes clients), keep the runtime
 *   await rt.stop();                                         // stop the runtime, remove the userDir
 *
 * Nodes get a flow tab automatically (z) unless they set one; give every flow node `wires` (even []) — that is how
 * the harness tells flow nodes from config nodes (it adds the x/y Node-RED expects of flow nodes). `credentials` on a node are passed to the runtime as
 * credentials, exactly as the editor does on deploy. `globals` become the global context (functionGlobalContext), so
 * function nodes reach test-side objects with `global.get('probe')` (the memory store hands out the same object).
 * Node-RED is a singleton: one runtime per process (node:test runs each test file in its own process).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { home, requireFromNodeRed } from './project';

export interface RuntimeOptions {
  /** Values for the global context (functionGlobalContext). */
  globals?: Record<string, unknown>;
  /** Extra Node-RED settings, merged over the defaults. */
  settings?: Record<string, unknown>;
  /** Console log level of the runtime (default 'warn'; set CEH_NODE_RED_LOG=debug to see more). */
  logLevel?: string;
  /**
   * Folders to load nodes from instead of installing the pack. Default: the pack is linked into userDir/node_modules
   * and loaded as the module it is — only then does Node-RED load its locales (nodes from a nodesDir count as core
   * nodes, whose RED._ texts come from Node-RED's own catalog).
   */
  nodesDirs?: string[];
}

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export interface NodeRedRuntime {
  /** The node-red module (RED.runtime, RED.nodes, RED.hooks, ...). */
  RED: any;
  userDir: string;
  /** Replaces all flows (a full deploy) and resolves once the new nodes were started. */
  deploy(flow: FlowNode[]): Promise<void>;
  getNode(id: string): any;
  /** Delivers a message to a node's input as if a wire had brought it. */
  inject(id: string, msg: Record<string, unknown>): void;
  stop(): Promise<void>;
}

const TAB = 'ceh-test-tab';
let running = false;

export async function startNodeRed(opts: RuntimeOptions = {}): Promise<NodeRedRuntime> {
  if (running) throw new Error('a Node-RED runtime is already running in this process');
  running = true;
  const RED = requireFromNodeRed('node-red');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-node-red-'));
  if (!opts.nodesDirs) home.installPack(userDir);
  const server = http.createServer();
  const settings: Record<string, unknown> = {
    userDir,
    flowFile: 'flows.json',
    credentialSecret: 'ceh-test-secret',
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    nodesDir: opts.nodesDirs || [],
    functionGlobalContext: opts.globals || {},
    logging: {
      console: { level: process.env.CEH_NODE_RED_LOG || opts.logLevel || 'warn', metrics: false, audit: false },
    },
    editorTheme: { tours: false },
    ...opts.settings,
  };
  RED.init(server, settings);
  // RED.start() resolves before the (empty) initial flows have started; wait for that so deploy() sees its own start.
  const initialStart = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
  await RED.start();
  await initialStart;

  return {
    RED,
    userDir,
    async deploy(flow: FlowNode[]) {
      const credentials: Record<string, unknown> = {};
      const nodes: FlowNode[] = [{ id: TAB, type: 'tab', label: 'test' } as FlowNode];
      for (const n of flow) {
        const { credentials: creds, ...rest } = n as FlowNode & { credentials?: unknown };
        if (creds) credentials[n.id] = creds;
        const node: FlowNode = { ...(rest as FlowNode) };
        if (n.type !== 'tab' && n.type !== 'subflow' && node.z === undefined) node.z = TAB;
        // Node-RED takes a node without x/y for a config node: give every wired node a position.
        if (Array.isArray(node.wires) && node.x === undefined) Object.assign(node, { x: 100, y: 100 });
        nodes.push(node);
      }
      // setFlows resolves once the flows are saved; the nodes start a moment later ('flows:started').
      const started = new Promise<void>((resolve) => RED.events.once('flows:started', () => resolve()));
      await RED.runtime.flows.setFlows({ flows: { flows: nodes, credentials }, deploymentType: 'full' });
      await started;
    },
    getNode(id: string) {
      return RED.nodes.getNode(id);
    },
    inject(id: string, msg: Record<string, unknown>) {
      const node = RED.nodes.getNode(id);
      if (!node) throw new Error(`node ${id} is not deployed`);
      node.receive(msg);
    },
    async stop() {
      try {
        await RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
        await RED.stop();
      } finally {
        server.close();
        running = false;
        fs.rmSync(userDir, { recursive: true, force: true });
      }
    },
  };
}

/** Node-RED's core tls-config node as its editor saves it, trusting `ca` (a file path; '' for the system's CAs). */
export function tlsConfigNode(id: string, ca: string, verifyservercert = true): FlowNode {
  return {
    id,
    type: 'tls-config',
    name: '',
    cert: '',
    key: '',
    ca,
    certname: '',
    keyname: '',
    caname: '',
    servername: '',
    verifyservercert,
    alpnprotocol: '',
  };
}
