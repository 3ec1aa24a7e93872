// Package drytest is the connector dry run behind `codeless test` (SPEC §1
// "connector author", §2): it runs one or more RestApiPoller connections
// from a file for a single window against the real source API, follows
// every page, and shows what would happen in production — every request
// (secrets redacted), the events extracted, the rows each DCR data flow
// produces per output stream, and precise errors — without writing any
// state.
//
// How: the poller file (one connection, an array, or an ARM template holding
// connections, also inside contentTemplates) is decoded generically; in each
// picked connection every string is resolved with internal/arm's
// ResolvePlaceholders ({{name}}, [[expr], [expr]; lenient for dcrConfig
// values, reference/ccf-format.md §9.6) and every unresolved placeholder is
// an error naming it with the file and JSON path (SPEC §4 "never sent to an
// API"). The resolved file is decoded with internal/resource and each
// connection is polled by internal/poll's Runner (PollWindow) with a
// recording Sink — the same code path as `codeless serve`. Events are then
// coerced by the stream declaration of the DCR (declared columns only,
// undeclared properties dropped, unparsable values null, SPEC §5) and run
// through each data flow's transformKql with internal/kql/eval; outputs of
// Custom-X_CL streams are checked against the --table schemas (or, without
// one, only the transform's output schema, with a warning).
//
// Secrets — the values of secret-looking --param names and every auth
// secret of the picked connections, also URL-encoded, base64 and as Basic
// credentials — are redacted in every URL, warning and error of the Report.
// Events and rows are source data and are shown as received.
//
// Cassettes (cassette.go): Options.Record writes every HTTP exchange of the
// run to DIR/cassette.json — known secrets, Authorization/Cookie/API-key
// headers and secret-looking JSON members (access_token, password, ...)
// replaced by "***" — with the run's clock; Options.Replay answers every
// request from such a cassette (first unused exchange with the same method
// and redacted URL, in recorded order) and uses the recorded clock, so a
// replay polls the same window offline. Each report request also says the
// paging decision taken after it (next page, last page, stop: reason).
//
// What it does not do: it does not expand ARM copy loops (one instance runs, with a warning), does not store
// anything, and decides no exit code (Report.Errors empty means success).
package drytest
