/*
 * The runtime's texts are locale keys that exist: every key a node's or plugin's runtime code passes to RED._ (or to
 * its `t` shorthand), and every `key` of a status table, is a string in that folder's en-US catalogue or in Node-RED's
 * own (`node-red:`). A key built at run time cannot be checked here, so the code may not build one.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { ROOT, NODE_RED_DIR } from '../support/project';

const NODE_RED_MESSAGES = JSON.parse(
  fs.readFileSync(
    path.join(
      path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [NODE_RED_DIR] })),
      'locales',
      'en-US',
      'messages.json',
    ),
    'utf8',
  ),
);

/** The string at a dotted key path, or undefined. */
function lookUp(catalogue: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as any)[k] : undefined), catalogue);
}

const isTranslator = (e: ts.Expression) =>
  (ts.isIdentifier(e) && e.text === 't') ||
  (ts.isPropertyAccessExpression(e) &&
    e.name.text === '_' &&
    ts.isIdentifier(e.expression) &&
    e.expression.text === 'RED');

/** The keys a source file uses, with the line of each, and the translator calls whose key is not a literal. */
export function keysIn(
  file: string,
  text: string,
): { keys: Array<{ key: string; line: number }>; unchecked: number[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const keys: Array<{ key: string; line: number }> = [];
  const unchecked: number[] = [];
  const lineOf = (n: ts.Node) => source.getLineAndCharacterOfPosition(n.getStart()).line + 1;
  /** Literal keys of an argument: a string, either branch of a conditional; false when it is anything else. */
  const literals = (e: ts.Expression): boolean => {
    if (ts.isParenthesizedExpression(e)) return literals(e.expression);
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) {
      keys.push({ key: e.text, line: lineOf(e) });
      return true;
    }
    if (ts.isConditionalExpression(e)) return literals(e.whenTrue) && literals(e.whenFalse);
    return false;
  };
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && isTranslator(n.expression) && n.arguments.length > 0) {
      const arg = n.arguments[0];
      // `RED._(known.key)`: the key of a status table entry, whose literals are collected below.
      const tableKey = ts.isPropertyAccessExpression(arg) && arg.name.text === 'key';
      // `const t = (key, subs) => RED._(key, subs)`: the shorthand itself, forwarding its parameter.
      const fn = n.parent;
      const forwarder =
        ts.isIdentifier(arg) &&
        ts.isArrowFunction(fn) &&
        fn.body === n &&
        fn.parameters.length > 0 &&
        fn.parameters[0].name.getText() === arg.text;
      if (!tableKey && !forwarder && !literals(arg)) unchecked.push(lineOf(n));
    }
    // A status table entry: { fill, shape, key }.
    if (ts.isPropertyAssignment(n) && n.name.getText() === 'key' && ts.isObjectLiteralExpression(n.parent)) {
      const status = n.parent.properties.some((p) => p.name?.getText() === 'fill');
      if (status && !literals(n.initializer)) unchecked.push(lineOf(n));
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return { keys, unchecked };
}

/** Every folder with runtime code and a catalogue: nodes/<node>/ and plugins/<plugin>/. */
const FOLDERS = ['nodes', 'plugins'].flatMap((top) =>
  fs
    .readdirSync(path.join(ROOT, top))
    .map((name) => path.join(ROOT, top, name))
    .filter((dir) => fs.existsSync(path.join(dir, 'locales', 'en-US'))),
);

test('the check finds the keys of RED._, t and status tables, and refuses keys built at run time', () => {
  const { keys, unchecked } = keysIn(
    'x.ts',
    [
      "const STATUS = { a: { fill: 'red', key: 'node-red:common.status.connected' } };",
      "node.status({ text: t(n === 1 ? 'x.status.one' : 'x.status.many', { n }) });",
      "node.warn(RED._('x.errors.bad', { id }));",
      'node.warn(RED._(known.key));',
      'node.warn(t(`x.status.${state}`));',
      "const t = (key, subs) => RED._(key, subs); const creds = { key: { type: 'password' } };",
    ].join('\n'),
  );
  assert.deepEqual(
    keys.map((k) => k.key),
    ['node-red:common.status.connected', 'x.status.one', 'x.status.many', 'x.errors.bad'],
  );
  assert.deepEqual(unchecked, [5]);
});

for (const dir of FOLDERS) {
  const name = path.basename(dir);
  test(`${path.relative(ROOT, dir)}: every runtime text key is in its en-US catalogue`, () => {
    const catalogue = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${name}.json`), 'utf8'));
    const problems: string[] = [];
    let found = 0;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const { keys, unchecked } = keysIn(file, fs.readFileSync(path.join(dir, file), 'utf8'));
      for (const line of unchecked) problems.push(`${file}:${line}: a key built at run time (write it out)`);
      for (const { key, line } of keys) {
        found++;
        const value = key.startsWith('node-red:')
          ? lookUp(NODE_RED_MESSAGES, key.slice('node-red:'.length))
          : lookUp(catalogue, key);
        if (typeof value !== 'string') problems.push(`${file}:${line}: ${key} is not a text of the catalogue`);
      }
    }
    assert.deepEqual(problems, []);
    // The plugin's runtime answers the editor with data, not texts; every node shows at least a status or an error.
    if (path.basename(path.dirname(dir)) === 'nodes') assert.ok(found > 0, `${name}: no runtime texts found`);
  });
}

test('nodes/shared: no translated texts of its own (it has no catalogue: callers pass their texts in)', () => {
  const dir = path.join(ROOT, 'nodes', 'shared');
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const { keys, unchecked } = keysIn(file, fs.readFileSync(path.join(dir, file), 'utf8'));
    assert.deepEqual([...keys.map((k) => k.key), ...unchecked], [], file);
  }
});
