/*
 * BENCH BASELINE ONLY — the pack's template compiler before it moved onto mustache's parser (commit eed2427,
 * lib/mapping/template.ts): a regex tokenizer for {{path}} tags. bench/mapping.ts compiles every mapping with it and
 * with lib/mapping/template.ts in one run, so the table shows before and after side by side. Not used by the pack.
 */
/*
 * Templates: the mustache subset a mapping needs, compiled once into closures (mapping runs per event, at >100k/s).
 *
 *   {{a.b.c}}  {{items.0.sku}}  {{{a.b}}}  {{ a.b }}   a path into the scope (dots; numeric segments index arrays)
 *   plain text                                          copied as is
 *
 * Rendering never HTML-escapes. A template that is exactly one tag keeps the source value's JSON type (a number stays
 * a number, an array stays an array). A mixed template renders to a string; it is *missing* (undefined) when any path
 * it names is missing or null, so "order-{{id}}" never becomes a half key "order-". Objects and arrays inside a mixed
 * template render as JSON. Sections, inverted sections, partials, comments and delimiter changes are refused.
 */

/** What templates read from: the event (or CDC row) plus the names an `each` scope binds. */
export interface Scope {
  /** The event, or in CDC mode the row (`after` for c/r/u, `before` for d). */
  root: unknown;
  /** Names bound on top of the root: the `each` item and index, and CDC's $op/$before/$after/$source. */
  vars?: Record<string, unknown>;
}

export type Compiled = (scope: Scope) => unknown;

export interface CompiledTemplate {
  render: Compiled;
  /** The paths the template names, for documentation and error messages. */
  paths: string[];
  /** True when the template is exactly one tag (the value keeps its JSON type). */
  typed: boolean;
  /** True when the template has no tag at all. */
  constant: boolean;
}

export class TemplateError extends Error {}

const TAG = /\{\{(\{?)([^{}]*)\}?\}\}/g;
const PATH = /^[^\s{}#^/>!=&]+$/;

function compilePath(path: string): Compiled {
  const segments = path.split('.');
  if (segments.some((s) => s === '')) throw new TemplateError(`empty segment in path "${path}"`);
  const [first, ...rest] = segments;
  const n = rest.length;
  // Unrolled for the common short paths: this closure runs once per template per event.
  return (scope) => {
    let v: any = scope.vars !== undefined && first in scope.vars ? scope.vars[first] : (scope.root as any)?.[first];
    for (let i = 0; i < n; i++) {
      if (v === undefined || v === null) return undefined;
      v = v[rest[i]];
    }
    // Inherited members (constructor, toString...) are not event data.
    return typeof v === 'function' ? undefined : v;
  };
}

function toText(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Compiles a template string; throws TemplateError for anything outside the supported subset. */
export function compileTemplate(text: string): CompiledTemplate {
  const parts: Array<string | Compiled> = [];
  const paths: string[] = [];
  let last = 0;
  TAG.lastIndex = 0;
  for (let m = TAG.exec(text); m; m = TAG.exec(text)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const path = m[2].trim();
    if (path === '' || !PATH.test(path)) {
      throw new TemplateError(
        `unsupported template tag "${m[0]}": only {{path.to.value}} is supported (no sections, partials or comments)`,
      );
    }
    if (path === '.') throw new TemplateError(`unsupported template tag "${m[0]}": name the value, e.g. {{item}}`);
    parts.push(compilePath(path));
    paths.push(path);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  const rest = parts.filter((p) => typeof p === 'string').join('');
  if (rest.includes('{{') || rest.includes('}}'))
    throw new TemplateError(`unbalanced "{{" or "}}" in template "${text}"`);

  if (paths.length === 0) {
    return { render: () => text, paths, typed: false, constant: true };
  }
  if (parts.length === 1) {
    return { render: parts[0] as Compiled, paths, typed: true, constant: false };
  }
  const render: Compiled = (scope) => {
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (typeof p === 'string') {
        out += p;
        continue;
      }
      const v = p(scope);
      if (v === undefined || v === null) return undefined;
      out += typeof v === 'string' ? v : toText(v);
    }
    return out;
  };
  return { render, paths, typed: false, constant: false };
}

/** A spec value that is not a string (a YAML number or boolean) is a constant of that type. */
export function constantTemplate(value: unknown): CompiledTemplate {
  return { render: () => value, paths: [], typed: true, constant: true };
}
