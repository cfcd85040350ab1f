/*
 * Node-RED's runtime API as this pack uses it: the types of @types/node-red (written for 1.x-3.x), plus a small
 * augmentation for what they lack or describe differently in Node-RED 4/5. Every node imports its types from here.
 */
import type * as NodeRed from 'node-red';
import type { Request, Response, NextFunction } from 'express';
export type { Response } from 'express';

export type NodeMessage = NodeRed.NodeMessage;
export type NodeStatus = NodeRed.NodeStatus;
export type NodeStatusFill = NodeRed.NodeStatusFill;
export type SendFunction = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFunction = (err?: Error) => void;

/** A node's saved configuration: each node extends this with its own `Def` interface. */
export interface NodeDef extends NodeRed.NodeDef {
  name: string;
}

/** What @types/node-red's Node lacks: the runtime's count of done() calls its input handler takes (0: none). */
export interface Node<TCreds extends object = Record<string, string | undefined>> extends NodeRed.Node<TCreds> {
  _expectedDoneCount?: number;
}

/** The message-hook events the pack listens to (postDeliver / postReceive / onComplete). */
export interface HookEvent {
  msg: NodeMessage;
  source?: { id: string; node: Node };
  destination?: { id: string; node: Node };
  cloneMessage?: boolean;
  node?: { id: string; node: Node };
  error?: Error;
}

/**
 * RED.hooks: @types/node-red types add() per known hook name only and without the `<hook>.<label>` form that makes
 * a hook removable; this is the form the runtime takes.
 */
export interface Hooks {
  add(name: string, handler: (event: HookEvent) => void | Promise<void> | boolean): void;
  remove(name: string): void;
}

export type RequestHandler = (req: Request, res: Response, next: NextFunction) => void;

/** Every node of the deployed flows as configured (RED.nodes.eachNode). */
export type DeployedNodeDef = NodeRed.NodeDef & Record<string, unknown>;

export interface NodeAPI extends Omit<
  NodeRed.NodeAPI,
  'hooks' | 'version' | 'nodes' | '_' | 'settings' | 'comms' | 'util'
> {
  nodes: Omit<NodeRed.NodeAPI['nodes'], 'getNode' | 'eachNode' | 'registerType'> & {
    /** The deployed node with this id, or null (@types/node-red says it is never null). */
    getNode(id: string): Node | null;
    eachNode(cb: (n: DeployedNodeDef) => void): void;
    /** As @types/node-red's, with the credentials' types taken from the constructor rather than from `credentials`. */
    registerType<TDef extends NodeDef, TCreds extends object>(
      type: string,
      constructor: (this: Node<TCreds>, def: TDef) => void,
      opts?: {
        credentials?: { [K in keyof TCreds]-?: { type: 'text' | 'password' } };
        settings?: Record<string, { value: unknown; exportable?: boolean }>;
      },
    ): void;
  };
  util: Omit<NodeRed.NodeAPI['util'], 'encodeObject' | 'evaluateNodeProperty'> & {
    /** A TypedInput's value for this msg (@types/node-red returns `any`). */
    evaluateNodeProperty(value: string, type: string, node: Node, msg: NodeMessage): unknown;
    /** The Debug sidebar's message form (@types/node-red allows only `{ msg }`). */
    encodeObject(obj: Record<string, unknown>, opts?: { maxLength?: number }): Record<string, unknown>;
  };
  /** `retain` is optional in the runtime. */
  comms: { publish(topic: string, data: unknown, retain?: boolean): void };
  /** Absent in node-red-node-test-helper 0.3.x's RED (see docs: completion is tested in a real runtime). */
  hooks?: Hooks;
  /** Node-RED 4/5 return the version string itself. */
  version(): string;
  /** Translates a message key of this node set's catalogue (or `node-red:...`), substituting __name__ parts. */
  _(key: string, substitutions?: Record<string, unknown>): string;
  settings: Record<string, unknown>;
}

/** RED._ as a node passes it on: a key of its catalogue (or `node-red:...`) and its __name__ substitutions. */
export type Translate = (key: string, substitutions?: Record<string, unknown>) => string;

/** msg.error.source as Node-RED's Catch node sets it: which node failed the message (dead letters name it). */
export function errorSource(node: Node): { id: string; type: string; name?: string } {
  return node.name ? { id: node.id, type: node.type, name: node.name } : { id: node.id, type: node.type };
}
