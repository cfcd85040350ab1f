/*
 * The editor's Gremlin console (the graph sidebar): an ad-hoc query with the safety rails an editor user needs —
 * read-only unless writes are allowed, an evaluation timeout, a result cap with a truncation flag, and values only
 * through bindings (checkBindings of the query node). Framework-free: the plugin's admin route is a thin adapter.
 */
import { Dialect, serverMessage, TransientError } from './connection';
import { checkBindings, QueryProblem, queryProblemMessage, QueryRequestError, QuerySubmitter } from './query';
import { toPlain, Plain } from './results';

export const CONSOLE_DEFAULTS = { timeoutMs: 30000, cap: 1000 };
/** Upper bounds a request may ask for: one editor query must not hold the server for minutes. */
export const CONSOLE_LIMITS = { timeoutMs: 300000, cap: 100000 };

const GRAPH = 'org.apache.tinkerpop.gremlin.structure.Graph';
const READ_ONLY = 'org.apache.tinkerpop.gremlin.process.traversal.strategy.verification.ReadOnlyStrategy.instance()';
/** Script variable of the wrapper; bindings may not use the prefix. */
const INTERNAL_PREFIX = '__ceh';

export interface ConsoleRequest {
  query: string;
  bindings?: Record<string, unknown>;
  /** Run without ReadOnlyStrategy (the caller has checked the write permission). */
  allowWrites?: boolean;
  timeoutMs?: number;
  cap?: number;
}

export interface ConsoleResult {
  results: Plain[];
  /** True when the query returned more than `cap` results and only the first `cap` are in `results`. */
  truncated: boolean;
  cap: number;
  readOnly: boolean;
  tookMs: number;
}

/** Why the console refuses a request: the query's own problems and the console's, as a code and its data. */
export type ConsoleProblem =
  | QueryProblem
  | { code: 'bindings-not-json'; message: string }
  | { code: 'bindings-not-object' }
  | { code: 'reserved-binding'; name: string; prefix: string }
  | { code: 'not-positive'; what: 'cap' | 'timeout'; value: string }
  | { code: 'no-read-only'; dialect: string };

function consoleProblemMessage(p: ConsoleProblem): string {
  switch (p.code) {
    case 'bindings-not-json':
      return `bindings are not valid JSON: ${p.message}`;
    case 'bindings-not-object':
      return 'bindings must be a JSON object of name → value';
    case 'reserved-binding':
      return `binding name ${JSON.stringify(p.name)} is reserved (prefix ${p.prefix})`;
    case 'not-positive':
      return `${p.what === 'cap' ? 'the result cap' : 'the timeout'} must be a positive whole number, not ${p.value}`;
    case 'no-read-only':
      return `a ${p.dialect} server cannot be told to run a script read-only: tick "allow writes" (needs the write permission) to run it`;
    default:
      return queryProblemMessage(p);
  }
}

/** A request the console refuses before it reaches the server (the route answers 400, worded from `problem`). */
export class ConsoleRequestError extends Error {
  constructor(readonly problem: ConsoleProblem) {
    super(consoleProblemMessage(problem));
    this.name = 'ConsoleRequestError';
  }
}

/** Why the server refused or failed a query: its own message, and whether it was the evaluation timeout. */
export class ConsoleQueryError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'ConsoleQueryError';
  }
}

/** Dialects whose servers evaluate Groovy scripts, so the wrapper below can apply ReadOnlyStrategy and the cap. */
export function canWrapScript(dialect: Dialect): boolean {
  return dialect === 'tinkerpop' || dialect === 'legacy';
}

function bounded(value: unknown, fallback: number, max: number, what: 'cap' | 'timeout'): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new ConsoleRequestError({ code: 'not-positive', what, value: JSON.stringify(value) });
  return Math.min(n, max);
}

/**
 * The script sent to the server. On Groovy servers the user's text runs inside a closure whose `g` is the traversal
 * source with ReadOnlyStrategy (unless writes are allowed), and a traversal it returns is limited to cap + 1 results
 * on the server, so a query over a large graph never streams more than that; a subgraph in the result becomes
 * {vertices, edges}. Other dialects get the text as it is.
 */
