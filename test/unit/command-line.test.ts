/* lib/command-line.js, the scripts' command-line reader: values, numbers and the exits of commandLine(). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT } from '../support/project';
import { readCommandLine, numberOption } from '../../lib/command-line';

const USAGE = 'usage: thing [--events N] [--quick]';
const KINDS = { events: 'string', quick: 'boolean' } as const;

test('readCommandLine: --name value, --name=value and flags', () => {
  assert.deepEqual(readCommandLine(['--events', '12', '--quick'], KINDS, USAGE), { events: '12', quick: true });
  assert.deepEqual(readCommandLine(['--events=7'], KINDS, USAGE), { events: '7' });
  assert.deepEqual(readCommandLine([], KINDS, USAGE), {});
});

test('readCommandLine: each mistake is a sentence naming the option', () => {
  assert.throws(() => readCommandLine(['--events'], KINDS, USAGE), { message: '--events needs a value' });
  // Not taken as the value of --events: the next option.
  assert.throws(() => readCommandLine(['--events', '--quick'], KINDS, USAGE), { message: '--events needs a value' });
  assert.throws(() => readCommandLine(['--quick=yes'], KINDS, USAGE), { message: '--quick takes no value' });
  assert.throws(() => readCommandLine(['--rate', '5'], KINDS, USAGE), {
    message: `unknown option --rate (${USAGE})`,
  });
  assert.throws(() => readCommandLine(['stray'], KINDS, USAGE), { message: `unexpected argument "stray" (${USAGE})` });
});

test('numberOption: absent, valid, and refused numbers', () => {
  assert.equal(numberOption(undefined, 'events'), undefined);
  assert.equal(numberOption('2.5', 'rate'), 2.5);
  assert.equal(numberOption('0', 'rate'), 0);
  assert.equal(numberOption('40', 'events', { min: 1, whole: true }), 40);
  assert.throws(() => numberOption('abc', 'rate'), { message: '--rate needs a non-negative number, got "abc"' });
  assert.throws(() => numberOption('-1', 'rate'), { message: '--rate needs a non-negative number, got "-1"' });
  assert.throws(() => numberOption('1.5', 'events', { min: 1, whole: true }), {
    message: '--events needs a whole number >= 1, got "1.5"',
  });
  assert.throws(() => numberOption('0.5', 'size', { min: 1 }), { message: '--size needs a number >= 1, got "0.5"' });
  assert.throws(() => numberOption('Infinity', 'rate'), {
    message: '--rate needs a non-negative number, got "Infinity"',
  });
});

/** A script on commandLine() with one whole-number option, run as its own process (commandLine exits it). */
function runScript(args: string[]) {
  const script = `
    const { commandLine, readCommandLine, numberOption } = require(${JSON.stringify(path.join(ROOT, 'lib', 'command-line.js'))});
    const opts = commandLine('thing', 'usage: thing [--events N]\\n  --events N   how many', (argv) => {
      const v = readCommandLine(argv, { events: 'string' }, 'usage: thing [--events N]');
      return { events: numberOption(v.events, 'events', { min: 1, whole: true }) };
    }, process.argv.slice(1)); // node -e: the arguments start at argv[1]
    process.stdout.write(JSON.stringify(opts));`;
  return spawnSync(process.execPath, ['-e', script, '--', ...args], { encoding: 'utf8' });
}

test('commandLine: a bad number exits 2 with a message naming the option', () => {
  const r = runScript(['--events', 'many']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, '[thing] --events needs a whole number >= 1, got "many"\n');
  assert.equal(r.stdout, '');
});

test('commandLine: --help and -h print the usage and exit 0; good values reach the script', () => {
  for (const flag of ['--help', '-h']) {
    const r = runScript(['--events', 'many', flag]);
    assert.equal(r.status, 0, flag);
    assert.equal(r.stdout, 'usage: thing [--events N]\n  --events N   how many\n', flag);
  }
  const ok = runScript(['--events=3']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { events: 3 });
});
