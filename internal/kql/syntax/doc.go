// Package syntax is the KQL front end: a hand-written lexer, a
// recursive-descent parser producing a syntax tree with byte positions on
// every node, positioned errors (*Error: "line 1, col 27: expected ...",
// the source line and a caret), and a printer that renders a tree back to
// canonical KQL.
//
// It implements the grammar described in reference/kql.md §1 and §2.7 (the
// DCR subset plus the UI query layer: let, pipes, where/filter, project*,
// extend, summarize, take/limit, top, sort/order, count, distinct,
// mv-expand/mvexpand, parse, print, datatable, union, join, render,
// getschema) with the operator precedence or < and < comparisons (non
// associative) < + - < * / % < unary < postfix. It does not resolve names,
// check types or evaluate anything; see internal/kql/check,
// internal/kql/eval and internal/kql/sqlgen.
//
// It is stdlib-only by design (ARCHITECTURE.md). We write our own parser
// instead of using a library because no Go KQL parser is served by the
// module proxy and the official grammar's ANTLR output targets an old Go
// runtime (reference/kql.md §3.1).
package syntax
