/* The rows of the bench's table, the machine it ran on, and the table as text. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT, stack } from '../../test/support/project';
import { QUICK } from './options';
import { connection } from './graph';

export interface Row {
  part: string;
  figure: string;
  value: number | null;
  unit: string;
  target: string;
  ratio: number | null;
  met: boolean | null;
  note?: string;
}
export const rows: Row[] = [];
export const figures: Record<string, unknown> = {};

/* ------------------------------------------------------------------ machine, table, results file */

export async function machine(): Promise<Record<string, unknown>> {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const kafkaLib = path.join(stack.RUN, 'kafka', 'lib');
  const kafkaJar = fs.existsSync(kafkaLib)
    ? fs.readdirSync(kafkaLib).find((f) => /^kafka-clients-.*\.jar$/.test(f))
    : undefined;
  let tinkerpop: unknown = null;
  try {
    const c = await connection();
    [tinkerpop] = await c.submit('Gremlin.version()');
    await c.close();
  } catch {
    /* reported as null */
  }
  const pkg = (name: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      return null;
    }
  };
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryMB: Math.round(os.totalmem() / 1048576),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    java: (java.stderr || '').split('\n')[0] || null,
    kafka: kafkaJar?.replace(/^kafka-clients-|\.jar$/g, '') ?? null,
    tinkerpop,
    kafkajs: pkg('kafkajs'),
    gremlinDriver: pkg('gremlin'),
    nodeRed: pkg('node-red'),
    quick: QUICK,
  };
}

export function table(): string {
  const fmt = (r: Row) => [
    r.part,
    r.figure,
    r.value === null ? '–' : `${r.value.toLocaleString('en-US')} ${r.unit}`,
    r.target || '',
    // Three digits below 1: 0.497x must not print as 0.50x beside a NO for a 0.5x target.
    r.ratio === null ? '' : `${r.ratio.toFixed(r.ratio < 1 ? 3 : 2)}x`,
    r.met === null ? '' : r.met ? 'yes' : 'NO',
  ];
  const head = ['part', 'figure', 'measured', 'target', 'ratio', 'met?'];
  const body = rows.map(fmt);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
