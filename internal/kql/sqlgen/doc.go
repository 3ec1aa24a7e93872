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
// Known differences, refused rather than approximated: computed dynamic
// keys, has with a non-constant needle, arithmetic on dynamic values,
// mv-expand/join/union/parse in queries. todatetime() on strings uses
// DuckDB's TRY_CAST (ISO 8601 only); dcount is exact; the both-null case of
// string operators yields false/true instead of null (where drops it
// either way). The ClickHouse dialect is not written yet.
package sqlgen
