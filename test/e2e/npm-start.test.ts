/*
 * `npm start` never destroys a user's work: the demo flow is seeded into an empty user dir only; a flow edited through
 * the admin API (as the editor's Deploy does) is what the next start runs; `--flows <file>` runs and deploys to one's
 * own file. Runs scripts/start.js itself (with --user-dir on a temporary folder and --skip-build: the test run built).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, ChildProcess } from 'child_process';
import { ROOT, unique, freePort, eventually } from '../support/project';

type FlowNode = Record<string, any> & { id: string; type: string };

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

async function npmStart(args: string[]): Promise<Started> {
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.js'), '--skip-build', ...args], {
    cwd: ROOT,
    stdio: 'pipe',
    env: { ...process.env, PORT: String(port), CEH_LOG_LEVEL: 'warn' },
  });
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT'); // what Ctrl-C does: start.js stops Node-RED and exits
    await exited;
  };
  const ready = () => /\[start\] editor ready/.test(out);
  await eventually('npm start to get ready (or to exit)', () => ready() || child.exitCode !== null, 90000, 200).catch(
    () => undefined,
  );
  if (!ready()) {
    await stop();
    throw new Error(`npm start did not get ready:\n${out.slice(-3000)}`);
  }
  return { child, url: `http://127.0.0.1:${port}`, output: () => out, stop };
}

async function getFlows(url: string): Promise<FlowNode[]> {
  const res = await fetch(`${url}/flows`, { headers: { Accept: 'application/json', 'Node-RED-API-Version': 'v1' } });
  assert.equal(res.status, 200);
  return res.json() as Promise<FlowNode[]>;
}

async function deploy(url: string, flows: FlowNode[]): Promise<void> {
  const res = await fetch(`${url}/flows`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
    body: JSON.stringify(flows),
  });
  assert.equal(res.status, 204, `deploy answered ${res.status}: ${await res.text()}`);
}

test(
  'npm start seeds the demo flow only into an empty user dir, keeps edits across restarts, and runs --flows files',
  { timeout: 240000 },
  async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-npm-start-'));
    const userDir = path.join(work, 'home');
    const demo: FlowNode[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'flows', 'customer-360.json'), 'utf8'));
    const ids = (flows: FlowNode[]) => flows.map((n) => n.id).sort();
    let running: Started | undefined;
    try {
      // First start on an empty user dir: the demo flow is seeded and deployed.
      running = await npmStart(['--user-dir', userDir]);
      assert.match(running.output(), /flows: .*flows\.json \(the demo flow/);
      const seeded = await getFlows(running.url);
      assert.deepEqual(ids(seeded), ids(demo));

      // The integrator edits the flow in the editor (a deploy through the admin API) ...
      const mark = unique('my-edit');
      const tab = seeded.find((n) => n.type === 'tab')!.id;
      const edited = [
        ...seeded,
        { id: 'e0c0ffee00000001', type: 'comment', z: tab, name: mark, info: '', x: 200, y: 40, wires: [] },
      ];
      await deploy(running.url, edited);
      await running.stop();

      // ... and the next npm start runs that edit, not the demo flow again.
      running = await npmStart(['--user-dir', userDir]);
      assert.match(running.output(), /flows: .*flows\.json \(yours, as last deployed/);
      const restarted = await getFlows(running.url);
      assert.equal(restarted.find((n) => n.id === 'e0c0ffee00000001')?.name, mark, 'the edit survived the restart');
      assert.deepEqual(ids(restarted), ids(edited));
      await running.stop();

      // --flows <file>: Node-RED runs that file and deploys back into it; the user dir's own flow stays as it was.
      const own = path.join(work, 'my-flows.json');
      const ownFlow: FlowNode[] = [
        { id: 'f1ab000000000001', type: 'tab', label: 'mine', disabled: false, info: '' },
        {
          id: 'f1ab000000000002',
          type: 'comment',
          z: 'f1ab000000000001',
          name: 'my own flow',
          info: '',
          x: 150,
          y: 60,
          wires: [],
        },
      ];
      fs.writeFileSync(own, JSON.stringify(ownFlow));
      const homeBefore = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
      running = await npmStart(['--user-dir', userDir, '--flows', own]);
      assert.match(running.output(), /flows: .*my-flows\.json/);
      assert.deepEqual(ids(await getFlows(running.url)), ids(ownFlow));
      const ownEdited = [
        ...ownFlow,
        {
          id: 'f1ab000000000003',
          type: 'comment',
          z: 'f1ab000000000001',
          name: mark,
          info: '',
          x: 150,
          y: 120,
          wires: [],
        },
      ];
      await deploy(running.url, ownEdited);
      await running.stop();
      const onDisk: FlowNode[] = JSON.parse(fs.readFileSync(own, 'utf8'));
      assert.equal(onDisk.find((n) => n.id === 'f1ab000000000003')?.name, mark, 'the deploy went to the --flows file');
      assert.equal(
        fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8'),
        homeBefore,
        'the user dir flow is untouched',
      );

      // --reset-demo brings the demo flow back and keeps the previous flows as a backup.
      running = await npmStart(['--user-dir', userDir, '--reset-demo']);
      assert.deepEqual(ids(await getFlows(running.url)), ids(demo));
      await running.stop();
      const backups = fs.readdirSync(userDir).filter((f) => /^flows\.json\..*\.bak$/.test(f));
      assert.equal(backups.length, 1);
      assert.equal(fs.readFileSync(path.join(userDir, backups[0]), 'utf8'), homeBefore);
    } catch (e) {
      if (running) (e as Error).message += `\nnpm start output:\n${running.output().slice(-3000)}`;
      throw e;
    } finally {
      await running?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    }
  },
);
