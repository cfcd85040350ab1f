/*
 * Completion tracker: tells when the whole flow has finished with a message, from Node-RED's message hooks, without
 * importing Node-RED. Per message id it counts deliveries per destination node:
 *   postDeliver (a copy was dispatched to node N)            +1 for N
 *   onComplete  (N called done(), with or without an error)  -1 for N
 *   postReceive (N's input handler returned) for nodes whose handler never calls done() (Node-RED's
 *               _expectedDoneCount is 0, e.g. switch, rbe)   -1 for N
 * Events for a node with no outstanding delivery are ignored (Catch nodes are handed errors without postDeliver).
 * A message is finished when nothing is outstanding; the check runs one turn later because a node may finish with a
 * copy just before it sends the next one (done then send, or an error reaching a Catch node).
 * Done-less nodes may queue: core `switch` handles one queued message per event-loop turn (setImmediate) after its
 * input handler returned. So a message released by a done-less node is only declared finished after that node's
 * possible backlog had time to drain (two turns per message it received in the same burst, plus two).
 * Limit: a node that builds a brand-new message (new _msgid) ends the chain — the original counts as finished then.
 */

export type FinishedCallback = (error: Error | undefined) => void;

interface Entry {
  outstanding: Map<string, number>;
  total: number;
  /** The first error a node reported with done(err) for this message. */
  error: Error | undefined;
  onFinished: FinishedCallback;
  checkScheduled: boolean;
  /** Event-loop turns to wait before the finished check (a done-less node may still hold the message in a queue). */
  holdTurns: number;
}

export class CompletionTracker {
  private entries = new Map<string, Entry>();
  /** Per done-less node: messages it received that it may not have processed yet (one drains per turn). */
  private backlog = new Map<string, number>();
  private tickScheduled = false;

  constructor(private readonly defer: (fn: () => void) => void = (fn) => setImmediate(fn)) {}

  /** Messages tracked and not finished. */
  get size(): number {
    return this.entries.size;
  }

  /** Starts tracking a message before it is sent; onFinished runs once, when the flow is done with it. */
  track(msgid: string, onFinished: FinishedCallback): void {
    if (this.entries.has(msgid)) throw new Error(`message ${msgid} is already tracked`);
    this.entries.set(msgid, {
      outstanding: new Map(),
      total: 0,
      error: undefined,
      onFinished,
      checkScheduled: false,
      holdTurns: 0,
    });
  }

  /** Call after the source node's send returned: a message sent to no node is finished at once. */
  sent(msgid: string): void {
    const e = this.entries.get(msgid);
    if (e && e.total === 0) this.scheduleCheck(msgid, e);
  }

  /** Stops tracking without calling back (the source node closed). */
  forget(msgid: string): void {
    this.entries.delete(msgid);
  }

  delivered(msgid: string | undefined, nodeId: string | undefined): void {
    const e = msgid === undefined ? undefined : this.entries.get(msgid);
    if (!e || nodeId === undefined) return;
    e.outstanding.set(nodeId, (e.outstanding.get(nodeId) || 0) + 1);
    e.total += 1;
  }

  completed(msgid: string | undefined, nodeId: string | undefined, error?: Error): void {
    const e = msgid === undefined ? undefined : this.entries.get(msgid);
    if (!e || nodeId === undefined) return;
    if (error && !e.error) e.error = error;
    this.release(msgid as string, e, nodeId);
  }

  received(msgid: string | undefined, nodeId: string | undefined, callsDone: boolean): void {
    if (callsDone) return;
    const e = msgid === undefined ? undefined : this.entries.get(msgid);
    if (!e || nodeId === undefined || !e.outstanding.has(nodeId)) return;
    const position = (this.backlog.get(nodeId) || 0) + 1;
    this.backlog.set(nodeId, position);
    this.scheduleTick();
    e.holdTurns = Math.max(e.holdTurns, 2 * position + 2);
    this.release(msgid as string, e, nodeId);
  }

  private release(msgid: string, e: Entry, nodeId: string): void {
    const n = e.outstanding.get(nodeId) || 0;
    if (n === 0) return;
    if (n === 1) e.outstanding.delete(nodeId);
    else e.outstanding.set(nodeId, n - 1);
    e.total -= 1;
    if (e.total === 0) this.scheduleCheck(msgid, e);
  }

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    this.defer(() => {
      this.tickScheduled = false;
      for (const [id, n] of this.backlog) {
        if (n <= 1) this.backlog.delete(id);
        else this.backlog.set(id, n - 1);
      }
      if (this.backlog.size > 0) this.scheduleTick();
    });
  }

  private scheduleCheck(msgid: string, e: Entry): void {
    if (e.checkScheduled) return;
    e.checkScheduled = true;
    const check = () => {
      if (this.entries.get(msgid) !== e) return;
      if (e.total === 0 && e.holdTurns > 0) {
        e.holdTurns -= 1;
        this.defer(check);
        return;
      }
      e.checkScheduled = false;
      if (e.total !== 0) return;
      this.entries.delete(msgid);
      e.onFinished(e.error);
    };
    this.defer(check);
  }
}
