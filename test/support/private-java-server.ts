/*
 * A private Java server of a scenario (test/support/private-kafka.ts, private-janusgraph.ts), run as this test's own
 * child process from the stack's jars, in its own temp folder: the shared stack's servers are never stopped. The
 * command line is the stack's own (stack/lib/process.js startJava: heap, G1, JAVA_OPENS, then the server's flags).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, ChildProcess } from 'child_process';
import { ROOT, sleep } from './project';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
const { JAVA_OPENS }: { JAVA_OPENS: string[] } = require(path.join(ROOT, 'stack', 'lib', 'process.js'));

export interface JavaCommand {
  classpath: string;
  args: string[];
  heap: string[];
  jvm?: string[];
}

export abstract class PrivateJavaServer {
  readonly dir: string;
  readonly logFile: string;
  child: ChildProcess | null = null;

  /** what: the server's name in messages; name: its temp folder's and log file's name. */
  protected constructor(
    private readonly what: string,
    name: string,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `ceh-private-${name}-`));
    this.logFile = path.join(this.dir, `${name}.log`);
  }

  /** Starts `java` on the command and resolves once `ready()` answers true (checked every everyMs). */
  protected async launch(cmd: JavaCommand, ready: () => Promise<boolean>, timeoutMs: number, everyMs: number) {
    const out = fs.openSync(this.logFile, 'a');
    const child = spawn(
      'java',
      [
        ...cmd.heap,
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        ...JAVA_OPENS,
        ...(cmd.jvm ?? []),
        '-cp',
        cmd.classpath,
        ...cmd.args,
      ],
      { cwd: this.dir, stdio: ['ignore', out, out] },
    );
    this.child = child;
    fs.closeSync(out);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the ${this.what} exited: ${this.tail()}`);
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`the ${this.what} did not start: ${this.tail()}`);
      await sleep(everyMs);
    }
  }

  /** Stops the server with a signal (SIGTERM: a clean shutdown) and waits until the process is gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await Promise.race([gone, sleep(timeoutMs)]);
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await gone;
    }
    this.child = null;
  }

  tail(lines = 30): string {
    return fs.existsSync(this.logFile)
      ? fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n')
      : '';
  }

  /** Kills the server and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL', 10_000).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
