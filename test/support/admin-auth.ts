/*
 * A REAL embedded Node-RED with adminAuth on and this whole pack installed (linked into userDir/node_modules, so its
 * plugins load too — nodesDir loads nodes only), for tests of admin routes and their permissions: the test helper
 * stubs RED.auth.needsPermission, so permissions can only be checked this way. One per test process.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import { ROOT, eventually, requireFromNodeRed } from './project';

const bcrypt = requireFromNodeRed('bcryptjs');
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

export interface AdminResponse {
  status: number;
  body: any;
  headers: http.IncomingHttpHeaders;
}

export interface AuthUser {
  username: string;
  permissions: string | string[];
}

export interface AuthNodeRed {
  port: number;
  RED: any;
  /** An access token for one of the configured users (password "secret"). */
  token(username: string): Promise<string>;
  request(method: string, url: string, body?: unknown, token?: string): Promise<AdminResponse>;
  stop(): Promise<void>;
}

export function adminRequest(
  port: number,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: url,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* plain text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

/** Starts Node-RED with `flows` deployed and the given users; waits until `waitFor` (a node id) runs. */
export async function startAuthNodeRed(
  flows: Array<Record<string, unknown>>,
  users: AuthUser[],
  waitFor: string,
): Promise<AuthNodeRed> {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-auth-'));
  fs.mkdirSync(path.join(userDir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', PACKAGE.name), 'dir');
  fs.writeFileSync(
    path.join(userDir, 'package.json'),
    JSON.stringify({ name: 'ceh-auth-home', private: true, dependencies: { [PACKAGE.name]: '*' } }),
  );
  fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
  const hash = bcrypt.hashSync('secret', 8);
  const RED = requireFromNodeRed('node-red');
  const server = http.createServer();
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    httpAdminRoot: '/',
    httpNodeRoot: false,
    uiPort: 0,
    logging: { console: { level: 'error' } },
    editorTheme: { tours: false, projects: { enabled: false } },
    credentialSecret: 'ceh-test',
    // Node-RED keeps a timer until its sessions expire: a short expiry lets the test process exit soon after.
    adminAuth: {
      type: 'credentials',
      sessionExpiryTime: 5,
      users: users.map((u) => ({ username: u.username, password: hash, permissions: u.permissions })),
    },
  });
  server.on('request', RED.httpAdmin);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as any).port;
  const stop = async () => {
    await RED.stop().catch(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(userDir, { recursive: true, force: true });
  };
  try {
    await RED.start();
    await eventually('the flow to start', () => RED.nodes.getNode(waitFor), 20000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    RED,
    async token(username: string) {
      const r = await adminRequest(port, 'POST', '/auth/token', {
        client_id: 'node-red-admin',
        grant_type: 'password',
        scope: '',
        username,
        password: 'secret',
      });
      if (!r.body?.access_token) throw new Error(`no token for ${username}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.access_token as string;
    },
    request: (method, url, body, token) => adminRequest(port, method, url, body, token),
    stop,
  };
}
