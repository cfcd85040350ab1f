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
import { holdsOffset } from './dead-letter';

export type FinishedCallback = (error: Error | undefined) => void;

interface Entry {
  /**
   * Deliveries not finished per destination node. Most messages go to one node: its id and count live in the entry
   * itself, further nodes in `others` (a Map per tracked message was a visible share of kafka in's per-message CPU and
   * garbage, issue 17).
   */
  node: string | undefined;
  count: number;
  others: Map<string, number> | null;
  total: number;
  /** The first error a node reported with done(err) for this message (one that holds the offset wins). */
  error: Error | undefined;
  onFinished: FinishedCallback;
  checkScheduled: boolean;
  /** Event-loop turns to wait before the finished check (a done-less node may still hold the message in a queue). */
  holdTurns: number;
  /** Who tracks it (a kafka in node's id), so a closing node can stop tracking all of its messages at once. */
  owner: string | undefined;
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
  track(msgid: string, onFinished: FinishedCallback, owner?: string): void {
    if (this.entries.has(msgid)) throw new Error(`message ${msgid} is already tracked`);
    this.entries.set(msgid, {
      node: undefined,
      count: 0,
      others: null,
      total: 0,
      error: undefined,
      onFinished,
      checkScheduled: false,
      holdTurns: 0,
      owner,
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

  /** Stops tracking, without calling back, every message tracked with this owner (the source node closed). */
  forgetOwner(owner: string): void {
    for (const [id, e] of this.entries) if (e.owner === owner) this.entries.delete(id);
  }

  private outstanding(e: Entry, nodeId: string): number {
    return (e.node === nodeId ? e.count : 0) + (e.others?.get(nodeId) ?? 0);
  }

  delivered(msgid: string | undefined, nodeId: string | undefined): void {
    const e = msgid === undefined ? undefined : this.entries.get(msgid);
    if (!e || nodeId === undefined) return;
    if (e.node === nodeId || (e.count === 0 && !e.others?.has(nodeId))) {
      e.node = nodeId;
      e.count += 1;
    } else {
      e.others ??= new Map();
      e.others.set(nodeId, (e.others.get(nodeId) || 0) + 1);
    }
    e.total += 1;
  }

  completed(msgid: string | undefined, nodeId: string | undefined, error?: Error): void {
    const e = msgid === undefined ? undefined : this.entries.get(msgid);
    if (!e || nodeId === undefined) return;
    // The first error wins, except that one which must hold the offset (a dead letter not written) beats a handled
    // one: the graph map's error that sent the event to the dead-letter topic, then that topic's failed write.
    if (error && (!e.error || (holdsOffset(error) && !holdsOffset(e.error)))) e.error = error;
    this.release(msgid as string, e, nodeId);
  }

  received(msgid: string | undefined, nodeId: string | undefined, callsDone: boolean): void {
    if (callsDone) return;
    const e = msgid === undefined ? undefined : this.entries.get(msgid);
    if (!e || nodeId === undefined || this.outstanding(e, nodeId) === 0) return;
    const position = (this.backlog.get(nodeId) || 0) + 1;
    this.backlog.set(nodeId, position);
    this.scheduleTick();
    e.holdTurns = Math.max(e.holdTurns, 2 * position + 2);
    this.release(msgid as string, e, nodeId);
  }

  private release(msgid: string, e: Entry, nodeId: string): void {
    if (e.node === nodeId && e.count > 0) e.count -= 1;
    else {
      const n = e.others?.get(nodeId) ?? 0;
      if (n === 0) return;
      if (n === 1) e.others!.delete(nodeId);
      else e.others!.set(nodeId, n - 1);
    }
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
