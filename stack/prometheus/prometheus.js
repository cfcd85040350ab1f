'use strict';
/*
 * A Prometheus from Debian's packages (`prometheus`, installed by scripts/ensure-prometheus.sh) run as the project's
 * own process: its own port (29090), its configuration and data under $CEH_STACK_DIR/prometheus/<run>, never the
 * package's system service. Not part of `stack up`: what it scrapes (a Node-RED on some port) is only known to the
 * test or demo that starts it, so they call start() and stop() themselves.
 *
 *   const prom = await start({ targets: ['127.0.0.1:1880'], bearerToken, scrapeIntervalS: 1 });
 *   await prom.query('sum(ceh_kafka_in_consumer_lag)');   // the HTTP API's instant query: [{ metric, value: [t, "v"] }]
 *   await prom.stop();
 */
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const { RUN, StackError, portOpen, waitFor } = require('../lib/process');

const PORT = 29090;
const BINARY = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus';

/** The scrape configuration (JSON is YAML): one job scraping the pack's /metrics on each target. */
function scrapeConfig({ targets, metricsPath = '/metrics', scrapeIntervalS = 1, bearerToken }) {
  const job = {
    job_name: 'node-red',
    metrics_path: metricsPath,
    scrape_interval: `${scrapeIntervalS}s`,
    scrape_timeout: `${scrapeIntervalS}s`,
    static_configs: [{ targets }],
  };
  if (bearerToken) job.authorization = { type: 'Bearer', credentials: bearerToken };
  return {
    global: { scrape_interval: `${scrapeIntervalS}s`, evaluation_interval: `${scrapeIntervalS}s` },
    scrape_configs: [job],
  };
}

async function start({
  targets,
  metricsPath,
  scrapeIntervalS = 1,
  bearerToken,
  port = PORT,
  run = `run-${process.pid}-${Date.now()}`,
} = {}) {
  if (!fs.existsSync(BINARY))
    throw new StackError(
      `Prometheus not found at ${BINARY}: run scripts/ensure-prometheus.sh (Debian's prometheus package)`,
    );
  if (await portOpen(port))
    throw new StackError(`Port ${port} is taken: another Prometheus (or another test) is running there`);
  const dir = path.join(RUN, 'prometheus', run);
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(
    configFile,
    JSON.stringify(scrapeConfig({ targets, metricsPath, scrapeIntervalS, bearerToken }), null, 2),
  );
  const logFile = path.join(dir, 'prometheus.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', out, out] },
  );
  fs.closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, {
      timeoutMs: 30000,
      pid: child.pid,
      logFile,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  /** An instant query through the HTTP API; returns data.result. */
  const query = async (expr, time) => {
    const q = new URLSearchParams({ query: expr, ...(time ? { time: String(time) } : {}) });
    const res = await fetch(`${url}/api/v1/query?${q}`);
    const body = await res.json();
    if (body.status !== 'success') throw new Error(`prometheus query ${expr}: ${body.error || res.status}`);
    return body.data.result;
  };
  /** The scrape targets and their health (api/v1/targets). */
  const targetsHealth = async () => (await (await fetch(`${url}/api/v1/targets`)).json()).data.activeTargets;
  return { url, port, dir, configFile, child, query, targets: targetsHealth, stop };
}

module.exports = { PORT, BINARY, scrapeConfig, start };
