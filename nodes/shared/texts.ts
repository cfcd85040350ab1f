/*
 * The words for problems that lib/ reports as codes with data (lib/ stays framework-free): one wording per code, in
 * the pack's shared catalogue (nodes/shared/locales, ceh-shared.*), for every node and plugin that shows them.
 */
import type { Translate } from './red';
import type { ConsoleProblem } from '../../lib/gremlin/console';
import { KafkaConfigError } from '../../lib/kafka/config-problem';

/** A refused query request (gremlin query, the graph sidebar's console) in the runtime's language. */
export function queryProblemText(t: Translate, p: ConsoleProblem): string {
  switch (p.code) {
    case 'empty-query':
      return t('ceh-shared.query.emptyQuery');
    case 'binding-name':
      return t('ceh-shared.query.bindingName', { name: JSON.stringify(p.name) });
    case 'neptune-bindings':
      return t('ceh-shared.query.neptuneBindings');
    case 'bindings-not-json':
      return t('ceh-shared.query.bindingsNotJson', { message: p.message });
    case 'bindings-not-object':
      return t('ceh-shared.query.bindingsNotObject');
    case 'reserved-binding':
      return t('ceh-shared.query.reservedBinding', { name: JSON.stringify(p.name), prefix: p.prefix });
    case 'not-positive':
      return p.what === 'cap'
        ? t('ceh-shared.query.capNotPositive', { value: p.value })
        : t('ceh-shared.query.timeoutNotPositive', { value: p.value });
    case 'no-read-only':
      return t('ceh-shared.query.noReadOnly', { dialect: p.dialect });
  }
}

/** A Kafka setting that cannot be used (kafka in, kafka out: status and log), or any other error's own message. */
export function kafkaConfigText(t: Translate, err: unknown): string {
  if (!(err instanceof KafkaConfigError)) return String((err as Error)?.message ?? err);
  const p = err.problem;
  switch (p.code) {
    case 'no-brokers':
      return t('ceh-shared.kafka.noBrokers');
    case 'broker-not-host-port':
      return t('ceh-shared.kafka.brokerNotHostPort', { broker: JSON.stringify(p.broker) });
    case 'timeout-not-positive':
      return p.field === 'connectionTimeout'
        ? t('ceh-shared.kafka.connectionTimeout', { value: JSON.stringify(p.value) })
        : t('ceh-shared.kafka.requestTimeout', { value: JSON.stringify(p.value) });
    case 'unknown-sasl':
      return t('ceh-shared.kafka.unknownSasl', { mechanism: JSON.stringify(p.mechanism) });
    case 'sasl-username':
      return t('ceh-shared.kafka.saslUsername', { mechanism: p.mechanism });
    case 'no-topic':
      return t('ceh-shared.kafka.noTopic');
    case 'bad-topic-pattern':
      return t('ceh-shared.kafka.badTopicPattern', { message: p.message });
    case 'session-timeout':
      return t('ceh-shared.kafka.sessionTimeout', { value: p.value });
    case 'heartbeat':
      return t('ceh-shared.kafka.heartbeat', { value: p.value });
    case 'heartbeat-vs-session':
      return t('ceh-shared.kafka.heartbeatVsSession', { heartbeat: p.heartbeatMs, session: p.sessionTimeoutMs });
    case 'max-in-flight':
      return t('ceh-shared.kafka.maxInFlight', { value: p.value });
  }
}
