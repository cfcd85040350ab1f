/*
 * The reliability suite's summary: every scenario records one row (what it sent, what the graph holds against what
 * was expected, what reached error outputs, what was lost or duplicated); `npm run test:reliability` prints the
 * rows as one table at the end (scripts/test-reliability.js) and the README's Reliability section shows it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './project';

export interface ScenarioRow {
  scenario: string;
  eventsSent: number;
  verticesExpected: number;
  verticesFound: number;
  edgesExpected: number;
  edgesFound: number;
  /** Events that reached an error output / the dead-letter topic. */
  errorOutputs: number;
  lost: number;
  duplicated: number;
  /** Whatever else the scenario measured, e.g. "peak RSS 180 MB" or "checksum equal". */
  notes?: string;
}

export const SUMMARY_DIR = path.join(ROOT, 'test', 'artifacts', 'reliability');

export function recordScenario(row: ScenarioRow): void {
  fs.mkdirSync(SUMMARY_DIR, { recursive: true });
  const file = path.join(SUMMARY_DIR, `${row.scenario.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ ...row, recordedAt: new Date().toISOString() }, null, 2)}\n`);
}
