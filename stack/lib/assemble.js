'use strict';
/* A server's runtime jars, copied from Maven Central by its pom (stack/<name>/pom.xml) into .run/<name>/lib. */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawnSync } = require('child_process');
const { log, StackError, serviceDir } = require('./process');

function checkMaven() {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (r.error)
    throw new StackError(
      'Maven 3.8+ is required to assemble the stack from Maven Central but `mvn` was not found on PATH.',
    );
}

function hashFile(file) {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);
}

/** Copies the jars once per pom version (re-assembled when the pom changes); returns the lib folder. */
function assemble(name, pom) {
  const dir = serviceDir(name);
  const lib = path.join(dir, 'lib');
  const stamp = path.join(dir, 'lib.stamp');
  const want = hashFile(pom);
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want) return lib;
  checkMaven();
  log(`assembling ${name} from Maven Central (first run downloads the jars; later runs reuse ~/.m2) ...`);
  fs.rmSync(lib, { recursive: true, force: true });
  fs.mkdirSync(lib, { recursive: true });
  const t0 = Date.now();
  const r = spawnSync(
    'mvn',
    ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) {
    const out = `${r.stdout || ''}${r.stderr || ''}`
      .split('\n')
      .filter((l) => /ERROR/.test(l))
      .slice(0, 6)
      .join('\n');
    throw new StackError(`Maven could not assemble ${name} (is Maven Central reachable?):\n${out || r.error}`);
  }
  fs.writeFileSync(stamp, want);
  log(`${name}: ${fs.readdirSync(lib).length} jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return lib;
}

module.exports = { assemble, hashFile };
