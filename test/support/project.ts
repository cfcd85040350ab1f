/* Paths and endpoints every test shares: the project root (found from dist/ or source) and the local stack. */
import * as fs from 'fs';
import * as path from 'path';
import * as net from 'net';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${start}`);
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot(__dirname);

/** scripts/node-red-home.js: the Node-RED user dir and start that `npm start` uses. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JavaScript script of the project (runs without a build)
export const home = require(path.join(ROOT, 'scripts', 'node-red-home.js'));
/** The demo flow's builder (scripts/build-flow.js, shared with `npm start`). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JavaScript script of the project (runs without a build)
export const { customerFlow } = require(path.join(ROOT, 'scripts', 'build-flow.js'));
/**
 * The Node-RED the tests run on: the devDependency (4.1) or, with CEH_NODE_RED_DIR set by scripts/test-node-red-5.js,
 * Node-RED 5. Every test takes node-red (and its bundled packages) from here, never by a bare require('node-red').
 */
export const NODE_RED_DIR: string = home.nodeRedDir();
export const NODE_RED_VERSION: string = JSON.parse(
  fs.readFileSync(path.join(NODE_RED_DIR, 'package.json'), 'utf8'),
).version;
/** node-red's main module (for node-red-node-test-helper's init()). */
export const NODE_RED_MAIN = require.resolve(NODE_RED_DIR);
/** require() of node-red itself or of a package it brings (express, @node-red/nodes, bcryptjs, ...). */
export function requireFromNodeRed(id: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved against Node-RED's folder at run time
  return id === 'node-red' ? require(NODE_RED_MAIN) : require(require.resolve(id, { paths: [NODE_RED_DIR] }));
}

interface StackModule {
  ENDPOINTS: {
    kafkaBrokers: string[];
    kafkaSaslSslBrokers: string[];
    gremlinUrl: string;
    gremlinSecureUrl: string;
    scramUser: string;
    scramPassword: string;
    gremlinUser: string;
    gremlinPassword: string;
    caFile: string;
    /** The cluster profile's JanusGraph Servers (stack/janusgraph-cluster). */
    janusgraphClusterUrls: string[];
  };
  /** The cluster profile's graph tier: stop / start one of its servers (scenarios). */
  janusgraphCluster: { stopServer(index: number): Promise<boolean>; startServer(index: number): Promise<void> };
  RUN: string;
  singleNodeKafkaProperties(o: {
    port: number;
    controllerPort: number;
    dataDir: string;
    listeners?: Record<string, number>;
  }): string[];
  LOGS: string;
  up(): Promise<void>;
  /** A real metadata request to the stack's broker or to `brokers`. */
  kafkaReady(brokers?: string[]): Promise<boolean>;
  status(): Promise<string[]>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
export const stack: StackModule = require(path.join(ROOT, 'stack', 'stack.js'));
export const ENDPOINTS = stack.ENDPOINTS;

/** A name no other test run has used: topics, groups and graph labels stay apart between tests and runs. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A graph label (identifier-safe) no other test uses. */
export function uniqueLabel(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A value eventually() returns: check()'s first truthy one. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/** Polls until check() returns a truthy value or the deadline passes (then throws with the last value seen). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 30000,
  everyMs = 100,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Truthy<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
      );
    await sleep(everyMs);
  }
}
