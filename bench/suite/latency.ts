/* Part 5: record-to-write latency at half the end-to-end rate of part 2. */
import { SIZES } from './options';
import { clearGraph } from './graph';
import { runPipeline } from './pipeline';
import { rows, figures } from './report';

/* ------------------------------------------------------------------ part 5: latency */

export async function part5(maxRate: number): Promise<void> {
  const rate = Math.max(100, Math.round(maxRate / 2));
  const events = rate * SIZES.latencySecs;
  const r = await runPipeline('latency', events, { backlog: false, rate });
  await clearGraph();
  figures.part5 = { maxRate, rate, ...r };
  rows.push({
    part: '5 latency @ half max',
    figure: `p50 at ${rate} events/s`,
    value: r.p50,
    unit: 'ms',
    target: '',
    ratio: null,
    met: null,
  });
  rows.push({
    part: '5 latency @ half max',
    figure: `p99 at ${rate} events/s`,
    value: r.p99,
    unit: 'ms',
    target: 'p99 < 1000 ms',
    ratio: null,
    met: r.p99 !== null && r.p99 < 1000 && r.complete,
    note: `max ${r.max} ms`,
  });
}
