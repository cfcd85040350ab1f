/*
 * The words for problems that lib/ reports as codes with data (lib/ stays framework-free): one wording per code, in
 * the pack's shared catalogue (nodes/shared/locales, ceh-shared.*), for every node and plugin that shows them.
 */
import type { Translate } from './red';
import type { ConsoleProblem } from '../../lib/gremlin/console';

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
