// Package check resolves names and types of a parsed KQL query against a
// schema, enforces the layer's rules (the DCR transformation subset, the
// placeholder subset, or the query layer), infers the output schema with
// Kusto's naming rules, and lowers the query to a typed stage plan
// (Filter, Project, MvExpand, Summarize, MakeSeries, Sort, Take, Top,
// Count, Distinct, GetSchema, Union, Join — also lookup; union/join operands
// are checked sub-queries).
// Scoping, naming and typing follow Kusto.Language as measured by the
// oracle test in internal/kql (tools/kqloracle); where Kusto.Language is
// more lenient than the engine (comparisons of unrelated types, literal
// validation), we refuse and list the case in testdata/oracle/lenient.kql.
//
// It implements reference/kql.md §1 (DCR subset: operators, functions,
// 10-column parse limit), §2.1–§2.7 (types, null rules, naming of unnamed
// columns, extend-in-place, project-rename/away semantics) and SPEC §5
// (rejecting unsupported constructs with the position of the offending
// token). Consecutive row-wise operators are fused into one Project when
// that does not duplicate work (column moves and renames are substituted;
// computed columns referenced again are materialised first), and filters
// are moved before pending projections.
//
// It does not evaluate anything: internal/kql/eval runs the plan per
// record, internal/kql/sqlgen translates it to SQL.
package check
