/*
 * The one completion tracker of this Node-RED runtime, fed by message hooks. Hooks are runtime-wide, so they are
 * added once, when the first kafka in node opens, and removed when the last one closes.
 */
import type { Hooks, HookEvent } from '../shared/red';
import { CompletionTracker } from '../../lib/kafka/completion-tracker';

const LABEL = 'cehKafkaIn';
const users = new Set<string>();
let tracker: CompletionTracker | null = null;
let installedOn: Hooks | null = null;

/** Registers a kafka in node; returns the shared tracker, or null when the runtime offers no hooks. */
export function joinTracker(hooks: Hooks | undefined, nodeId: string): CompletionTracker | null {
  if (!hooks) return null;
  if (!tracker || installedOn !== hooks) {
    const t = new CompletionTracker();
    hooks.add(`postDeliver.${LABEL}`, (e: HookEvent) => { t.delivered(e.msg?._msgid, e.destination?.id); });
    hooks.add(`onComplete.${LABEL}`, (e: HookEvent) => { t.completed(e.msg?._msgid, e.node?.id, e.error); });
    hooks.add(`postReceive.${LABEL}`, (e: HookEvent) => {
      t.received(e.msg?._msgid, e.destination?.id, (e.destination?.node?._expectedDoneCount ?? 0) > 0);
    });
    tracker = t;
    installedOn = hooks;
  }
  users.add(nodeId);
  return tracker;
}

/** Unregisters a kafka in node; the last one removes the hooks. */
export function leaveTracker(nodeId: string): void {
  if (!users.delete(nodeId) || users.size > 0 || !installedOn) return;
  for (const h of ['postDeliver', 'onComplete', 'postReceive']) installedOn.remove(`${h}.${LABEL}`);
  installedOn = null;
  tracker = null;
}
