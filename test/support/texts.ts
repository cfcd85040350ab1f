/* The pack's catalogues as a test reads them: a translator over one en-US or de catalogue, as RED._ substitutes. */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './project';

/** A source catalogue (e.g. 'nodes/shared', 'shared'): folder/locales/lang/name.json, parsed. */
export function catalogue(folder: string, name: string, lang = 'en-US'): any {
  return JSON.parse(fs.readFileSync(path.join(ROOT, folder, 'locales', lang, `${name}.json`), 'utf8'));
}

/** RED._ over a source catalogue (e.g. 'nodes/shared', 'shared'): the text at the key with its __name__ parts filled. */
export function translatorOf(
  folder: string,
  name: string,
  lang = 'en-US',
): (key: string, subs?: Record<string, unknown>) => string {
  const texts = catalogue(folder, name, lang);
  return (key, subs = {}) => {
    const text = key.split('.').reduce<any>((o, k) => (o && typeof o === 'object' ? o[k] : undefined), texts);
    if (typeof text !== 'string') throw new Error(`${key} is not in ${folder} ${lang}`);
    return text.replace(/__(\w+)__/g, (m, k) => (k in subs ? String(subs[k]) : m));
  };
}
