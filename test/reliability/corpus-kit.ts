/*
 * Shared by the bad-input corpus and the security scenarios: Node-RED as a child process on a free port with its
 * output captured, small HTTP helpers for the admin API, and graph reads through a gremlin connection.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChildProcess } from 'child_process';
import { ROOT, eventually, freePort } from '../support/project';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const home = require(path.join(ROOT, 'scripts', 'node-red-home.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { customerFlow } = require(path.join(ROOT, 'scripts', 'build-flow.js'));

export interface RunningNodeRed {
  child: ChildProcess;
  port: number;
  userDir: string;
  /** Everything Node-RED wrote to stdout and stderr so far. */
  output(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts Node-RED on `flow` (and optional credentials/settings) and waits until it answers on its port. */
export async function startNodeRed(
  name: string,
  flow: unknown[],
  opts: { credentials?: unknown; settings?: Record<string, unknown>; logLevel?: string } = {},
): Promise<RunningNodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `ceh-${name}-`));
  const port = await freePort();
  const flowFile = path.join(userDir, 'source-flow.json');
  fs.writeFileSync(flowFile, JSON.stringify(flow));
  home.prepareUserDir(userDir, { flowFile, port, credentials: opts.credentials, settings: opts.settings || {} });
  const child: ChildProcess = home.startNodeRed(userDir, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { CEH_LOG_LEVEL: opts.logLevel || 'info' },
  });
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    out += c;
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // /auth/login answers with or without adminAuth (GET /settings needs a token when adminAuth is on).
  await eventually(
    'Node-RED to answer',
    async () => {
      if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}): ${out.slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${port}/auth/login`)).ok;
    },
    60000,
    200,
  );
  return {
    child,
    port,
    userDir,
    output: () => out,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

export async function http(
  port: number,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, text };
}

/** The graph's vertices as "label:key value" for the given label → key property names. */
export async function vertexKeys(
  submit: (q: string, b?: Record<string, unknown>) => Promise<unknown[]>,
  keys: Record<string, string>,
): Promise<string[]> {
  const out: string[] = [];
  for (const [label, key] of Object.entries(keys)) {
    for (const v of await submit('g.V().hasLabel(L).values(K)', { L: label, K: key })) out.push(`${label}:${v}`);
  }
  return out;
}

export async function edgeCounts(
  submit: (q: string, b?: Record<string, unknown>) => Promise<unknown[]>,
): Promise<Record<string, number>> {
  const [m] = await submit('g.E().groupCount().by(label)');
  const out: Record<string, number> = {};
  for (const [k, v] of m instanceof Map ? m : new Map(Object.entries(m as object))) out[String(k)] = Number(v);
  return out;
}
