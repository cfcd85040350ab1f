'use strict';
/* TLS material (self-signed, made once with the JDK's keytool) shared by every server with a TLS listener. */
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { RUN, StackError } = require('./process');

const endpoints = {
  tlsPassword: 'ceh-stack-store',
  caFile: path.join(RUN, 'tls', 'ca.pem'),
};

/** The PKCS12 key store (server certificate for localhost / 127.0.0.1); its certificate is endpoints.caFile. */
function ensureTls() {
  const dir = path.join(RUN, 'tls');
  const ks = path.join(dir, 'server.p12');
  if (fs.existsSync(ks) && fs.existsSync(endpoints.caFile)) return ks;
  fs.mkdirSync(dir, { recursive: true });
  const pw = endpoints.tlsPassword;
  const run = (args) => {
    const r = spawnSync('keytool', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new StackError(`keytool ${args[0]} failed: ${r.stderr || r.stdout}`);
  };
  fs.rmSync(ks, { force: true });
  run([
    '-genkeypair',
    '-alias',
    'server',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-validity',
    '3650',
    '-dname',
    'CN=localhost,O=customer-event-hub stack',
    '-ext',
    'SAN=dns:localhost,ip:127.0.0.1',
    '-keystore',
    ks,
    '-storetype',
    'PKCS12',
    '-storepass',
    pw,
    '-keypass',
    pw,
  ]);
  run([
    '-exportcert',
    '-rfc',
    '-alias',
    'server',
    '-keystore',
    ks,
    '-storetype',
    'PKCS12',
    '-storepass',
    pw,
    '-file',
    endpoints.caFile,
  ]);
  return ks;
}

module.exports = { endpoints, ensureTls };
