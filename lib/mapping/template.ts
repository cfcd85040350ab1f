/*
 * Templates: mustache syntax, tokenised by mustache's own parser (Mustache.parse: the standard grammar, set
 * delimiters, comments, standalone-line rules and its error positions), then compiled once into typed closures —
 * mapping runs per event at >100k/s, and a mapping needs what Mustache.render cannot give: JSON types and "missing".
 *
 *   {{a.b.c}}  {{items.0.sku}}  {{{a.b}}}  {{&a}}  {{ a.b }}   a path into the scope (dots; numeric segments index arrays)
 *   {{#tags}}{{.}};{{/tags}}                                  a section: once per array item ({{.}} = the item), once
 *                                                             for a truthy value, not at all for a missing/false/empty one
 *   {{currency}}{{^currency}}EUR{{/currency}}                 an inverted section: a default for a missing value
 *   {{! a comment }}   {{=<% %>=}}                            comments and set delimiters, as in mustache
 *   plain text                                                copied as is
 *
 * Rendering never HTML-escapes ({{x}} and {{{x}}} are the same). A template that is exactly one tag keeps the source
 * value's JSON type (a number stays a number, an array stays an array). A mixed template renders to a string; it is
 * *missing* (undefined) when any value it names is missing or null — so "order-{{id}}" never becomes a half key
 * "order-" — except values that have an inverted-section default in the same template, and sections, which render
 * nothing for a missing value (that is what they are for). Objects and arrays inside a mixed template render as JSON.
 * Partials and lambdas are refused: a mapping has no other templates, and event data has no functions.
 */
import Mustache from 'mustache';
import type { JsonObject } from '../object';

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
  /** The paths the template names (tags and sections), for documentation and error messages. */
  paths: string[];
  /** True when the template is exactly one tag (the value keeps its JSON type). */
  typed: boolean;
  /** True when the template has no tag at all. */
  constant: boolean;
}

export class TemplateError extends Error {}

/** mustache's token tuples: [type, value, start, end, children?, closeIndex?]. */
type Token = [string, string, number, number, Token[]?, number?];

// A private writer without mustache's template cache: specs arrive per message (msg.mapping), the cache would only grow.
const writer = new Mustache.Writer();
(writer as unknown as { templateCache: undefined }).templateCache = undefined;

