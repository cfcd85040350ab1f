/*
 * Every node speaks English and German: the de locale mirrors en-US key for key, and the German help has the same
 * node name and the style guide's sections (the headings stay English, as in Node-RED's own translated help).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';
import { catalogue } from '../support/texts';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const nodeFiles: Record<string, string> = pkg['node-red'].nodes;

function keyPaths(o: unknown, prefix = ''): string[] {
  if (o === null || typeof o !== 'object') return [prefix];
  return Object.entries(o as Record<string, unknown>)
    .flatMap(([k, v]) => keyPaths(v, prefix ? `${prefix}.${k}` : k))
    .sort();
}

const SECTIONS = ['Inputs', 'Outputs', 'Details', 'References'];

for (const [type, file] of Object.entries(nodeFiles)) {
  const dir = path.join(ROOT, path.dirname(file).replace(/^dist\//, ''), 'locales');
  const base = path.basename(file, '.js');

  test(`${type}: de messages mirror en-US, every text translated`, () => {
    const en = JSON.parse(fs.readFileSync(path.join(dir, 'en-US', `${base}.json`), 'utf8'));
    const de = JSON.parse(fs.readFileSync(path.join(dir, 'de', `${base}.json`), 'utf8'));
    assert.deepEqual(keyPaths(de), keyPaths(en));
    const leaves = (o: any, p: string[] = []): Array<[string, string]> =>
      typeof o === 'string' ? [[p.join('.'), o]] : Object.entries(o).flatMap(([k, v]) => leaves(v, [...p, k]));
    for (const [key, text] of leaves(de)) assert.ok(text.trim().length > 0, `${type} de ${key} is empty`);
    // Placeholders (__count__) must survive translation.
    const enLeaves = new Map(leaves(en));
    for (const [key, text] of leaves(de)) {
      for (const ph of (enLeaves.get(key) ?? '').match(/__\w+__/g) ?? [])
        assert.ok(text.includes(ph), `${type} de ${key} keeps ${ph}`);
    }
  });

  test(`${type}: help in en-US and de with the style guide's sections`, () => {
    for (const lang of ['en-US', 'de']) {
      const help = fs.readFileSync(path.join(dir, lang, `${base}.html`), 'utf8');
      assert.match(
        help,
        new RegExp(`<script type="text/html" data-help-name="${type}">`),
        `${lang} help names ${type}`,
      );
      assert.match(help, /^\s*<script[^>]*>\s*<p>[^<]{20,}/, `${lang}: a first short paragraph (the palette tooltip)`);
      let last = -1;
      // Config nodes have no wires: their help has no Inputs/Outputs sections.
      for (const s of ['ceh-kafka-broker', 'ceh-gremlin-server'].includes(type)
        ? SECTIONS.filter((x) => x !== 'Inputs' && x !== 'Outputs')
        : SECTIONS) {
        const at = help.indexOf(`<h3>${s}</h3>`);
        assert.ok(at > last, `${type} ${lang}: section ${s} present and in order`);
        last = at;
      }
    }
    const en = fs.readFileSync(path.join(dir, 'en-US', `${base}.html`), 'utf8');
    const de = fs.readFileSync(path.join(dir, 'de', `${base}.html`), 'utf8');
    assert.notEqual(de, en, 'the German help is translated');
    const props = (h: string) =>
      [...h.matchAll(/<dt[^>]*>([^<]+)</g)].map((m) => m[1].trim().split(' ')[0]).filter((p) => /^[a-z]/.test(p));
    assert.deepEqual(props(de), props(en), `${type}: the German help documents the same message properties`);
  });
}

test('nodes/shared: the shared texts (merged into every catalogue by the build) in de mirror en-US', () => {
  const en = catalogue('nodes/shared', 'shared');
  const de = catalogue('nodes/shared', 'shared', 'de');
  assert.deepEqual(keyPaths(de), keyPaths(en));
  for (const key of keyPaths(en)) {
    const at = (o: any) => key.split('.').reduce((x, k) => x[k], o) as string;
    assert.notEqual(at(de).trim(), '', key);
    for (const ph of at(en).match(/__\w+__/g) ?? []) assert.ok(at(de).includes(ph), `de ${key} keeps ${ph}`);
  }
  // The build merged them: a built node's catalogue has them in both languages.
  for (const lang of ['en-US', 'de']) {
    const built = JSON.parse(
      fs.readFileSync(
        path.join(ROOT, 'dist', 'nodes', 'gremlin-upsert', 'locales', lang, 'gremlin-upsert.json'),
        'utf8',
      ),
    );
    assert.deepEqual(built['ceh-shared'], lang === 'de' ? de['ceh-shared'] : en['ceh-shared'], lang);
  }
});
