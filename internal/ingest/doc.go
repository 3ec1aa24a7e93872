// Package ingest is the one ingestion pipeline of Codeless: it turns records
// sent to a DCR stream into rows of destination tables, exactly as Azure
// Monitor's Logs Ingestion API does, and commits them atomically. The Logs
// Ingestion HTTP endpoint (Handler) and the poller (Process + Commit) both
// use it.
//
// It implements SPEC §5 and the Logs Ingestion API of SPEC §3 and
// reference/ccf-format.md §5 (DCR, stream declarations, data flows), §6
// (request, responses, limits) and §7.4 (TimeGenerated).
//
// Per call:
//
//  1. Stream validation and coercion: each record is a JSON object; only
//     declared columns are kept (undeclared properties are dropped), each
//     value is coerced to its declared type (datetime strings through
//     kql/value.ParseDateTime, so "3/6/2023 8:15:15 AM" works); a value that
//     does not convert becomes null and is counted (Output.Invalid). Property
//     names match declared columns exactly, else case-insensitively.
//  2. Every data flow of the stream runs its compiled transformKql (""
//     means "source") over the record (kql/eval).
//  3. Output rows are mapped by column name onto the destination table's
//     schema, converting values to the column types (kql/value.Convert; a
//     string "3" lands in an int column as 3); a TimeGenerated that is null,
//     older than 2 days or more than 1 day ahead of now becomes now.
//  4. Commit writes the rows of every table, plus an optional checkpoint, in
//     one store.Batch: all or nothing.
//
// Process splits calls of 2,000 records or more into contiguous shares run
// on GOMAXPROCS goroutines and concatenates the outputs in record order
// (the same rows, counters and first error as one goroutine); declared
// columns are looked up by exact name first, and ISO-8601 UTC datetimes
// take a fast path (datetime.go) checked against kql/value by a fuzz target.
//
// PutDCR validates and compiles every data flow and rejects a DCR with an
// error naming the JSON path (properties.dataFlows[1].transformKql: ...):
// undeclared streams, transforms that do not compile, outputs without
// TimeGenerated, Custom-X_CL outputs whose columns are missing from table
// X_CL or have incompatible types. Microsoft-X outputs create table X from
// the transform's inferred output schema. A flow without transform whose
// input stream is an undeclared Microsoft-X stream is accepted: its rows go
// to table X, created on the first call with a schema inferred from the
// first batch of records (JSON strings → string, except TimeGenerated →
// datetime; integers → long; other numbers → real; booleans → bool; objects
// and arrays → dynamic). Later columns are added, never retyped.
//
// The HTTP handler parses bodies with valyala/fastjson straight into
// declared column slots (no map per record) because encoding/json into maps
// is an order of magnitude slower (SPEC §9).
//
// It does not authenticate callers (internal/server does), does not store
// DCRs (the control plane calls PutDCR/DeleteDCR), and does not forward to
// remote destinations.
package ingest
