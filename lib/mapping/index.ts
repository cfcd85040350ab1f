/* The mapping engine's public surface: load a spec once, map events many times. */
export {
  loadSpec,
  checkSpec,
  parseSpecText,
  compileSpec,
  SpecError,
  formatIssue,
  issueWhere,
  mappingSchema,
  MAPPING_SCHEMA_FILE,
} from './spec';
export type { MappingSpec, VertexSpec, EdgeSpec, PropertySpec, SpecIssue, CompiledMapping } from './spec';
export { mapEvent, mapEvents, eventRefs, MappingError } from './engine';
export type { MappedEvent, FailedEvent, MapEventsResult } from './engine';
export { compileTemplate, TemplateError } from './template';
export { coerceScalar, coerceProperty, CoercionError, VALUE_TYPES } from './coerce';
export { decodeValue, decodeRow, decimalText, UnknownColumnTypeError, COLUMN_TYPES } from './debezium';
export type { ConnectSchema, ColumnSpec, ColumnType } from './debezium';
