/*
 * A resource shared by several users (nodes): opened when the first one acquires it, closed when the last one
 * releases it. Each user may leave something with it (e.g. where to report the resource's state).
 */
export class RefCounted<T, U = undefined> {
  private readonly users = new Map<string, U>();
  private value: T | null = null;

  constructor(
    private readonly open: () => T,
    private readonly closeValue: (value: T) => void | Promise<void>,
  ) {}

  /** The resource while somebody holds it, else null. */
  get current(): T | null {
    return this.value;
  }

  /** What each current user left with acquire(). */
  userData(): IterableIterator<U> {
    return this.users.values();
  }

  /** Registers a user (again: replaces its data) and returns the resource, opening it first if nobody held it. */
  acquire(userId: string, data?: U): T {
    if (this.value === null) this.value = this.open();
    this.users.set(userId, data as U);
    return this.value;
  }

  /** A user lets go; the last one closes the resource. Unknown users change nothing. */
  async release(userId: string): Promise<void> {
    if (!this.users.delete(userId) || this.users.size > 0) return;
    await this.close();
  }

  /** Closes the resource now, whoever still holds it (the owner closes). */
  async close(): Promise<void> {
    this.users.clear();
    const v = this.value;
    this.value = null;
    if (v !== null) await this.closeValue(v);
  }
}
