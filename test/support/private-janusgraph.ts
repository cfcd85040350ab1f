/*
 * A private JanusGraph Server for scenarios that stop the graph: the shared one must never be stopped, so this one
 * runs from the same jars (the stack's janusgraph/lib) and the same configuration templates (stack/janusgraph, rendered
 * by its render()) with its own port and its own BerkeleyJE folders in a temp folder. It serves the same traversal
 * sources (g, gTest) with the mappings' schema applied (lib/graph-schema, as stack:up does), and the test may stop
 * and start it again on the same data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, stack, freePort } from './project';
import { applySchemaForMappingDir } from '../../lib/graph-schema';
import { PrivateJavaServer } from './private-java-server';

interface JanusGraphModule {
  render(conf: string, o: { port: number; data: string; testData: string }): void;
  javaCommand(
    conf: string,
    lib: string,
    heap?: string[],
  ): { classpath: string; heap: string[]; jvm: string[]; args: string[] };
  janusgraphReady(url: string): Promise<boolean>;
  GRAPHS: Record<string, string>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the stack is plain JavaScript (runs without a build)
const janusgraph: JanusGraphModule = require(path.join(ROOT, 'stack', 'janusgraph', 'janusgraph.js'));

export class PrivateJanusGraph extends PrivateJavaServer {
  port = 0;
  private readonly lib: string;
  private readonly conf = path.join(this.dir, 'conf');

  /**
   * stackDir: the local stack's state folder (stack.RUN), whose janusgraph/lib holds the jars. graphProperties:
   * settings added to both graphs' properties (e.g. another storage.berkeleyje.isolation-level), the rest as the stack's.
   */
  constructor(
    private readonly graphProperties: Record<string, string> = {},
    stackDir = stack.RUN,
  ) {
    super('private JanusGraph Server', 'janusgraph');
    this.lib = path.join(stackDir, 'janusgraph', 'lib');
    if (!fs.existsSync(this.lib)) throw new Error(`no JanusGraph jars at ${this.lib}: run \`npm run stack:up\` first`);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/gremlin`;
  }

  /** Renders the configuration on a free port, starts the server and applies the mappings' schema (once). */
  async init(timeoutMs = 180_000): Promise<void> {
    this.port = await freePort();
    janusgraph.render(this.conf, {
      port: this.port,
      data: path.join(this.dir, 'data', 'berkeley'),
      testData: path.join(this.dir, 'data', 'berkeley-test'),
    });
    this.addGraphProperties(this.graphProperties);
    await this.start(timeoutMs);
    const report = await applySchemaForMappingDir(path.join(ROOT, 'mappings'), {
      graph: 'janusgraph',
      url: this.url,
      sources: Object.values(janusgraph.GRAPHS),
    });
    if (report.conflicts.length) throw new Error(`schema conflicts on the private JanusGraph: ${report.conflicts}`);
  }

  private addGraphProperties(props: Record<string, string>): void {
    const lines = Object.entries(props).map(([k, v]) => `${k}=${v}\n`);
    for (const f of ['janusgraph-berkeleyje.properties', 'janusgraph-test.properties'])
      fs.appendFileSync(path.join(this.conf, f), `\n# added by test/support/private-janusgraph.ts\n${lines.join('')}`);
  }

  /** Stops the server, adds settings to both graphs (keys not set yet: a repeated key becomes a list) and starts it again. */
  async restartWith(graphProperties: Record<string, string>): Promise<void> {
    await this.stop();
    this.addGraphProperties(graphProperties);
    await this.start();
  }

  /** Starts the server (on the same data every time) and waits until `g` answers a Gremlin round trip. */
  async start(timeoutMs = 180_000): Promise<void> {
    // A small heap: the scenario's graph is small, and the machine is shared.
    await this.launch(
      janusgraph.javaCommand(this.conf, this.lib, ['-Xms128m', '-Xmx512m']),
      () => janusgraph.janusgraphReady(this.url),
      timeoutMs,
      1000,
    );
  }
}
