// Package eval is the per-record KQL evaluator: it compiles a DCR
// transformKql (or a stepPlaceholdersParsingKql) into a Program of closures
// that transforms one input row into zero or more output rows.
//
// It implements SPEC §5 (transforms run per record, the DCR subset plus
// iff/replace/replace_string/replace_regex/coalesce) and SPEC §4 nested
// steps (mv-expand in placeholder KQL), with the semantics of
// reference/kql.md §2 (null vs empty string, == with null, case-insensitive
// string operators, has term matching, dynamic access, mathematical %).
// Parsing is internal/kql/syntax; name/type resolution and the stage plan
// are internal/kql/check; multi-row operators (summarize, sort, take, ...)
// are compiled to SQL by internal/kql/sqlgen and are rejected here.
//
// Run never panics on data: values of unexpected Go types evaluate as
// null, and a recover turns any remaining bug into an error.
package eval
