/*
 * Runs a user's Gremlin query as a script with bindings (never interpolated) and returns plain JSON results.
 */
import { isIdentifier } from '../change-set';
import { Dialect } from './connection';
import { toPlain, Plain } from './results';

export interface QuerySubmitter {
  submit(message: unknown, bindings?: Record<string, unknown>, timeoutMs?: number): Promise<unknown[]>;
}

/** Binding names become script variables: they must be identifiers and must not shadow the traversal source. */
export function checkBindings(bindings: Record<string, unknown>, dialect: Dialect): void {
  const names = Object.keys(bindings);
  for (const name of names) {
    if (!isIdentifier(name) || name === 'g')
      throw new Error(`gremlin query: binding name ${JSON.stringify(name)} is not a valid variable name`);
  }
  if (dialect === 'neptune' && names.length > 0) {
    throw new Error(
      'gremlin query: Neptune does not accept script bindings; use a server with another dialect or a query without bindings',
    );
  }
}

export async function runQuery(
  conn: QuerySubmitter,
  query: string,
  bindings: Record<string, unknown>,
  dialect: Dialect,
  timeoutMs?: number,
): Promise<Plain[]> {
  if (typeof query !== 'string' || query.trim() === '') throw new Error('gremlin query: the query is empty');
  checkBindings(bindings, dialect);
  const results = await conn.submit(query, Object.keys(bindings).length ? bindings : undefined, timeoutMs);
  return results.map(toPlain);
}
