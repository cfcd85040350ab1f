/*
 * The scripts' command lines (demo:produce, demo:crm, graph:schema), read by Node's util.parseArgs: `--name value`
 * and `--name=value` both work, flags take no value. Errors are sentences naming the option, with the usage line.
 */
import { parseArgs } from 'util';

export type OptionKinds = Record<string, 'string' | 'boolean'>;
type Values<K extends OptionKinds> = { [N in keyof K]?: K[N] extends 'string' ? string : boolean };

/** Parses argv against options (name → kind); throws "--x needs a value" or "unknown option --y (usage)". */
export function readCommandLine<K extends OptionKinds>(argv: string[], kinds: K, usage: string): Values<K> {
  const options = Object.fromEntries(Object.entries(kinds).map(([name, type]) => [name, { type }]));
  // Not strict: util.parseArgs then reports nothing, and every problem is named here from its tokens.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  for (const t of tokens) {
    if (t.kind === 'positional') throw new Error(`unexpected argument ${JSON.stringify(t.value)} (${usage})`);
    if (t.kind !== 'option') continue;
    const kind = kinds[t.name];
    if (kind === undefined) throw new Error(`unknown option ${t.rawName} (${usage})`);
    if (kind === 'string') {
      // "--events --rate 5": not strict, util.parseArgs would take "--rate" as the value.
      if (t.value === undefined || t.value === '' || (!t.inlineValue && t.value.startsWith('--')))
        throw new Error(`${t.rawName} needs a value`);
      values[t.name] = t.value;
    } else {
      if (t.value !== undefined) throw new Error(`${t.rawName} takes no value`);
      values[t.name] = true;
    }
  }
  return values as Values<K>;
}

/** A non-negative number given as option `name` (undefined when absent). */
export function nonNegative(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got "${value}"`);
  return n;
}
