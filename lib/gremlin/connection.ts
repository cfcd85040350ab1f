/*
 * One connection to a Gremlin Server over the npm `gremlin` driver. The driver keeps one WebSocket per Client, has no
 * pool, no reconnect and no client-side timeout: this wrapper drops a closed Client and opens a new one on the next
 * request, and bounds every request with the server's evaluationTimeout plus a client-side timer.
 */
import { EventEmitter } from 'events';
import * as https from 'https';
import type { TlsOptions } from '../tls-options';
import { extendGraphBinary, graphBinaryReader, graphsonReader, graphsonWriter, safeReader } from './wire';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the driver ships no TypeScript types
export const gremlin: any = require('gremlin');

export type Serializer = 'graphbinary' | 'graphson3' | 'graphson2';
export type Dialect = 'tinkerpop' | 'legacy' | 'cosmos' | 'neptune';

export const MIME_TYPES: Record<Serializer, string> = {
  graphbinary: 'application/vnd.graphbinary-v1.0',
  graphson3: 'application/vnd.gremlin-v3.0+json',
  graphson2: 'application/vnd.gremlin-v2.0+json',
};

export interface ConnectionOptions {
  url: string;
  traversalSource?: string;
  serializer?: Serializer;
  /** For wss://: CA, client certificate, server name, verification (as a tls-config node gives them). */
  tls?: TlsOptions;
  /** A configuration mistake found by the caller (e.g. a tls-config node not deployed): every request fails with it. */
  configError?: string;
  username?: string;
  password?: string;
  /** Per-request timeout in ms: sent as evaluationTimeout and enforced by a client-side timer (+1 s grace). */
  requestTimeoutMs?: number;
  /**
   * Whether the timeout is also sent as the request's evaluationTimeout (default true), so the server stops the
   * evaluation. False leaves the server's own setting in force and only the client gives up: Gremlin Server stops an
   * evaluation by interrupting its thread, and JanusGraph on BerkeleyJE cannot survive that (the interrupted BerkeleyJE
   * environment is invalidated: every later transaction of that graph fails until the server restarts).
   */
  serverTimeout?: boolean;
}

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed';

/** An error that is worth retrying: the connection went away, the request timed out, or the server hit a conflict. */
export class TransientError extends Error {
  readonly transient = true;
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

// JanusGraph: PermanentLockingException / TemporaryLockingException (lock contention between writers: a unique LOCK
// index or a SIMPLE LOCK edge label), ExpiredLockException (a commit that outlived its locks), and the in-transaction
// check of a SIMPLE edge label ("already exists between the pair of vertices": another writer's edge, the retry
// matches it); BerkeleyJE under SERIALIZABLE: LockConflictException, LockTimeoutException, DeadlockException.
// Neptune: ConcurrentModification.
const TRANSIENT_SERVER_MESSAGES =
  /ConcurrentModification|PermanentLockingException|TemporaryLocking|ExpiredLockException|TemporaryBackend|already exists between the pair of vertices|LockConflictException|LockTimeoutException|DeadlockException|RequestRateTooLarge|\b429\b|timed out|timeout/i;

/**
 * The class names of the server's exception chain: Gremlin Server sends them in the status attribute `exceptions`.
 * JanusGraph's message for a lost lock is only "Could not commit transaction due to exception during persistence";
 * the cause (PermanentLockingException, ...) is in this list.
 */
function serverExceptions(e: { statusAttributes?: unknown }): string {
  const a = e.statusAttributes as Map<string, unknown> | Record<string, unknown> | undefined;
  const list = a instanceof Map ? a.get('exceptions') : a?.exceptions;
  return Array.isArray(list) ? list.join(' ') : '';
}

/** True when an error from submit() should be retried rather than reported. */
export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  const e = err as { statusCode?: number; message?: string; statusAttributes?: unknown; code?: unknown } | undefined;
  if (!e) return false;
  // 598: server-side evaluation timeout; 429: throttling (Cosmos); other server codes (4xx/5xx) are about the request.
  if (e.statusCode === 598 || e.statusCode === 429) return true;
  if (typeof e.statusCode === 'number')
    return TRANSIENT_SERVER_MESSAGES.test(`${e.message ?? ''} ${serverExceptions(e)}`);
  // No server status: retried only when the socket failed or closed under the request. Anything else (a TypeError
  // while serializing a binding, a bug) fails the same way on every attempt: retrying it would stall the flow forever.
  return isSocketFailure(e);
}

// What Node's sockets, `ws` and the driver say when the connection failed or closed (no server status): a system
// error code (ECONNREFUSED, ECONNRESET, EPIPE, ...), ws's close-before-open and frame errors, the driver's own close,
// and this wrapper's own once closed (a node closing during an outage: bounded retries, as before).
const SOCKET_FAILURE_MESSAGES =
  /Connection has been closed|Gremlin connection is closed|WebSocket|socket hang up|Unexpected server response|\bE(CONN|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN)/;

