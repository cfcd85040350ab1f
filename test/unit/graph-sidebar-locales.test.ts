/* The graph sidebar plugin's texts: German mirrors English key for key, every text translated or deliberately equal. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../support/project';

const DIR = path.join(ROOT, 'plugins', 'graph-sidebar', 'locales');
const read = (lang: string) => JSON.parse(fs.readFileSync(path.join(DIR, lang, 'graph-sidebar.json'), 'utf8'));

function leaves(o: Record<string, unknown>, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object')
      for (const [kk, vv] of leaves(v as Record<string, unknown>, `${prefix}${k}.`)) out.set(kk, vv);
    else out.set(prefix + k, String(v));
  }
  return out;
}

test('graph sidebar: de messages mirror en-US; placeholders kept; every text used by the editor part exists', () => {
  const en = leaves(read('en-US'));
  const de = leaves(read('de'));
  assert.deepEqual([...de.keys()].sort(), [...en.keys()].sort());
  for (const [k, v] of en) {
    const placeholders = (s: string) => (s.match(/__\w+__/g) ?? []).sort();
    assert.deepEqual(placeholders(de.get(k)!), placeholders(v), `${k}: same placeholders`);
  }
  const html = fs.readFileSync(path.join(ROOT, 'plugins', 'graph-sidebar', 'graph-sidebar.html'), 'utf8');
  // Literal keys only ("ready." + id and the like are built at run time; their leaves are checked by the mirror above).
  const used = [...html.matchAll(/_\(["']([\w.]+)["']/g)]
    .map((m) => `graph-sidebar.${m[1]}`)
    .filter((k) => !k.endsWith('.'));
  assert.ok(used.length > 20);
  for (const key of used) assert.ok(en.has(key), `${key} is in the en-US catalog`);
});
