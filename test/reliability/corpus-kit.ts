/*
 * Shared by the bad-input corpus and the security scenarios: small HTTP helpers for the admin API, and graph reads
 * through a gremlin connection.
 */
export async function http(
  port: number,
  method: string,
  url: string,
  body?: unknown,
  token?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, text };
}

/** The graph's vertices as "label:key value" for the given label → key property names. */
export async function vertexKeys(
  submit: (q: string, b?: Record<string, unknown>) => Promise<unknown[]>,
  keys: Record<string, string>,
): Promise<string[]> {
  const out: string[] = [];
  for (const [label, key] of Object.entries(keys)) {
    for (const v of await submit('g.V().hasLabel(L).values(K)', { L: label, K: key })) out.push(`${label}:${v}`);
  }
  return out;
}

export async function edgeCounts(
  submit: (q: string, b?: Record<string, unknown>) => Promise<unknown[]>,
): Promise<Record<string, number>> {
  const [m] = await submit('g.E().groupCount().by(label)');
  const out: Record<string, number> = {};
  for (const [k, v] of m instanceof Map ? m : new Map(Object.entries(m as object))) out[String(k)] = Number(v);
  return out;
}
