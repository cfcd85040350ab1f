/*
 * A fault-injecting TCP proxy for outage tests: listens on 127.0.0.1 (a free port), forwards every connection to the
 * target, and can cut all connections and refuse new ones (as a dead server would), then restore. The shared servers
 * are never stopped: tests point a client at the proxy instead.
 */
import * as net from 'net';

export class TcpProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  private down = false;
  port = 0;
  /** Connections accepted and forwarded / refused while down. */
  readonly stats = { accepted: 0, refused: 0, cut: 0 };

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private accept(client: net.Socket): void {
    if (this.down) {
      // Refused: reset at once, the way a closed port answers.
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Cuts every open connection (RST) and refuses new ones until restore(). */
  cut(): void {
    this.down = true;
    for (const s of this.sockets) {
      this.stats.cut++;
      s.resetAndDestroy();
    }
    this.sockets.clear();
  }

  restore(): void {
    this.down = false;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = null;
  }
}
