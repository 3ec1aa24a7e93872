// Package sqlgen translates KQL queries (the UI/query layer) into DuckDB
// SQL: one CTE per checked stage, identifiers always quoted, constants and
// now()/ago() bound as parameters (now is taken from Options, never from the
// database clock).
//
// It implements SPEC §3 (query API) and §9 (summarize ... by bin() over
// the embedded store) following reference/kql.md §4: KQL null rules for
// ==, != and string operators (coalesce wrappers), mathematical %, integer
// division that truncates, bin() anchored at 0001-01-01 like KQL ticks,
// has-family operators as RE2 term patterns, aggregates with KQL names and
// empty-input results (sum → 0, make_list → [], avg → NaN).
//
// Storage types (SQLType): string/guid VARCHAR, int INTEGER, long BIGINT,
// real DOUBLE, bool BOOLEAN, datetime TIMESTAMP (UTC), dynamic JSON, and
// timespan BIGINT holding 100 ns ticks (also how timespan values are
// represented inside generated expressions and returned in results).
//
// Inside the CTE chain columns are positional ("c0", "c1", ...): DuckDB
// matches identifiers case-insensitively, KQL does not; the final SELECT
// applies the KQL names. For the same reason a table may store a column
// under another SQL name than its KQL name ("id", "Id" are stored as "id",
// "Id__2"): the first stage reads table columns by
// store.SQLColumnNames(schema), so the Catalog must return schemas in
// storage order.
//
// Operators: where, project*, extend, summarize (count, countif, sum,
// sumif, avg, avgif, min, max, minif, maxif, dcount, dcountif, make_list,
// make_set, make_bag and their _if forms, take_any, stdev/variance (sample
// and population, _if forms), percentile/percentiles/percentiles_array
// nearest-rank, arg_max/arg_min through one struct per group), sort/top/
// take, count, distinct, mv-expand (arrays and bags), parse, union
// (operator and source, columns by name, name_type columns for type
// conflicts, kind=inner, withsource=), join (innerunique, inner, leftouter,
// rightouter, fullouter, leftanti, rightanti, leftsemi, rightsemi on
// equality keys; operands get their own CTE chains), lookup, make-series
// (explicit bounds; bin index, two GROUP BYs, lists spread over the bins),
// getschema, datatable, print, let; render is passed through in
// Query.Render. format_datetime and format_timespan are concatenations of
// date parts.
//
// Refused rather than approximated: computed dynamic keys, non-constant
// regular expressions and has-needles, arithmetic and ordering on dynamic
// values, parse_cef_dictionary/parse_xml without the UDFs (they call the
// evaluator's parsers through kql_parse_cef/kql_parse_xml). todatetime() of strings is
// value.ParseDateTime through the DuckDB scalar UDF kql_todatetime when
// RegisterFunctions was called and Options.UDFs is set, otherwise ISO 8601
// only (TRY_CAST, offsets converted to UTC). Known differences from the
// per-record evaluator (checked by the golden suite in internal/kql and by
// TestDifferentialEvalSQL): DuckDB keeps microseconds (KQL 100 ns), dcount
// is exact, and JSON objects keep insertion order. The ClickHouse dialect
// is not written yet.
package sqlgen
