/* Part 4: peak RSS of the Node-RED child while a small and a large backlog drain through the pipeline. */
import { MEMORY_SIZES } from './options';
import { clearGraph } from './graph';
import { runPipeline } from './pipeline';
import { rows, figures } from './report';

/* ------------------------------------------------------------------ part 4: memory */

export async function part4(): Promise<void> {
  const [small, large] = MEMORY_SIZES;
  const a = await runPipeline(`mem${small}`, small, { backlog: true });
  await clearGraph();
  const b = await runPipeline(`mem${large}`, large, { backlog: true });
  await clearGraph();
  figures.part4 = { small: a, large: b };
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
}
