#!/usr/bin/env node
'use strict';
/*
 * Build: compile the TypeScript (lib/, nodes/, test/, bench/) to CommonJS in dist/, then lay each node's editor
 * .html, locales and icons beside its .js exactly where Node-RED looks for them:
 *   dist/nodes/<node>/<node>.js + <node>.html + locales/<lang>/<node>.json|html + icons/*.svg
 * and each editor plugin's the same way (dist/plugins/<plugin>/), with the graph sidebar's cytoscape.js copied from
 * node_modules into its resources/ (the plugin serves it: no CDN).
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');

function copyTree(from, to) {
  if (!fs.existsSync(from)) return;
  fs.cpSync(from, to, { recursive: true });
}

/*
 * Node-RED gives every node set its own catalogue namespace and no fallback, so the texts of the shared adapter code
 * (nodes/shared/locales: ceh-shared.*) are merged into each node's and plugin's catalogue, one source for all.
 */
function mergeSharedTexts(localesOut, name) {
  const shared = path.join(ROOT, 'nodes', 'shared', 'locales');
  for (const lang of fs.readdirSync(shared)) {
    const file = path.join(localesOut, lang, `${name}.json`);
    if (!fs.existsSync(file)) continue;
    const texts = JSON.parse(fs.readFileSync(file, 'utf8'));
    Object.assign(texts, JSON.parse(fs.readFileSync(path.join(shared, lang, 'shared.json'), 'utf8')));
    fs.writeFileSync(file, JSON.stringify(texts, null, 2) + '\n');
  }
}

function main() {
  const tsc = require.resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status || 1);

  const nodesDir = path.join(ROOT, 'nodes');
  for (const name of fs.readdirSync(nodesDir)) {
    const src = path.join(nodesDir, name);
    // A node folder has an editor .html; others (shared adapter code) are plain TypeScript.
    if (!fs.statSync(src).isDirectory() || !fs.readdirSync(src).some((f) => f.endsWith('.html'))) continue;
    const out = path.join(DIST, 'nodes', name);
    fs.mkdirSync(out, { recursive: true });
    for (const file of fs.readdirSync(src)) {
      if (file.endsWith('.html')) fs.copyFileSync(path.join(src, file), path.join(out, file));
    }
    copyTree(path.join(src, 'locales'), path.join(out, 'locales'));
    mergeSharedTexts(path.join(out, 'locales'), name);
    // Node-RED only looks for icons in an `icons` folder beside each node's .js: give every node the pack's icons.
    copyTree(path.join(ROOT, 'icons'), path.join(out, 'icons'));
  }
  const pluginsDir = path.join(ROOT, 'plugins');
  for (const name of fs.existsSync(pluginsDir) ? fs.readdirSync(pluginsDir) : []) {
    const src = path.join(pluginsDir, name);
    if (!fs.statSync(src).isDirectory()) continue;
    const out = path.join(DIST, 'plugins', name);
    fs.mkdirSync(out, { recursive: true });
    for (const file of fs.readdirSync(src)) {
      if (file.endsWith('.html')) fs.copyFileSync(path.join(src, file), path.join(out, file));
    }
    copyTree(path.join(src, 'locales'), path.join(out, 'locales'));
    mergeSharedTexts(path.join(out, 'locales'), name);
  }
  const cytoscape = require.resolve('cytoscape/dist/cytoscape.min.js', { paths: [ROOT] });
  fs.mkdirSync(path.join(DIST, 'plugins', 'graph-sidebar', 'resources'), { recursive: true });
  fs.copyFileSync(cytoscape, path.join(DIST, 'plugins', 'graph-sidebar', 'resources', 'cytoscape.min.js'));
  fs.copyFileSync(
    path.join(path.dirname(cytoscape), '..', 'LICENSE'),
    path.join(DIST, 'plugins', 'graph-sidebar', 'resources', 'cytoscape.LICENSE'),
  );
  // Test fixtures and other non-TypeScript assets that compiled tests read relative to themselves.
  copyTree(path.join(ROOT, 'test', 'fixtures'), path.join(DIST, 'test', 'fixtures'));
}

main();
