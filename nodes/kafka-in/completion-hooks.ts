/*
 * The one completion tracker of a Node-RED runtime, fed by message hooks. Hooks are runtime-wide, so they are added
 * when the first kafka in node of that runtime opens, and removed when its last one closes.
 */
import type { Hooks, HookEvent } from '../shared/red';
import { CompletionTracker } from '../../lib/kafka/completion-tracker';
import { RefCounted } from '../../lib/ref-count';

const LABEL = 'cehKafkaIn';
const HOOKS = ['postDeliver', 'onComplete', 'postReceive'];
const perRuntime = new WeakMap<Hooks, RefCounted<CompletionTracker>>();

function installed(hooks: Hooks): RefCounted<CompletionTracker> {
  let shared = perRuntime.get(hooks);
  if (!shared) {
    shared = new RefCounted(
      () => {
        const t = new CompletionTracker();
        hooks.add(`postDeliver.${LABEL}`, (e: HookEvent) => {
          t.delivered(e.msg?._msgid, e.destination?.id);
        });
        hooks.add(`onComplete.${LABEL}`, (e: HookEvent) => {
          t.completed(e.msg?._msgid, e.node?.id, e.error);
        });
        hooks.add(`postReceive.${LABEL}`, (e: HookEvent) => {
          t.received(e.msg?._msgid, e.destination?.id, (e.destination?.node?._expectedDoneCount ?? 0) > 0);
        });
        return t;
      },
      () => {
        for (const h of HOOKS) hooks.remove(`${h}.${LABEL}`);
      },
    );
    perRuntime.set(hooks, shared);
  }
  return shared;
}

/** Registers a kafka in node; returns the shared tracker, or null when the runtime offers no hooks. */
export function joinTracker(hooks: Hooks | undefined, nodeId: string): CompletionTracker | null {
  return hooks ? installed(hooks).acquire(nodeId) : null;
}

/** Unregisters a kafka in node; the last one of its runtime removes the hooks. */
export function leaveTracker(hooks: Hooks | undefined, nodeId: string): void {
  if (hooks) void installed(hooks).release(nodeId);
}