export function consoleScript(query: string, opts: { readOnly: boolean; cap: number; dialect: Dialect }): string {
  if (!canWrapScript(opts.dialect)) return query;
  const source = opts.readOnly ? `g.withStrategies(${READ_ONLY})` : 'g';
  const r = `${INTERNAL_PREFIX}Result`;
  // The user's first line shares the wrapper's first line: the server's syntax errors then name the user's line numbers.
  return [
    `def ${r} = { g -> ${query}`,
    `}.call(${source})`,
    `if (${r} instanceof org.apache.tinkerpop.gremlin.process.traversal.Traversal && !${r}.asAdmin().isLocked()) ${r} = ${r}.limit(${opts.cap + 1}).toList()`,
    `if (${r} instanceof ${GRAPH}) ${r} = [${r}]`,
    // A subgraph (subgraph().cap()) is a Graph, which the JavaScript driver cannot decode: send its vertices and edges.
    `if (${r} instanceof List) ${r} = ${r}.collect { it instanceof ${GRAPH} ? [vertices: it.traversal().V().limit(${opts.cap + 1}).toList(), edges: it.traversal().E().limit(${opts.cap + 1}).toList()] : it }`,
    r,
  ].join('\n');
}

/** Bindings as given by the editor: an object, or its JSON text. */
export function parseBindings(bindings: unknown): Record<string, unknown> {
  if (bindings === undefined || bindings === null || bindings === '') return {};
  let value = bindings;
  if (typeof bindings === 'string') {
    try {
      value = JSON.parse(bindings);
    } catch (err) {
      throw new ConsoleRequestError({ code: 'bindings-not-json', message: (err as Error).message });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConsoleRequestError({ code: 'bindings-not-object' });
  return value as Record<string, unknown>;
}

export async function runConsoleQuery(
  conn: QuerySubmitter,
  req: ConsoleRequest,
  dialect: Dialect,
): Promise<ConsoleResult> {
  const query = typeof req.query === 'string' ? req.query : '';
  if (query.trim() === '') throw new ConsoleRequestError({ code: 'empty-query' });
  const bindings = parseBindings(req.bindings);
  try {
    checkBindings(bindings, dialect);
  } catch (err) {
    if (err instanceof QueryRequestError) throw new ConsoleRequestError(err.problem);
    throw err;
  }
  for (const name of Object.keys(bindings)) {
    if (name.startsWith(INTERNAL_PREFIX))
      throw new ConsoleRequestError({ code: 'reserved-binding', name, prefix: INTERNAL_PREFIX });
  }
  const cap = bounded(req.cap, CONSOLE_DEFAULTS.cap, CONSOLE_LIMITS.cap, 'cap');
  const timeoutMs = bounded(req.timeoutMs, CONSOLE_DEFAULTS.timeoutMs, CONSOLE_LIMITS.timeoutMs, 'timeout');
  const readOnly = !req.allowWrites;
  if (readOnly && !canWrapScript(dialect)) {
    throw new ConsoleRequestError({ code: 'no-read-only', dialect });
  }
  const t0 = Date.now();
  let raw: unknown[];
  try {
    raw = await conn.submit(
      consoleScript(query, { readOnly, cap, dialect }),
      Object.keys(bindings).length ? bindings : undefined,
      timeoutMs,
    );
  } catch (err) {
    const e = err as { statusCode?: number; cause?: { statusCode?: number } };
    const status = e.statusCode ?? e.cause?.statusCode;
    const timedOut = status === 598 || (err instanceof TransientError && /timed out/.test(err.message));
    throw new ConsoleQueryError(serverMessage(err), timedOut, status);
  }
  const truncated = raw.length > cap;
  return { results: raw.slice(0, cap).map(toPlain), truncated, cap, readOnly, tookMs: Date.now() - t0 };
}
