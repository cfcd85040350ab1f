/*
 * Backpressure: a bound on unfinished records per consumer. Above the bound the consumer pauses its partitions; it
 * resumes once the flow has worked the backlog down to half, so it does not flap on every finished message.
 */
export class FlowControl {
  paused = false;

  constructor(readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new Error(`maxInFlight must be a whole number >= 1, got ${maxInFlight}`);
  }

  /** How many more records may be handed out now (0 when full). */
  room(inFlight: number): number {
    return Math.max(0, this.maxInFlight - inFlight);
  }

  /** True when the consumer should pause now (it is full and not paused yet). */
  shouldPause(inFlight: number): boolean {
    return !this.paused && inFlight >= this.maxInFlight;
  }

  /** True when a paused consumer should resume (the backlog is down to half the bound). */
  shouldResume(inFlight: number): boolean {
    return this.paused && inFlight <= Math.floor(this.maxInFlight / 2);
  }
}
