/* Part 4: peak RSS of the Node-RED child while a small and a large backlog drain through the pipeline. */
import { MEMORY_SIZES } from './options';
import { clearGraph } from './graph';
import { decileRates, runPipeline } from './pipeline';
import { rows, figures } from './report';

/* ------------------------------------------------------------------ part 4: memory */

export async function part4(): Promise<void> {
  const [small, large] = MEMORY_SIZES;
  const a = await runPipeline(`mem${small}`, small, { backlog: true });
  await clearGraph();
  const b = await runPipeline(`mem${large}`, large, { backlog: true });
  await clearGraph();
  const tenths = { small: decileRates(a), large: decileRates(b) };
  figures.part4 = { small: a, large: b, tenths };
  const growth = b.hwmMB / Math.max(1, a.hwmMB);
  rows.push({
    part: '4 memory (backlog drain)',
    figure: `peak RSS, ${small} events`,
    value: a.hwmMB,
    unit: 'MB',
    target: '< 400 MB',
    ratio: null,
    met: a.hwmMB < 400 && a.complete,
    note: `${a.eventsPerSec} events/s`,
  });
  rows.push({
    part: '4 memory (backlog drain)',
    figure: `peak RSS, ${large} events`,
    value: b.hwmMB,
    unit: 'MB',
    target: '< 400 MB, flat (<= 1.25x)',
    ratio: growth,
    met: b.hwmMB < 400 && growth <= 1.25 && b.complete,
    note: `${b.eventsPerSec} events/s`,
  });
  // Steady: no tenth of the large drain below half the median tenth (the first includes the consumer groups' join).
  const sorted = [...tenths.large].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  const slowest = sorted[0] ?? 0;
  rows.push({
    part: '4 memory (backlog drain)',
    figure: `events/s per 10 % of ${large} events`,
    value: slowest,
    unit: 'events/s (slowest)',
    target: 'slowest tenth >= 0.5x median',
    ratio: median ? slowest / median : null,
    met: tenths.large.length === 10 && median > 0 && slowest / median >= 0.5,
    note: tenths.large.join(', '),
  });
}
