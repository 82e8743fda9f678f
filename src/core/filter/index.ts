/**
 * The predicate-filter language of evq (docs/FILTERS.md): `value.amount > 100 && headers.type == "deposit"`.
 * `compileFilter` turns the text into a predicate over records once; the broker runs it per record.
 */
export {
  FILTER_COMPARE_OPS,
  FILTER_ROOTS,
  FILTER_FORBIDDEN_NAMES,
  printFilter,
  type FilterCompare,
  type FilterCompareOp,
  type FilterExists,
  type FilterNode,
  type FilterRoot,
  type FilterLiteral,
  type FilterLiteralValue,
  type FilterLogical,
  type FilterNot,
  type FilterPath,
  type FilterScalar,
} from './ast.js';
export { compileFilter, type Filter, type FilterOptions } from './compiler.js';
export { MAX_FILTER_DEPTH_CEILING, parseFilter, type FilterLimits } from './parser.js';
export {
  PARSED_VALUE,
  parseFilterValue,
  preparseRecord,
  recordValue,
  setRecordValue,
  type FilterRecord,
  type FilterValue,
  type FilterValueOptions,
} from './record-value.js';
