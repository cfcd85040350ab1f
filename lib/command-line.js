'use strict';
/*
 * The command lines of the project's scripts: the TypeScript ones (demo:produce, demo:crm, graph:schema, bench) and the
 * plain JavaScript ones that run without a build (stack/stack.js, scripts/start.js, scripts/cluster.js). Read by Node's
 * util.parseArgs: `--name value` and `--name=value` both work, flags take no value, and every mistake is a sentence
 * naming the option, with the usage line. Plain JavaScript typed by JSDoc, so that those scripts load it from the
 * source tree; tsc copies it into dist/lib/ for the others.
 */
const { parseArgs } = require('util');

/**
 * @typedef {Record<string, 'string' | 'boolean'>} OptionKinds
 */

/**
 * Parses argv against options (name → kind); throws "--x needs a value" or "unknown option --y (usage)".
 * @template {OptionKinds} K
 * @param {string[]} argv
 * @param {K} kinds
 * @param {string} usage
 * @returns {{ [N in keyof K]?: K[N] extends 'string' ? string : boolean }}
 */
function readCommandLine(argv, kinds, usage) {
  const options = Object.fromEntries(Object.entries(kinds).map(([name, type]) => [name, { type }]));
  // Not strict: util.parseArgs then reports nothing, and every problem is named here from its tokens.
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  /** @type {Record<string, string | boolean>} */
  const values = {};
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
  return /** @type {any} */ (values);
}

/**
 * A number given as option `name` (undefined when absent), at least `min`; whole when `whole`.
 * @param {string | undefined} value
 * @param {string} name
 * @param {{ min?: number, whole?: boolean }} [limits]
 * @returns {number | undefined}
 */
function numberOption(value, name, { min = 0, whole = false } = {}) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (whole && !Number.isInteger(n))) {
    const what = whole ? `a whole number >= ${min}` : min === 0 ? 'a non-negative number' : `a number >= ${min}`;
    throw new Error(`--${name} needs ${what}, got "${value}"`);
  }
  return n;
}

/**
 * A non-negative number given as option `name` (undefined when absent).
 * @param {string | undefined} value
 * @param {string} name
 */
const nonNegative = (value, name) => numberOption(value, name);

/**
 * A script's options, or its exit: `--help` (or -h) prints `help` and exits 0; a mistake found by `parse` (which reads
 * argv with readCommandLine and checks the values) prints "[name] message" and exits 2.
 * @template T
 * @param {string} name
 * @param {string} help
 * @param {(argv: string[]) => T} parse
 * @param {string[]} [argv]
 * @returns {T}
 */
function commandLine(name, help, parse, argv = process.argv.slice(2)) {
  if (argv.some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`${help}\n`);
    process.exit(0);
  }
  try {
    return parse(argv);
  } catch (e) {
    process.stderr.write(`[${name}] ${/** @type {Error} */ (e).message}\n`);
    process.exit(2);
  }
}

module.exports = { readCommandLine, numberOption, nonNegative, commandLine };