const PATH = /^[^\s{}#^/>!=&]+$/;

/** Section items visible to a tag, innermost last (undefined outside sections: the fast path). */
type Stack = unknown[] | undefined;
type Part = (scope: Scope, stack: Stack) => unknown;

function lookupFirst(scope: Scope, stack: Stack, first: string): unknown {
  if (stack !== undefined) {
    // mustache's name resolution: the innermost section item that has the name, then the outer ones, then the scope.
    for (let i = stack.length - 1; i >= 0; i--) {
      const c = stack[i];
      if (c !== null && typeof c === 'object' && first in (c as object)) return (c as JsonObject)[first];
    }
  }
  return scope.vars !== undefined && first in scope.vars
    ? scope.vars[first]
    : (scope.root as JsonObject | undefined)?.[first];
}

function compilePath(path: string): Part {
  if (path === '.') {
    return (scope, stack) => (stack !== undefined && stack.length ? stack[stack.length - 1] : scope.root);
  }
  const segments = path.split('.');
  if (segments.some((s) => s === '')) throw new TemplateError(`empty segment in path "${path}"`);
  const [first, ...rest] = segments;
  const n = rest.length;
  // This closure runs once per template per event: a plain loop, no allocation.
  return (scope, stack) => {
    let v = lookupFirst(scope, stack, first) as JsonObject | undefined;
    for (let i = 0; i < n; i++) {
      if (v === undefined || v === null) return undefined;
      v = v[rest[i]];
    }
    // Inherited members (constructor, toString...) are not event data.
    return typeof v === 'function' ? undefined : v;
  };
}

function toText(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function parse(text: string): Token[] {
  try {
    return writer.parse(text) as unknown as Token[];
  } catch (e) {
    // mustache's messages carry the character position: "Unclosed tag at 6", 'Unclosed section "a" at 7'.
    throw new TemplateError(`invalid template ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
}

/** Compiles a template string; throws TemplateError for anything a mapping cannot use. */
export function compileTemplate(text: string): CompiledTemplate {
  const paths: string[] = [];
  const defaults = new Set<string>(); // names with an inverted section: missing renders as '' there
  const checkTree = (tokens: Token[]): Token[] => {
    const kept: Token[] = [];
    for (const t of tokens) {
      const [type, value] = t;
      if (type === '!' || type === '=') continue; // comment, set delimiters (the parser already applied them)
      if (type === '>') throw new TemplateError(`partials are not supported in a mapping: "${text.slice(t[2], t[3])}"`);
      if (type !== 'text') {
        const key = value.trim();
        if (key === '' || (key !== '.' && !PATH.test(key))) {
          throw new TemplateError(
            `unsupported template tag "${text.slice(t[2], t[3])}": a tag names a path like {{customer.id}}`,
          );
        }
        if (key !== '.' && !paths.includes(key)) paths.push(key);
        if (type === '^') defaults.add(key);
        if (t[4]) t[4] = checkTree(t[4]);
      }
      kept.push(t);
    }
    return kept;
  };
  const tokens = checkTree(parse(text));

  const tags = tokens.filter((t) => t[0] !== 'text');
  if (tags.length === 0) {
    const constant = tokens.map((t) => t[1]).join('');
    return { render: () => constant, paths, typed: false, constant: true };
  }
  if (tokens.length === 1 && (tokens[0][0] === 'name' || tokens[0][0] === '&')) {
    const get = compilePath(tokens[0][1].trim());
    return { render: (scope) => get(scope, undefined), paths, typed: true, constant: false };
  }

  /** One token → a part that returns the text (or any value, for the caller to stringify) or undefined = missing. */
  const compileToken = (t: Token): Part | string => {
    const [type, value] = t;
    if (type === 'text') return value;
    const key = value.trim();
    const get = compilePath(key);
    if (type === 'name' || type === '&') {
      if (!defaults.has(key)) return get;
      return (scope, stack) => {
        const v = get(scope, stack);
        return v === undefined || v === null ? '' : v;
      };
    }
    const body = compileBody(t[4] || []);
    if (type === '^') {
      return (scope, stack) => {
        const v = get(scope, stack);
        return !v || (Array.isArray(v) && v.length === 0) ? body(scope, stack) : '';
      };
    }
    // '#': mustache's section semantics (lambdas excluded: compilePath never returns a function).
    return (scope, stack) => {
      const v = get(scope, stack);
      if (!v) return '';
      if (Array.isArray(v)) {
        let out = '';
        for (let i = 0; i < v.length; i++) {
          const r = body(scope, stack === undefined ? [v[i]] : [...stack, v[i]]);
          if (r === undefined) return undefined;
          out += r;
        }
        return out;
      }
      if (typeof v === 'object' || typeof v === 'string' || typeof v === 'number') {
        return body(scope, stack === undefined ? [v] : [...stack, v]);
      }
      return body(scope, stack);
    };
  };
  const compileBody = (body: Token[]): ((scope: Scope, stack: Stack) => string | undefined) => {
    const parts = body.map(compileToken);
    return (scope, stack) => {
      let out = '';
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (typeof p === 'string') {
          out += p;
          continue;
        }
        const v = p(scope, stack);
        if (v === undefined || v === null) return undefined;
        out += typeof v === 'string' ? v : toText(v);
      }
      return out;
    };
  };
  const whole = compileBody(tokens);
  return { render: (scope) => whole(scope, undefined), paths, typed: false, constant: false };
}

/** A spec value that is not a string (a YAML number or boolean) is a constant of that type. */
export function constantTemplate(value: unknown): CompiledTemplate {
  return { render: () => value, paths: [], typed: true, constant: true };
}
