/*
 * Runs a user's Gremlin query as a script with bindings (never interpolated) and returns plain JSON results.
 */
import { isIdentifier } from '../change-set';
import { Dialect } from './connection';
import { toPlain, Plain } from './results';

export interface QuerySubmitter {
  submit(message: unknown, bindings?: Record<string, unknown>, timeoutMs?: number): Promise<unknown[]>;
}

/**
 * What is wrong with a request before it reaches the server, as a code and its data: the Node-RED side words it in
 * the editor's language (nodes/shared/texts.ts); the message stays English for everyone else.
 */
export type QueryProblem =
  { code: 'empty-query' } | { code: 'binding-name'; name: string } | { code: 'neptune-bindings' };

export class QueryRequestError extends Error {
  constructor(readonly problem: QueryProblem) {
    super(`gremlin query: ${queryProblemMessage(problem)}`);
    this.name = 'QueryRequestError';
  }
}

export function queryProblemMessage(p: QueryProblem): string {
  switch (p.code) {
    case 'empty-query':
      return 'the query is empty';
    case 'binding-name':
      return `binding name ${JSON.stringify(p.name)} is not a valid variable name`;
    case 'neptune-bindings':
      return 'Neptune does not accept script bindings; use a server with another dialect or a query without bindings';
  }
}

/** Binding names become script variables: they must be identifiers and must not shadow the traversal source. */
export function checkBindings(bindings: Record<string, unknown>, dialect: Dialect): void {
  const names = Object.keys(bindings);
  for (const name of names) {
    if (!isIdentifier(name) || name === 'g') throw new QueryRequestError({ code: 'binding-name', name });
  }
  if (dialect === 'neptune' && names.length > 0) {
    throw new QueryRequestError({ code: 'neptune-bindings' });
  }
}

export async function runQuery(
  conn: QuerySubmitter,
  query: string,
  bindings: Record<string, unknown>,
  dialect: Dialect,
  timeoutMs?: number,
): Promise<Plain[]> {
  if (typeof query !== 'string' || query.trim() === '') throw new QueryRequestError({ code: 'empty-query' });
  checkBindings(bindings, dialect);
  const results = await conn.submit(query, Object.keys(bindings).length ? bindings : undefined, timeoutMs);
  return results.map(toPlain);
}
