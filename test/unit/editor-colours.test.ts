/*
 * The editor parts follow the editor's theme (light, dark, a user's own): no colour literals in their HTML, styles and
 * scripts, only Node-RED's CSS variables (var(--red-ui-...)), read at draw time where a canvas needs a literal. Two
 * kinds of literal are allowed, each where it has to be:
 *  - a node's palette colour (`color:` of RED.nodes.registerType): Node-RED's API takes a literal and draws the node
 *    with it in every theme;
 *  - the graph sidebar's vertex label palette (--ceh-graph-label-N on :root): categorical colours the theme has no
 *    variables for, declared once so a theme can override them.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';

/** Hex colours (not ids such as #add-row), rgb()/rgba()/hsl()/hsla(). */
const COLOUR = /#(?:[0-9a-f]{8}|[0-9a-f]{6}|[0-9a-f]{3,4})(?![\w-])|\b(?:rgba?|hsla?)\(/gi;

/** Offsets of the allowed literals in an editor file's text. */
function allowedSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  // A node's palette colour: the `color:` right after registerType's type and category.
  for (const m of text.matchAll(
    /RED\.nodes\.registerType\(\s*'[\w-]+',\s*\{\s*category:\s*'[^']*',\s*color:\s*'#[0-9a-f]{6}'/gi,
  ))
    spans.push([m.index!, m.index! + m[0].length]);
  // The sidebar's label palette: a :root block of --ceh-graph-label-N declarations only.
  for (const m of text.matchAll(/:root \{(\s*--ceh-graph-label-\d+: #[0-9a-f]{6};)+\s*\}/gi))
    spans.push([m.index!, m.index! + m[0].length]);
  return spans;
}

/** The colour literals outside the allowed places, as `line: text`. */
export function colourLiterals(text: string): string[] {
  const spans = allowedSpans(text);
  const found: string[] = [];
  for (const m of text.matchAll(COLOUR)) {
    if (spans.some(([a, b]) => m.index! >= a && m.index! < b)) continue;
    const line = text.slice(0, m.index).split('\n').length;
    found.push(`${line}: ${text.split('\n')[line - 1].trim()}`);
  }
  return found;
}

const EDITOR_FILES = ['nodes', 'plugins'].flatMap((top) =>
  fs.readdirSync(path.join(ROOT, top)).flatMap((name) => {
    const dir = path.join(ROOT, top, name);
    if (!fs.statSync(dir).isDirectory()) return [];
    const own = fs.readdirSync(dir).filter((f) => f.endsWith('.html'));
    const help = fs.existsSync(path.join(dir, 'locales'))
      ? fs.readdirSync(path.join(dir, 'locales')).flatMap((lang) =>
          fs
            .readdirSync(path.join(dir, 'locales', lang))
            .filter((f) => f.endsWith('.html'))
            .map((f) => path.join('locales', lang, f)),
        )
      : [];
    return [...own, ...help].map((f) => path.join(dir, f));
  }),
);

test('the check finds colour literals in attributes, styles and scripts, not ids or the allowed places', () => {
  const sample = [
    "RED.nodes.registerType('ceh-x', {",
    "  category: 'event hub',",
    "  color: '#C7E9C0',",
    '});',
    '<div style="color:#c00; margin:0">',
    '.x { background: #fff; border: 1px solid rgba(0, 0, 0, 0.2); }',
    "$('<div>').css('color', '#393');",
    "$('#add-row, #node-input-abc').show(); var bg = '#ffffff';",
    ':root {',
    '  --ceh-graph-label-0: #3b82c4;',
    '}',
    ':root { --ceh-graph-label-1: #3b82c4; --other: #123456; }',
  ].join('\n');
  assert.deepEqual(
    colourLiterals(sample).map((l) => l.split(':')[0]),
    ['5', '6', '6', '7', '8', '12', '12'],
  );
});

test('editor HTML (nodes, plugins, help): no colour literals outside the allowed places', () => {
  assert.ok(EDITOR_FILES.length >= 20, `${EDITOR_FILES.length} editor files`);
  const problems = EDITOR_FILES.flatMap((file) =>
    colourLiterals(fs.readFileSync(file, 'utf8')).map((l) => `${path.relative(ROOT, file)}:${l}`),
  );
  assert.deepEqual(problems, []);
});
