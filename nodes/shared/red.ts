/*
 * The small part of Node-RED's runtime API this pack uses, typed once for every node. Node-RED ships no types of its
 * own; @types/node-red describes 1.x. Keep this to what we call.
 */

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

export type NodeStatusFill = 'red' | 'green' | 'yellow' | 'blue' | 'grey';
export interface NodeStatus {
  fill?: NodeStatusFill;
  shape?: 'ring' | 'dot';
  text?: string;
}

export type SendFunction = (msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFunction = (err?: Error) => void;

export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node<TCreds = Record<string, string | undefined>> {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials: TCreds;
  _expectedDoneCount?: number;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void | Promise<void>): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  on(event: string, handler: (...args: any[]) => void): void;
  send(msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>): void;
  status(status: NodeStatus | Record<string, never>): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown, errMsg?: NodeMessage): void;
  debug(msg: unknown): void;
  trace(msg: unknown): void;
  receive(msg: NodeMessage): void;
}

export interface HookEvent {
  msg: NodeMessage;
  source?: { id: string; node: Node };
  destination?: { id: string; node: Node };
  cloneMessage?: boolean;
  node?: { id: string; node: Node };
  error?: Error;
}

export interface Hooks {
  add(name: string, handler: (event: any) => void | Promise<void> | boolean): void;
  remove(name: string): void;
}

export type RequestHandler = (req: any, res: any, next?: () => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: Node<any>, def: NodeDef): void;
    registerType(
      type: string,
      ctor: (this: Node<any>, def: NodeDef) => void,
      opts?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, unknown> },
    ): void;
    getNode(id: string): Node<any> | null;
    /** Every node of the deployed flows, as configured (type, id, name and its own properties). */
    eachNode(cb: (n: { type: string; id: string; [key: string]: any }) => void): void;
  };
  util: {
    evaluateNodeProperty(
      value: unknown,
      type: string,
      node: Node<any>,
      msg: NodeMessage,
      callback?: (err: Error | null, result: unknown) => void,
    ): unknown;
    cloneMessage<T>(msg: T): T;
    encodeObject(obj: Record<string, unknown>, opts?: { maxLength?: number }): Record<string, unknown>;
    getMessageProperty(msg: NodeMessage, expr: string): unknown;
    setMessageProperty(msg: NodeMessage, expr: string, value: unknown, createMissing?: boolean): boolean;
  };
  hooks?: Hooks;
  httpAdmin: {
    get(path: string, ...handlers: RequestHandler[]): void;
    post(path: string, ...handlers: RequestHandler[]): void;
  };
  auth: { needsPermission(permission: string): RequestHandler };
  comms: { publish(topic: string, data: unknown, retain?: boolean): void };
  log: {
    info(msg: unknown): void;
    warn(msg: unknown): void;
    error(msg: unknown): void;
    debug(msg: unknown): void;
    trace(msg: unknown): void;
  };
  settings: Record<string, unknown>;
  _: (key: string, subs?: Record<string, unknown>) => string;
  version(): string;
}

/** msg.error.source as Node-RED's Catch node sets it: which node failed the message (dead letters name it). */
export function errorSource(node: Node): { id: string; type: string; name?: string } {
  return node.name ? { id: node.id, type: node.type, name: node.name } : { id: node.id, type: node.type };
}
