'use strict';
/*
 * JanusGraph Server 1.1 (a TinkerPop 3.7.3 server) with BerkeleyJE storage, assembled from Maven Central
 * (janusgraph/pom.xml): the persistent Customer 360 graph `npm start` writes to. Its files live in
 * .run/janusgraph/data/berkeley and survive stack:down / stack:up (`stack:down --fresh` removes them).
 *
 * Configuration templates sit beside this file (janusgraph-server.yaml, janusgraph-berkeleyje.properties, init.groovy,
 * log4j2.xml); they are rendered into .run/janusgraph/conf. After start-up the schema the shipped mappings need is
 * applied through lib/graph-schema (the same code as `npm run graph:schema -- --apply`).
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { log, StackError, serviceDir, ourPid, ensurePortsFree, startJava, waitFor, stop } = require('../lib/process');
const { assemble, hashFile } = require('../lib/assemble');
const { applyMappingSchema: applyMappingSchemaTo } = require('../lib/mapping-schema');

const NAME = 'janusgraph';
const POM = path.join(__dirname, 'pom.xml');
const PORT = 28182;
const TEMPLATES = [
  'janusgraph-server.yaml',
  'janusgraph-berkeleyje.properties',
  'janusgraph-test.properties',
  'init.groovy',
  'log4j2.xml',
  'je.properties',
];

/** Server-side graph name → traversal source: the Customer 360 graph, and the one the test suite may clear. */
const GRAPHS = { graph: 'g', test: 'gTest' };

const endpoints = { janusgraphUrl: `ws://127.0.0.1:${PORT}/gremlin` };

/** BerkeleyJE's folder; named in every error about locks or disk space. */
const dataDir = () => path.join(serviceDir(NAME), 'data', 'berkeley');
const testDataDir = () => path.join(serviceDir(NAME), 'data', 'berkeley-test');

/** Below this, BerkeleyJE fails writes mid-stream (its log files are 10 MB each, cleaned lazily): refuse to start. */
const MIN_FREE_MB = Number(process.env.CEH_JANUSGRAPH_MIN_FREE_MB || 200);

/** A real Gremlin round trip on `g` (the graph opened, the traversal source bound). */
async function janusgraphReady(url = endpoints.janusgraphUrl) {
  const gremlin = require('gremlin');
  const client = new gremlin.driver.Client(url, { traversalSource: 'g', connectOnStartup: false });
  try {
    const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 5000));
    const rs = await Promise.race([client.submit('g.inject(1)'), timeout]);
    return rs.first() === 1;
  } finally {
    await client.close().catch(() => {});
  }
}

/** Pids (other than `exceptPid`) holding a file of `dir` open, read from /proc (Linux); [] elsewhere. */
function holdersOf(dir, exceptPid) {
  if (!fs.existsSync('/proc') || !fs.existsSync(dir)) return [];
  const real = fs.realpathSync(dir);
  const holders = [];
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(p) === exceptPid || Number(p) === process.pid) continue;
    let fds;
    try {
      fds = fs.readdirSync(`/proc/${p}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target;
      try {
        target = fs.readlinkSync(`/proc/${p}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith(real + path.sep)) {
        holders.push(Number(p));
        break;
      }
    }
  }
  return holders;
}

/**
 * Fails fast, naming the folder, when BerkeleyJE could not work there: another process holds its files (BerkeleyJE
 * allows one writer per environment: the server would start without its graph), or the disk is (nearly) full.
 */
function checkDataDir(dir, { minFreeMb = MIN_FREE_MB, ownPid } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const holders = holdersOf(dir, ownPid);
  if (holders.length) {
    throw new StackError(
      `JanusGraph's BerkeleyJE folder ${dir} is in use by another process (pid ${holders.join(', ')}); ` +
        'BerkeleyJE allows one server per folder. Stop that process, or point CEH_STACK_DIR elsewhere.',
    );
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new StackError(`JanusGraph's BerkeleyJE folder ${dir} is not writable.`);
  }
  const st = fs.statfsSync(dir);
  const freeMb = Math.floor((Number(st.bavail) * Number(st.bsize)) / (1024 * 1024));
  if (freeMb < minFreeMb) {
    throw new StackError(
      `The disk holding JanusGraph's BerkeleyJE folder ${dir} has ${freeMb} MB free; at least ${minFreeMb} MB ` +
        'are needed (set CEH_JANUSGRAPH_MIN_FREE_MB to change the limit). Free space there, or point CEH_STACK_DIR elsewhere.',
    );
  }
  return { freeMb };
}

/** Log lines that mean the graph did not open: reported at once (with the folder) instead of waiting for a timeout. */
const FATAL_LOG =
  /EnvironmentLockedException|No space left on device|DiskLimitException|Could not instantiate implementation: org\.janusgraph\.diskstorage\.berkeleyje/;

