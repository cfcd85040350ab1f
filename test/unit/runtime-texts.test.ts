/*
 * The runtime's texts are locale keys that exist: every key a node's, plugin's or nodes/shared's runtime code passes
 * to RED._ (or to its `t` shorthand), and every `key` of a status table, is a string in that folder's en-US catalogue,
 * in the pack's shared one (nodes/shared/locales, `ceh-shared.*`, merged into every catalogue by the build) or in
 * Node-RED's own (`node-red:`). A key built at run time cannot be checked here, so the code may not build one. And no
 * English literal reaches a node's status, error or warning or an admin route's error answer: those go through RED._.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { ROOT, NODE_RED_DIR } from '../support/project';
import { catalogue } from '../support/texts';

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

const SHARED = catalogue('nodes/shared', 'shared');

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

/** Node type prefixes a log line may start with ("kafka in: "): the node's name, not a sentence. */
const PREFIXES = Object.keys(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))['node-red'].nodes,
).map((type) => `${type.replace(/^ceh-/, '').replace(/-/g, ' ')}: `);

/** Literal text with words in it: a sentence someone wrote in English, not a prefix, separator or number. */
function hasWords(text: string): boolean {
  const rest = PREFIXES.reduce((s, p) => (s.startsWith(p) ? s.slice(p.length) : s), text);
  return /\p{L}{2,}/u.test(rest);
}

/** The English literal parts of an expression that becomes a shown text (a string, a template's text, a branch). */
function literalTexts(e: ts.Expression): string[] {
  if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) return literalTexts(e.expression);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return hasWords(e.text) ? [e.text] : [];
  if (ts.isTemplateExpression(e)) {
    const parts = [e.head.text, ...e.templateSpans.map((s) => s.literal.text)];
    return hasWords(parts[0]) || parts.slice(1).some((p) => /\p{L}{2,}/u.test(p)) ? [parts.join('${}')] : [];
  }
  if (ts.isConditionalExpression(e)) return [...literalTexts(e.whenTrue), ...literalTexts(e.whenFalse)];
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken)
    return [...literalTexts(e.left), ...literalTexts(e.right)];
  if (ts.isNewExpression(e) && e.arguments?.length) return literalTexts(e.arguments[0]);
  return [];
}

/**
 * English literals shown to a person: the text of `x.status({ text })`, the first argument of `x.error/warn/log`,
 * `new Error(...)` given to done() or thrown in a node, and `error`/`message` of a `res.json(...)` answer.
 */
export function englishIn(file: string, text: string): Array<{ text: string; line: number }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Array<{ text: string; line: number }> = [];
  const add = (e: ts.Expression) => {
    for (const t of literalTexts(e))
      found.push({ text: t, line: source.getLineAndCharacterOfPosition(e.getStart()).line + 1 });
  };
  const visit = (n: ts.Node) => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.arguments.length > 0) {
      const method = n.expression.name.text;
      const arg = n.arguments[0];
      if (method === 'status' && ts.isObjectLiteralExpression(arg)) {
        for (const p of arg.properties)
          if (ts.isPropertyAssignment(p) && p.name.getText() === 'text') add(p.initializer);
      } else if (['error', 'warn', 'log', 'end', 'send'].includes(method) && !ts.isObjectLiteralExpression(arg)) {
        add(arg);
      } else if (method === 'json' && ts.isObjectLiteralExpression(arg)) {
        for (const p of arg.properties)
          if (ts.isPropertyAssignment(p) && ['error', 'message'].includes(p.name.getText())) add(p.initializer);
      }
    }
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'done' && n.arguments[0])
      add(n.arguments[0]);
    if (ts.isThrowStatement(n) && n.expression) add(n.expression);
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found;
}

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

/** Every folder with runtime code and a catalogue: nodes/<node>/, nodes/shared/ and plugins/<plugin>/. */
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

test('the check finds English literals in statuses, logs, errors and error answers, and lets keys and data pass', () => {
  const found = englishIn(
    'x.ts',
    [
      "node.status({ fill: 'red', shape: 'ring', text: 'not connected' });",
      'node.error(`kafka in: cannot consume: ${e.message}`);',
      "node.warn(ok ? t('x.a') : 'no way');",
      "res.status(404).json({ error: 'not deployed' });",
      'done(new Error(`gremlin upsert: server ${id} is gone`));',
      "throw new Error('no topic configured');",
      "node.status({ fill: 'red', shape: 'ring', text: (e as Error).message });",
      "node.error(`kafka in: ${t('x.b', { m })}`);",
      "res.status(400).json({ code: 'bad_request', error: t('x.c'), message: String(err.message) });",
      "node.status({ text: t('x.d') + ' · ' + n });",
      'node.log(`${count}`);',
    ].join('\n'),
  );
  assert.deepEqual(
    found.map((f) => f.line),
    [1, 2, 3, 4, 5, 6],
  );
});

for (const dir of FOLDERS) {
  const name = path.basename(dir);
  test(`${path.relative(ROOT, dir)}: every runtime text key is in its en-US catalogue, no English literal is shown`, () => {
    const catalogue = JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US', `${name}.json`), 'utf8'));
    const problems: string[] = [];
    let found = 0;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(dir, file), 'utf8');
      const { keys, unchecked } = keysIn(file, text);
      for (const line of unchecked) problems.push(`${file}:${line}: a key built at run time (write it out)`);
      for (const { key, line } of keys) {
        found++;
        const value = key.startsWith('node-red:')
          ? lookUp(NODE_RED_MESSAGES, key.slice('node-red:'.length))
          : key.startsWith('ceh-shared.')
            ? lookUp(SHARED, key)
            : lookUp(catalogue, key);
        if (typeof value !== 'string') problems.push(`${file}:${line}: ${key} is not a text of the catalogue`);
      }
      for (const e of englishIn(file, text)) problems.push(`${file}:${e.line}: English text ${JSON.stringify(e.text)}`);
    }
    assert.deepEqual(problems, []);
    // Every node shows at least a status or an error; the plugin answers errors; shared words lib's problems.
    assert.ok(found > 0, `${name}: no runtime texts found`);
  });
}
