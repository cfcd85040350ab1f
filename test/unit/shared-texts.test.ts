/*
 * lib/ reports configuration and request problems as codes with data; nodes/shared/texts.ts words them from the
 * shared catalogue. Every problem the real lib functions raise gets a text in English and German, with its data.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { kafkaConfigText, queryProblemText } from '../../nodes/shared/texts';
import { parseBrokers, parseTopics, buildClientConfig } from '../../lib/kafka/client-config';
import { checkGroupTimings, checkMaxInFlight } from '../../lib/kafka/consumer-runner';
import { ConsoleRequestError, runConsoleQuery } from '../../lib/gremlin/console';
import { translatorOf } from '../support/texts';

const en = translatorOf('nodes/shared', 'shared');
const de = translatorOf('nodes/shared', 'shared', 'de');

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('did not throw');
}

test('kafka settings: each problem of client-config and the consumer runner has its English and German words', () => {
  const cases: Array<[unknown, RegExp, RegExp]> = [
    [thrown(() => parseBrokers(' ')), /^no brokers configured/, /^keine Broker konfiguriert/],
    [thrown(() => parseBrokers('kafka')), /^broker "kafka" is not host:port$/, /^Broker "kafka" ist nicht host:port$/],
    [thrown(() => parseTopics('', 'list')), /^no topic configured$/, /^kein Topic konfiguriert$/],
    [
      thrown(() => parseTopics('(', 'regex')),
      /not a valid regular expression: .*\(/,
      /kein gültiger regulärer Ausdruck: .*\(/,
    ],
    [
      thrown(() => checkGroupTimings(500, 100)),
      /session timeout .*>= 1000, not 500$/,
      /Session-Timeout .*>= 1000 sein, nicht 500$/,
    ],
    [
      thrown(() => checkGroupTimings(6000, 50)),
      /heartbeat interval .*>= 100, not 50$/,
      /Heartbeat-Intervall .*nicht 50$/,
    ],
    [
      thrown(() => checkGroupTimings(6000, 3000)),
      /\(3000 ms\) must be at most a third .*\(6000 ms\)/,
      /\(3000 ms\) darf höchstens ein Drittel .*\(6000 ms\)/,
    ],
    [thrown(() => checkMaxInFlight(0)), /max in flight .*>= 1, not 0$/, /Max\. in Bearbeitung .*nicht 0$/],
    [
      thrown(() => buildClientConfig({ brokers: 'k:9092', requestTimeout: 'x' }, {}, String)),
      /request timeout .*not "x"$/,
      /Anfrage-Timeout .*nicht "x"$/,
    ],
    [
      thrown(() => buildClientConfig({ brokers: 'k:9092', connectionTimeout: -1 }, {}, String)),
      /connect timeout .*not "-1"$/,
      /Verbindungs-Timeout .*nicht "-1"$/,
    ],
    [
      thrown(() => buildClientConfig({ brokers: 'k:9092', sasl: 'kerberos' }, {}, String)),
      /unknown SASL mechanism "kerberos"/,
      /unbekannter SASL-Mechanismus "kerberos"/,
    ],
    [
      thrown(() => buildClientConfig({ brokers: 'k:9092', sasl: 'plain' }, {}, String)),
      /SASL plain needs a username/,
      /SASL plain braucht einen Benutzernamen/,
    ],
  ];
  for (const [err, english, german] of cases) {
    assert.match(kafkaConfigText(en, err), english);
    assert.match(kafkaConfigText(de, err), german);
  }
  // Anything else keeps its own message (a server's, a file system's).
  assert.equal(kafkaConfigText(de, new Error('ECONNREFUSED 127.0.0.1:9092')), 'ECONNREFUSED 127.0.0.1:9092');
});

test('console and query requests: each refusal has its English and German words', async () => {
  const neverSent = {
    submit: async (): Promise<unknown[]> => assert.fail('a refused request must not reach the server'),
  };
  const refusal = async (req: Record<string, unknown>, dialect: 'tinkerpop' | 'neptune' = 'tinkerpop') => {
    try {
      await runConsoleQuery(neverSent, req as never, dialect);
    } catch (e) {
      assert.ok(e instanceof ConsoleRequestError, String(e));
      return e.problem;
    }
    return assert.fail('not refused');
  };
  const cases: Array<[Record<string, unknown>, 'tinkerpop' | 'neptune', RegExp, RegExp]> = [
    [{ query: ' ' }, 'tinkerpop', /^the query is empty$/, /^die Abfrage ist leer$/],
    [
      { query: 'g.V()', bindings: '{' },
      'tinkerpop',
      /^bindings are not valid JSON: /,
      /^die Bindings sind kein gültiges JSON: /,
    ],
    [{ query: 'g.V()', bindings: '[1]' }, 'tinkerpop', /JSON object/, /JSON-Objekt/],
    [
      { query: 'g.V()', bindings: { 'a-b': 1 } },
      'tinkerpop',
      /"a-b" is not a valid variable name/,
      /"a-b" ist kein gültiger Variablenname/,
    ],
    [{ query: 'g.V()', bindings: { x: 1 } }, 'neptune', /^Neptune does not accept/, /^Neptune nimmt keine/],
    [
      { query: 'g.V()', bindings: { __cehX: 1 } },
      'tinkerpop',
      /"__cehX" is reserved \(prefix __ceh\)/,
      /"__cehX" ist reserviert \(Präfix __ceh\)/,
    ],
    [{ query: 'g.V()', cap: -2 }, 'tinkerpop', /result cap .*not -2$/, /Ergebnisgrenze .*nicht -2$/],
    [{ query: 'g.V()', timeoutMs: 'soon' }, 'tinkerpop', /timeout .*not "soon"$/, /Timeout .*nicht "soon"$/],
    [{ query: 'g.V()' }, 'neptune', /^a neptune server cannot be told/, /^einem neptune-Server/],
  ];
  for (const [req, dialect, english, german] of cases) {
    const problem = await refusal(req, dialect);
    assert.match(queryProblemText(en, problem), english);
    assert.match(queryProblemText(de, problem), german);
  }
});