const isProgrammingError = (e: unknown) =>
  e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;

function isSocketFailure(e: { message?: string; code?: unknown }): boolean {
  if (isProgrammingError(e)) return false;
  return (
    (typeof e.code === 'string' && /^(E[A-Z_]+|WS_ERR_\w+)$/.test(e.code)) ||
    SOCKET_FAILURE_MESSAGES.test(e.message ?? '')
  );
}

/**
 * True when the server was not reached or did not answer (no server status): an outage, not a problem of the request.
 * Such errors are retried for as long as the outage lasts, since the events wait safely upstream (kafka in pauses).
 */
export function isConnectionLoss(err: unknown): boolean {
  if (!(err instanceof TransientError)) return false;
  const cause = err.cause as { statusCode?: number } | undefined;
  return typeof cause?.statusCode !== 'number';
}

export type RetryKind = 'unreachable' | 'conflict' | 'throttled';

const THROTTLED_MESSAGES = /RequestRateTooLarge|\b429\b|Throttl|TooManyRequests/i;

/**
 * Why a transient error is retried, for metrics: the server was not reached or did not answer (unreachable), it asked
 * the client to slow down (throttled: Cosmos DB 429, Neptune throttling), or the request met another writer or ran out
 * of time on the server (conflict: concurrent modification, locking, evaluation timeout).
 */
export function retryKind(err: unknown): RetryKind {
  if (isConnectionLoss(err)) return 'unreachable';
  const e = (err instanceof TransientError ? err.cause : err) as { statusCode?: number; message?: string } | undefined;
  if (
    e?.statusCode === 429 ||
    THROTTLED_MESSAGES.test(e?.message ?? '') ||
    THROTTLED_MESSAGES.test((err as Error)?.message ?? '')
  )
    return 'throttled';
  return 'conflict';
}

/** The server's own message for an error, without the driver's "Server error: ... (500)" wrapping. */
export function serverMessage(err: unknown): string {
  const e = err as { statusMessage?: string; message?: string } | undefined;
  const text = (e?.statusMessage || e?.message || String(err)).trim();
  // A fault of the client side (no server status) says which kind it is: "TypeError: ..." rather than "...".
  return isProgrammingError(err) ? `${(err as Error).name}: ${text}` : text;
}

/** Unwraps the Traversers that bytecode requests return into plain result values (repeating bulked ones). */
function unwrapTraversers(items: unknown[]): unknown[] {
  const Traverser = gremlin.process.Traverser;
  const out: unknown[] = [];
  for (const item of items as any[]) {
    if (item instanceof Traverser) {
      for (let i = 0; i < Number(item.bulk ?? 1); i++) out.push(item.object);
    } else out.push(item);
  }
  return out;
}

export class GremlinConnection extends EventEmitter {
  private client: any = null;
  private _state: ConnectionState = 'idle';
  private closed = false;
  /** The open() in progress, so close() can wait for it: the driver cannot close a socket that is still opening. */
  private opening: Promise<void> | null = null;
  /** Requests sent since creation: lets tests and the bench count round trips. */
  requestCount = 0;
  /** Requests in progress per driver client, so a retired client is closed only once they settled. */
  private readonly pending = new WeakMap<object, number>();

  constructor(readonly options: ConnectionOptions) {
    super();
  }

  get state(): ConnectionState {
    return this._state;
  }

