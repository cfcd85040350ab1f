/*
 * Plain objects from outside (user-written YAML specs, JSON events, Node-RED messages). Their fields are `any` on
 * purpose: the callers walk them field by field and check each value's type where they use it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- outside data, checked field by field where used
export type JsonObject = Record<string, any>;

/** True for a plain object: not null, not an array. */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
