'use strict';
/*
 * PostgreSQL: the CRM database of the demo, a server owned by the project (Debian's server binaries, initdb into
 * .run/postgres, wal_level=logical for Debezium) on 127.0.0.1:25433. It never touches a system server on 5432: its
 * own data folder, port and socket folder. As root, initdb and pg_ctl run as the Debian `postgres` user (initdb
 * refuses root); otherwise as the current user.
 *
 * Optional: where no PostgreSQL server binaries are installed, `up` says how to install them and skips (the stack
 * then has no CRM database, and the demo producer's synthetic CDC stands in for it).
 */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { log, StackError, serviceDir, ensurePortsFree, waitFor, portOpen } = require('../lib/process');

const NAME = 'postgres';
const PORT = 25433;
const DATABASE = 'crm';

const endpoints = {
  postgres: { host: '127.0.0.1', port: PORT, user: 'postgres', password: 'postgres', database: DATABASE },
};

const INSTALL_HINT =
  'PostgreSQL server binaries were not found (/usr/lib/postgresql/<major>/bin/initdb). ' +
  'Install them with `sudo apt-get install postgresql` (the stack runs its own server on 127.0.0.1:25433 and never ' +
  'touches the system one).';

/** The newest /usr/lib/postgresql/<major>/bin holding initdb, or $CEH_PG_BIN, or null. */
function findBinaries() {
  if (process.env.CEH_PG_BIN) return process.env.CEH_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const majors = fs
    .readdirSync(base)
    .filter((d) => /^\d+$/.test(d))
    .sort((a, b) => Number(b) - Number(a));
  const found = majors.map((m) => path.join(base, m, 'bin')).find((bin) => fs.existsSync(path.join(bin, 'initdb')));
  return found ?? null;
}

const available = () => findBinaries() !== null;

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary as the owner of the data folder (`postgres` when we are root). */
function pgRun(bin, tool, args) {
  const exe = path.join(bin, tool);
  const r = asRoot()
    ? spawnSync('runuser', ['-u', 'postgres', '--', exe, ...args], { encoding: 'utf8' })
    : spawnSync(exe, args, { encoding: 'utf8' });
  return r;
}

const dataDir = () => path.join(serviceDir(NAME), 'data');
const logFile = () => path.join(serviceDir(NAME), 'postgres.log');

function postmasterPid() {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!pid) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

const SETTINGS = (socketDir) => `
# --- customer-event-hub stack ---
listen_addresses = '127.0.0.1'
port = ${PORT}
unix_socket_directories = '${socketDir}'
wal_level = logical
max_wal_senders = 4
max_replication_slots = 4
shared_buffers = 32MB
`;

async function query(sql, database = DATABASE) {
  const { Client } = require('pg');
  const c = new Client({ ...endpoints.postgres, database, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end().catch(() => {});
  }
}

async function ready() {
  return (await query('SELECT 1 AS ok', 'postgres')).rows[0].ok === 1;
}

async function up() {
  const bin = findBinaries();
  if (!bin) {
    log(`postgres: skipped. ${INSTALL_HINT}`);
    return;
  }
  const dir = serviceDir(NAME);
  let pid = postmasterPid();
  if (!pid) {
    await ensurePortsFree('PostgreSQL', [PORT]);
    fs.mkdirSync(dir, { recursive: true });
    if (asRoot()) spawnSync('chown', ['postgres:postgres', dir]);
    if (!fs.existsSync(path.join(dataDir(), 'PG_VERSION'))) {
      const r = pgRun(bin, 'initdb', [
        '-D',
        dataDir(),
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]);
      if (r.status !== 0)
        throw new StackError(
          `initdb failed (every parent folder of ${dir} must be readable by the postgres user):\n${r.stderr || r.stdout || r.error}`,
        );
      fs.appendFileSync(path.join(dataDir(), 'postgresql.conf'), SETTINGS(dir));
    }
    const t0 = Date.now();
    const r = pgRun(bin, 'pg_ctl', ['-D', dataDir(), '-l', logFile(), '-w', '-t', '60', 'start']);
    if (r.status !== 0) throw new StackError(`PostgreSQL did not start: ${r.stderr || r.stdout}. See ${logFile()}`);
    pid = postmasterPid();
    log(`postgres: started (pid ${pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s, log ${logFile()}`);
  } else log(`postgres: already running (pid ${pid}), reused`);
  fs.writeFileSync(path.join(dir, 'pid'), String(pid));
  await waitFor('PostgreSQL', ready, { timeoutMs: 30000, logFile: logFile() });
  const exists = await query(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`, 'postgres');
  if (exists.rowCount === 0) await query(`CREATE DATABASE ${DATABASE}`, 'postgres');
  await query(fs.readFileSync(path.join(__dirname, 'crm.sql'), 'utf8'));
  log(`postgres: ready on 127.0.0.1:${PORT}, database ${DATABASE} (tables customers, addresses; wal_level=logical)`);
}

async function down({ fresh } = {}) {
  const bin = findBinaries();
  if (bin && postmasterPid()) {
    const pid = postmasterPid();
    const r = pgRun(bin, 'pg_ctl', ['-D', dataDir(), '-m', 'fast', '-w', 'stop']);
    if (r.status !== 0) throw new StackError(`pg_ctl stop failed: ${r.stderr || r.stdout}`);
    log(`postgres: stopped (pid ${pid})`);
  }
  fs.rmSync(path.join(serviceDir(NAME), 'pid'), { force: true });
  if (fresh) {
    fs.rmSync(dataDir(), { recursive: true, force: true });
    log('postgres data removed');
  }
}

module.exports = {
  name: NAME,
  endpoints,
  processes: [{ name: NAME, port: PORT }],
  up,
  down,
  available,
  query,
  INSTALL_HINT,
  portOpen,
};
