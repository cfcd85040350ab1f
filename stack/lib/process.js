'use strict';
/*
 * What every server of the stack shares: where its state lives, how a Java server is started, found again by its pid
 * file (and reused, or restarted when its configuration changed), waited for and stopped. A server module
 * (stack/<name>/<name>.js) builds on these and nothing else.
 */
const fs = require('fs');
const path = require('path');
const net = require('net');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');

const RUN = process.env.CEH_STACK_DIR || path.join(__dirname, '..', '.run');
const LOGS = path.join(RUN, 'logs');

// As the official start scripts do on Java 17+: Gryo/Kryo and Groovy reflect into these packages.
const JAVA_OPENS = [
  'java.lang',
  'java.lang.invoke',
  'java.lang.reflect',
  'java.io',
  'java.net',
  'java.nio',
  'java.util',
  'java.util.concurrent',
  'java.util.concurrent.atomic',
  'java.util.regex',
  'sun.nio.ch',
  'sun.nio.cs',
].map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`);

function log(msg) {
  process.stdout.write(`[stack] ${msg}\n`);
}
/** An error the CLI prints as its message alone (a missing tool, a taken port, a server that did not start). */
class StackError extends Error {}

function checkJava() {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error)
    throw new StackError('Java 17+ is required but `java` was not found on PATH. Install a JDK 17 or newer.');
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.stderr || '');
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : 0;
  if (major < 17) throw new StackError(`Java 17+ is required; found: ${(r.stderr || '').split('\n')[0]}`);
  for (const tool of ['keytool']) {
    if (spawnSync(tool, ['-help'], { encoding: 'utf8' }).error)
      throw new StackError(`\`${tool}\` (part of the JDK) was not found on PATH.`);
  }
}

/** The folder of one server's state: .run/<name>. */
const serviceDir = (name) => path.join(RUN, name);
const pidFile = (name) => path.join(serviceDir(name), 'pid');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of our running server `name` (from its pid file), or null. */
function ourPid(name) {
  try {
    const pid = Number(fs.readFileSync(pidFile(name), 'utf8'));
    return pid && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

function portOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Refuses to start `what` when one of its ports is held by a process that is not ours. */
async function ensurePortsFree(what, ports) {
  for (const port of ports) {
    if (await portOpen(port))
      throw new StackError(
        `Port ${port} is taken by another process (not this project's ${what}). Stop it or free the port.`,
      );
  }
}

const logFileOf = (name) => path.join(LOGS, `${name}.log`);

/** From now on, what server `name` logs: returns a function that reads the log text written since this call. */
function logFrom(name) {
  const file = logFileOf(name);
  const start = fs.existsSync(file) ? fs.statSync(file).size : 0;
  return () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').slice(start) : '');
}

/** Starts a detached `java` (its own process group) logging to .run/logs/<name>.log and writes its pid file. */
function startJava(name, { cwd, classpath, args, heap, jvm = [] }) {
  fs.mkdirSync(LOGS, { recursive: true });
  fs.mkdirSync(serviceDir(name), { recursive: true });
  const logFile = logFileOf(name);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    'java',
    [...heap, '-XX:+UseG1GC', '-Djava.awt.headless=true', ...JAVA_OPENS, ...jvm, '-cp', classpath, ...args],
    { cwd, detached: true, stdio: ['ignore', out, out] },
  );
  child.unref();
  fs.writeFileSync(pidFile(name), String(child.pid));
  return { pid: child.pid, logFile };
}

/** Polls check() until it is true; fails early, with the log's tail, when the process `pid` exits. */
async function waitFor(what, check, { timeoutMs = 120000, pid, logFile } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (pid && !alive(pid)) {
      const tail =
        logFile && fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n') : '';
      throw new StackError(`${what} exited during start-up. Last log lines (${logFile}):\n${tail}`);
    }
    try {
      if (await check()) return;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new StackError(
    `${what} was not ready within ${timeoutMs / 1000} s${lastErr ? `: ${lastErr.message}` : ''}. See ${logFile}`,
  );
}

/** Stops our server `name` (SIGTERM to its process group, SIGKILL after 30 s); false when it was not running. */
async function stop(name) {
  const pid = ourPid(name);
  if (!pid) {
    fs.rmSync(pidFile(name), { force: true });
    return false;
  }
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + 30000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (alive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
  fs.rmSync(pidFile(name), { force: true });
  log(`${name}: stopped (pid ${pid})`);
  return true;
}

/** Renders the configuration templates `names` found in `dir` ({{key}} placeholders filled from `values`) into `conf`. */
function renderTemplates(dir, names, conf, values) {
  fs.mkdirSync(conf, { recursive: true });
  for (const name of names) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8').replace(/\{\{(\w+)\}\}/g, (_, k) => values[k]);
    fs.writeFileSync(path.join(conf, name), text);
  }
}

/** The contents of the files `names` in `dir` (a server's templates), for configStamp. */
const fileContents = (dir, names) => names.map((name) => fs.readFileSync(path.join(dir, name)));

/** A short hash of what a server runs with (its pom's hash, its templates, ...: strings or buffers, in order). */
function configStamp(...parts) {
  const h = crypto.createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest('hex').slice(0, 16);
}

const stampFile = (name) => path.join(serviceDir(name), 'config.stamp');

/**
 * Our server `name` if it runs: resolves its pid once `ready()` answers (logging "already running, reused"), or null
 * when it does not run. One started with another configuration than `stamp` (configStamp) is stopped first, by
 * `stopAll` where it shares its life with other processes, and null returned.
 */
async function reuseRunning(name, { what, ready, stamp, stopAll = () => stop(name) }) {
  const pid = ourPid(name);
  if (!pid) return null;
  if (stamp !== undefined && (!fs.existsSync(stampFile(name)) || fs.readFileSync(stampFile(name), 'utf8') !== stamp)) {
    log(`${name}: the configuration changed since it started; restarting`);
    await stopAll();
    return null;
  }
  await waitFor(`${what} (running, pid ${pid})`, ready, { timeoutMs: 60000, pid });
  log(`${name}: already running (pid ${pid}), reused`);
  return pid;
}

/**
 * Starts the Java server `name` (startJava's options) and waits until `ready()` answers; one that does not come up is
 * stopped again (no half-started server left holding its ports) and the error thrown. Records `stamp` once it is ready.
 * `detail` goes into the "starting" line (e.g. where its data lives).
 */
async function startJavaServer(name, { what, ready, timeoutMs, stamp, detail, ...java }) {
  const started = startJava(name, java);
  log(`${name}: starting (pid ${started.pid})${detail ? `, ${detail}` : ''}, log ${started.logFile}`);
  try {
    await waitFor(what, ready, { pid: started.pid, logFile: started.logFile, ...(timeoutMs ? { timeoutMs } : {}) });
  } catch (e) {
    await stop(name);
    throw e;
  }
  if (stamp !== undefined) fs.writeFileSync(stampFile(name), stamp);
  return started;
}

module.exports = {
  RUN,
  LOGS,
  JAVA_OPENS,
  log,
  StackError,
  checkJava,
  serviceDir,
  pidFile,
  alive,
  ourPid,
  portOpen,
  ensurePortsFree,
  startJava,
  logFileOf,
  logFrom,
  waitFor,
  stop,
  renderTemplates,
  fileContents,
  configStamp,
  reuseRunning,
  startJavaServer,
};