/**
 * Renders the configuration templates into `conf` for a server on `port` with its BerkeleyJE folders (the stack's by
 * default; test/support/private-janusgraph.ts renders the same templates for a private server).
 */
function render(conf, { port = PORT, data = dataDir(), testData = testDataDir() } = {}) {
  const values = { port: String(port), dataDir: data, testDataDir: testData };
  fs.mkdirSync(conf, { recursive: true });
  for (const name of TEMPLATES) {
    const text = fs.readFileSync(path.join(__dirname, name), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k) => values[k]);
    fs.writeFileSync(path.join(conf, name), text);
  }
  // BerkeleyJE reads je.properties from each environment folder.
  for (const dir of [data, testData]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(conf, 'je.properties'), path.join(dir, 'je.properties'));
  }
}

/** The JVM's classpath, heap, flags and main class for a server whose rendered configuration is in `conf`. */
function javaCommand(conf, lib, heap = ['-Xms256m', '-Xmx1g']) {
  return {
    classpath: `${conf}:${lib}/*`,
    heap,
    jvm: [`-Dlog4j2.configurationFile=${path.join(conf, 'log4j2.xml')}`],
    args: ['org.janusgraph.graphdb.server.JanusGraphServer', path.join(conf, 'janusgraph-server.yaml')],
  };
}

/** What the server runs with; a running server started with other templates (or jars) is restarted. */
function configStamp() {
  const h = crypto.createHash('sha256').update(hashFile(POM));
  for (const name of TEMPLATES) h.update(fs.readFileSync(path.join(__dirname, name)));
  return h.digest('hex').slice(0, 16);
}

const applyMappingSchema = () =>
  applyMappingSchemaTo(NAME, { graph: 'janusgraph', url: endpoints.janusgraphUrl, sources: Object.values(GRAPHS) });

async function down({ fresh } = {}) {
  await stop(NAME);
  if (fresh) fs.rmSync(path.join(serviceDir(NAME), 'data'), { recursive: true, force: true });
}

async function up() {
  const dir = serviceDir(NAME);
  const stampFile = path.join(dir, 'config.stamp');
  let pid = ourPid(NAME);
  if (pid && (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== configStamp())) {
    log('janusgraph: the configuration changed since it started; restarting');
    await stop(NAME);
    pid = null;
  }
  if (pid) {
    await waitFor(`JanusGraph Server (running, pid ${pid})`, () => janusgraphReady(), { timeoutMs: 60000, pid });
    await applyMappingSchema();
    log(`janusgraph: already running (pid ${pid}), reused`);
    return;
  }
  const t0 = Date.now();
  await ensurePortsFree('JanusGraph Server', [PORT]);
  const lib = assemble(NAME, POM);
  const { freeMb } = checkDataDir(dataDir());
  checkDataDir(testDataDir());
  const conf = path.join(dir, 'conf');
  render(conf);
  const started = startJava(NAME, { cwd: dir, ...javaCommand(conf, lib) });
  log(`janusgraph: starting (pid ${started.pid}), data in ${dataDir()} (${freeMb} MB free), log ${started.logFile}`);
  const logStart = fs.existsSync(started.logFile) ? fs.statSync(started.logFile).size : 0;
  const fatal = () => {
    const text = fs.readFileSync(started.logFile, 'utf8').slice(logStart);
    const m = FATAL_LOG.exec(text);
    return m ? m[0] : null;
  };
  try {
    await waitFor(
      'JanusGraph Server',
      async () => {
        // A graph that cannot open does not stop the server by itself: end it, so waitFor reports at once.
        if (fatal()) {
          try {
            process.kill(-started.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          return false;
        }
        return janusgraphReady();
      },
      {
        pid: started.pid,
        logFile: started.logFile,
        ...(process.env.CEH_JANUSGRAPH_START_TIMEOUT_MS
          ? { timeoutMs: Number(process.env.CEH_JANUSGRAPH_START_TIMEOUT_MS) }
          : {}),
      },
    );
  } catch (e) {
    const f = fatal();
    await stop(NAME);
    if (f)
      throw new StackError(
        `JanusGraph could not open its BerkeleyJE folder ${dataDir()}: ${f}. See ${started.logFile}`,
      );
    throw e;
  }
  fs.writeFileSync(stampFile, configStamp());
  log(
    `janusgraph: ready on ${endpoints.janusgraphUrl} (traversal sources ${Object.values(GRAPHS).join(', ')}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  await applyMappingSchema();
}

module.exports = {
  name: NAME,
  endpoints,
  processes: [{ name: NAME, port: PORT }],
  up,
  down,
  janusgraphReady,
  checkDataDir,
  dataDir,
  render,
  javaCommand,
  GRAPHS,
};
