/*
 * A private single-node Kafka broker (KRaft) for the restart scenario: the shared broker must never be stopped, so
 * this one runs from the same jars (the stack's kafka/lib) with its own data dir in a temp folder and its own free
 * ports, and the test may stop (SIGTERM) and start it again on the same data dir. Configuration and JVM flags follow
 * stack/kafka/kafka.js kafkaProperties(), PLAINTEXT only, with a small heap.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { stack, freePort } from './project';
import { PrivateJavaServer } from './private-java-server';

export class PrivateKafka extends PrivateJavaServer {
  port = 0;
  controllerPort = 0;
  private readonly classpath: string;
  private readonly log4j = path.join(this.dir, 'log4j2.yaml');
  private readonly props = path.join(this.dir, 'server.properties');

  /** stackDir: the local stack's state folder (stack.RUN: CEH_STACK_DIR or stack/.run), whose kafka/lib holds the jars. */
  constructor(stackDir = stack.RUN) {
    super('private broker', 'kafka');
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
    await this.launch(
      {
        heap: ['-Xms256m', '-Xmx512m'],
        jvm: [`-Dlog4j2.configurationFile=${this.log4j}`],
        classpath: this.classpath,
        args: ['kafka.Kafka', this.props],
      },
      () => stack.kafkaReady(this.brokers),
      timeoutMs,
      500,
    );
  }
}
