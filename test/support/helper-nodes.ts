/*
 * The pack's built nodes for node-red-node-test-helper, with the texts a real runtime gives them: the helper's RED._
 * returns the key itself, so each node module gets a RED whose `_` is Node-RED's own i18n over that node's catalogue
 * (and `node-red:` keys over Node-RED's), registered under the namespace the runtime would use.
 *
 *   import { helper, helperNodes } from '../support/helper-nodes';   // the helper, initialised on NODE_RED_MAIN
 *   const NODES = helperNodes('gremlin-server', 'gremlin-upsert');
 *   await helper.load(NODES, flow);
 */
import * as path from 'path';
import { ROOT, NODE_RED_DIR, NODE_RED_MAIN, requireFromNodeRed } from './project';

/** node-red-node-test-helper, on the Node-RED under test. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the helper ships no types
export const helper = require('node-red-node-test-helper');
helper.init(NODE_RED_MAIN);

type NodeModule = (RED: Record<string, unknown>) => unknown;

const i18n = requireFromNodeRed('@node-red/util').i18n;
let nodeRedCatalog: Promise<void> | undefined;

function catalogue(name: string): Promise<string> {
  i18n.init({ lang: 'en-US' });
  nodeRedCatalog ??= i18n.registerMessageCatalog(
    'node-red',
    path.join(path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [NODE_RED_DIR] })), 'locales'),
    'messages.json',
  );
  const namespace = `ceh-test/${name}`;
  return Promise.all([
    nodeRedCatalog,
    i18n.registerMessageCatalog(namespace, path.join(ROOT, 'dist', 'nodes', name, 'locales'), `${name}.json`),
  ]).then(() => namespace);
}

/** Node modules by folder name (dist/nodes/<name>/<name>.js), each translating with its own catalogue. */
export function helperNodes(...names: string[]): NodeModule[] {
  return names.map((name) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled node, as Node-RED loads it
    const mod: NodeModule = require(path.join(ROOT, 'dist', 'nodes', name, `${name}.js`));
    // The helper awaits a promise a module returns before it starts the flow.
    return (RED) =>
      catalogue(name).then((namespace) => {
        const own = Object.create(RED);
        own._ = (key: string, subs?: Record<string, unknown>) =>
          i18n._(key.includes(':') ? key : `${namespace}:${key}`, subs);
        return mod(own);
      });
  });
}
