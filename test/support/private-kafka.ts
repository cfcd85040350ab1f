/*
 * A private single-node Kafka broker (KRaft) for the restart scenario: the shared broker must never be stopped, so
 * this one runs from the same jars (the stack's kafka/lib) with its own data dir in a temp folder and its own free
 * ports, and the test may stop (SIGTERM) and start it again on the same data dir. Configuration and JVM flags follow
 * stack/kafka/kafka.js kafkaProperties(), PLAINTEXT only, with a small heap.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { Kafka, logLevel } from 'kafkajs';
import { sleep, stack, freePort } from './project';

const JAVA_OPENS = ['java.lang', 'java.io', 'java.nio', 'java.util', 'java.util.concurrent', 'sun.nio.ch'].map(
  (p) => `--add-opens=java.base/${p}=ALL-UNNAMED`,
);

export class PrivateKafka {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ceh-private-kafka-'));
  port = 0;
  controllerPort = 0;
  child: ChildProcess | null = null;
  private readonly classpath: string;
  private readonly log4j = path.join(this.dir, 'log4j2.yaml');
  private readonly props = path.join(this.dir, 'server.properties');
  readonly logFile = path.join(this.dir, 'kafka.log');

  /** stackDir: the local stack's state folder (stack.RUN: CEH_STACK_DIR or stack/.run), whose kafka/lib holds the jars. */
  constructor(stackDir = stack.RUN) {
    const lib = path.join(stackDir, 'kafka', 'lib');
    if (!fs.existsSync(lib)) throw new Error(`no Kafka jars at ${lib}: run \`npm run stack:up\` first`);
    this.classpath = `${lib}/*`;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** Writes the configuration and formats the storage (KRaft), once. */
  async init(): Promise<void> {
    this.port = await freePort();
    this.controllerPort = await freePort();
    fs.writeFileSync(
      this.log4j,
      'Configuration:\n  name: ceh-private-kafka\n  Appenders:\n    Console:\n      name: STDOUT\n' +
        '      PatternLayout:\n        pattern: "[%d] %p %m (%c)%n"\n  Loggers:\n    Root:\n      level: WARN\n      AppenderRef:\n        - ref: STDOUT\n',
    );
    // The same single-node KRaft configuration as the stack's broker, on this broker's own ports and data dir.
    const properties: string[] = stack.singleNodeKafkaProperties({
      port: this.port,
      controllerPort: this.controllerPort,
      dataDir: path.join(this.dir, 'data'),
    });
    fs.writeFileSync(this.props, `${properties.join('\n')}\n`);
    const java = (args: string[]) =>
      spawnSync('java', ['-cp', this.classpath, `-Dlog4j2.configurationFile=${this.log4j}`, ...args], {
        encoding: 'utf8',
      });
    const uuid = java(['kafka.tools.StorageTool', 'random-uuid']);
    if (uuid.status !== 0) throw new Error(`StorageTool random-uuid failed: ${uuid.stderr}`);
    const clusterId = uuid.stdout.trim().split('\n').pop()!;
    const fmt = java(['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', this.props, '-g']);
    if (fmt.status !== 0) throw new Error(`StorageTool format failed: ${fmt.stderr || fmt.stdout}`);
  }

  /** Starts the broker (on the same data dir every time) and waits until it answers a metadata request. */
  async start(timeoutMs = 90_000): Promise<void> {
    const out = fs.openSync(this.logFile, 'a');
    this.child = spawn(
      'java',
      [
        '-Xms256m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        ...JAVA_OPENS,
        `-Dlog4j2.configurationFile=${this.log4j}`,
        '-cp',
        this.classpath,
        'kafka.Kafka',
        this.props,
      ],
      { cwd: this.dir, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`the private broker exited: ${this.tail()}`);
      if (await this.ready()) return;
      if (Date.now() > deadline) throw new Error(`the private broker did not start: ${this.tail()}`);
      await sleep(500);
    }
  }

  private async ready(): Promise<boolean> {
    const admin = new Kafka({
      brokers: this.brokers,
      clientId: 'ceh-private-probe',
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 2000,
    }).admin();
    try {
      await admin.connect();
      return (await admin.describeCluster()).brokers.length > 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Stops the broker with a signal (SIGTERM: a clean shutdown) and waits until the process is gone. */
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

  /** Kills the broker and removes its folder. */
  async destroy(): Promise<void> {
    await this.stop('SIGKILL', 10_000).catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