  private setState(s: ConnectionState, detail?: string): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s, detail);
  }

  private newClient(): any {
    const o = this.options;
    const serializer = o.serializer || 'graphbinary';
    let client: any = null;
    // A response the driver cannot decode fails its request (see wire.ts); the socket is not trusted again.
    const onUndecodable = (err: Error) => {
      this.emit('warning', `could not decode a response from ${o.url}: ${err.message}`);
      if (client) this.retire(client, 'a response could not be decoded');
    };
    let reader: unknown;
    let writer: unknown;
    if (serializer === 'graphbinary') {
      extendGraphBinary();
      reader = graphBinaryReader;
    } else {
      const v = serializer === 'graphson2' ? 2 : 3;
      reader = graphsonReader(v);
      writer = graphsonWriter(v);
    }
    const opts: Record<string, unknown> = {
      traversalSource: o.traversalSource || 'g',
      mimeType: MIME_TYPES[serializer],
      reader: safeReader(reader as { readResponse(d: unknown): unknown }, onUndecodable),
    };
    if (writer) opts.writer = writer;
    if (o.url.startsWith('wss:')) {
      // The driver passes only ca/cert/pfx/rejectUnauthorized on to the socket; an agent carries all of tls-config's
      // options (client key, passphrase, server name, ALPN) and wins over the request's own.
      const tlsOptions = { ...o.tls, rejectUnauthorized: o.tls?.rejectUnauthorized !== false };
      opts.rejectUnauthorized = tlsOptions.rejectUnauthorized;
      opts.agent = new https.Agent(tlsOptions);
    }
    if (o.username)
      opts.authenticator = new gremlin.driver.auth.PlainTextSaslAuthenticator(o.username, o.password ?? '');
    client = new gremlin.driver.Client(o.url, opts);
    // The driver rejects pending requests itself on close; forget this client so the next request opens a new one.
    const forget = (why: string) => {
      if (this.client === client) {
        this.client = null;
        if (!this.closed) this.setState('disconnected', why);
      }
      client.close().catch(() => undefined);
    };
    // The driver's public listeners on its connection (Client.addListener).
    client.addListener('close', (code: number) => forget(`connection closed (${code})`));
    client.addListener('socketError', (err: Error) => forget(err?.message || 'socket error'));
    client.addListener('log', () => undefined);
    return client;
  }

  /**
   * Stops using `client`: the next request opens a new one. The old socket is closed once the requests still pending
   * on it have settled (they are not cut short), or after the request timeout at the latest.
   */
  private retire(client: any, why: string): void {
    if (this.client === client) {
      this.client = null;
      if (!this.closed) this.setState('disconnected', why);
    }
    const pending = () => this.pending.get(client) ?? 0;
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? 30000) + 1000;
    const closeWhenIdle = () => {
      if (pending() === 0 || Date.now() > deadline) client.close().catch(() => undefined);
      else setTimeout(closeWhenIdle, 100).unref();
    };
    setImmediate(closeWhenIdle);
  }

  /** Opens the connection now (submit() also opens it on demand). */
  async open(): Promise<void> {
    if (this.closed) throw new Error('the Gremlin connection is closed');
    if (this.options.configError) {
      // Not transient: retrying cannot fix a configuration.
      this.setState('disconnected', this.options.configError);
      throw new Error(this.options.configError);
    }
    if (!this.client) this.client = this.newClient();
    const client = this.client;
    this.setState('connecting');
    try {
      const opening = client.open();
      this.opening = opening;
      await opening;
      if (this.closed) {
        await client.close().catch(() => undefined);
        throw new Error('the Gremlin connection is closed');
      }
      if (this.client === client) this.setState('connected');
    } catch (err) {
      if (this.closed) throw err;
      if (this.client === client) {
        this.client = null;
        this.setState('disconnected', (err as Error)?.message);
      }
      client.close().catch(() => undefined);
      throw new TransientError(`cannot connect to ${this.options.url}: ${(err as Error)?.message ?? err}`, err);
    }
  }

  /**
   * Sends bytecode or a script (with bindings) and resolves with the result values. Connection loss and the
   * client-side timeout reject with TransientError; server errors reject with the driver's ResponseError.
   */
  async submit(message: unknown, bindings?: Record<string, unknown>, timeoutMs?: number): Promise<unknown[]> {
    if (this.closed) throw new Error('the Gremlin connection is closed');
    const timeout = timeoutMs ?? this.options.requestTimeoutMs ?? 30000;
    if (!this.client || !this.client.isOpen) await this.open();
    const client = this.client;
    this.requestCount++;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new TransientError(`request timed out after ${timeout} ms`));
        // A socket that does not answer is not trusted again.
        if (this.client === client) {
          this.client = null;
          this.setState('disconnected', 'request timed out');
        }
        client.close().catch(() => undefined);
      }, timeout + 1000);
    });
    this.pending.set(client, (this.pending.get(client) ?? 0) + 1);
    try {
      const requestOptions = this.options.serverTimeout === false ? undefined : { evaluationTimeout: timeout };
      const rs = await Promise.race([client.submit(message, bindings, requestOptions), timedOut]);
      return unwrapTraversers((rs as { toArray(): unknown[] }).toArray());
    } catch (err) {
      // Gremlin Server answers the next request on a socket whose authentication failed with nothing at all (it
      // times out): after a 401 the socket is not used again, so the next request gets its own clear 401.
      if ((err as { statusCode?: number })?.statusCode === 401) this.retire(client, serverMessage(err));
      if (isTransient(err) && !(err instanceof TransientError)) {
        const msg = serverMessage(err);
        throw new TransientError(
          msg === 'Connection has been closed.' ? 'connection closed during the request' : msg,
          err,
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
      this.pending.set(client, (this.pending.get(client) ?? 1) - 1);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = null;
    this.setState('closed');
    if (this.opening) await this.opening.catch(() => undefined);
    if (c) await c.close().catch(() => undefined);
  }
}
