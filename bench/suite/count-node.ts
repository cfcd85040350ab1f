/*
 * The sink of kafka in's benches: a flow node that counts what reaches it and completes at once. It replaced a
 * function node, whose vm sandbox cost more per message than kafka in itself (issue 17, README "Issue 17 targets"):
 * the raw kafkajs loop it is compared with pays no such cost, so the figure measured the function node.
 */

/**
 * What the sink saw: records (a batch counts its records), first and last arrival, and this process's CPU time at the
 * first record and when the expected count was reached (read twice per run: getrusage per record would be measured).
 */
export interface Counter {
  n: number;
  expect: number;
  first: number;
  last: number;
  cpuFirst: number;
  cpuLast: number;
  count(msg: { payload: unknown }): void;
  reset(expect: number): void;
}

/** This process's CPU time (user + system) in µs. */
export const cpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

export function newCounter(): Counter {
  return {
    n: 0,
    expect: Infinity,
    first: 0,
    last: 0,
    cpuFirst: 0,
    cpuLast: 0,
    count(msg) {
      if (!this.first) {
        this.first = Date.now();
        this.cpuFirst = cpuMicros();
      }
      const before = this.n;
      this.n += Array.isArray(msg.payload) ? msg.payload.length : 1;
      this.last = Date.now();
      if (before < this.expect && this.n >= this.expect) this.cpuLast = cpuMicros();
    },
    reset(expect) {
      Object.assign(this, { n: 0, expect, first: 0, last: 0, cpuFirst: 0, cpuLast: 0 });
    },
  };
}

export const COUNT_NODE = 'ceh-bench-count';

/** Registers the counting node type in an embedded runtime (once); flows use { type: COUNT_NODE, wires: [] }. */
export function registerCountNode(RED: any, counter: Counter): void {
  if (RED.nodes.getType(COUNT_NODE)) return;
  function CountNode(this: any, def: unknown) {
    RED.nodes.createNode(this, def);
    this.on('input', (msg: { payload: unknown }, _send: unknown, done: () => void) => {
      counter.count(msg);
      done();
    });
  }
  RED.nodes.registerType('ceh-bench', COUNT_NODE, CountNode);
}
