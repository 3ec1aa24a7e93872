// Package duckdb is the embedded default backend of Codeless: it implements
// store.Store on one DuckDB database file (github.com/duckdb/duckdb-go/v2)
// holding the log tables, resources, checkpoints and key/values (SPEC §5 "a
// commit is atomic", §6 "Embedded default").
//
// Layout:
//
//   - log tables live in schema main under their exact KQL names (always
//     quoted); DuckDB identifiers are case-insensitive, so two table names
//     that differ only by case are rejected with an error, while columns
//     that do (Azure tables have "id" and "Id") are stored under SQL names
//     derived from the ordered schema by store.SQLColumnNames ("id",
//     "Id__2"); TableSchema and EnsureTable speak KQL names, kql/sqlgen
//     reads columns by their SQL names, and Open checks that the file's
//     columns are the derived names;
//   - schema codeless holds internal state: codeless.tables and
//     codeless.columns (the KQL type of every column, because int/long,
//     guid and timespan cannot be recovered from DuckDB types alone),
//     codeless.resources(kind, name, body, etag, modified),
//     codeless.checkpoints(key, value) and codeless.kv(key, value).
//
// Type mapping (KQL → DuckDB): string→VARCHAR, int→INTEGER, long→BIGINT,
// real→DOUBLE, bool→BOOLEAN, datetime→TIMESTAMP (UTC, microseconds: the
// sub-microsecond digits of a KQL datetime are truncated), timespan→BIGINT
// holding 100 ns ticks (so sums and comparisons stay integer; Query reports
// such a column as long and the caller that knows the table schema converts
// it back), guid→UUID, dynamic→JSON, decimal→DOUBLE.
//
// A Batch converts rows at Append into typed column buffers
// (append_columns.go) and writes them on Commit in one DuckDB transaction,
// together with its checkpoints, as data chunks through DuckDB's C appender
// API (append_chunk.go: values are stored into the vectors' memory, a few
// cgo calls per 2,048 rows instead of one per string with duckdb-go's
// Appender.AppendRow, which remains the fallback); appended rows roll back
// with the transaction (tested). Writes are
// serialized by one mutex; batches that wait for it are written together in
// one transaction (group commit: DuckDB's commit has a fixed cost of about
// 2 ms CPU, mostly the WAL), and when such a group fails its batches are
// retried one by one, so each batch stays all-or-nothing on its own.
// DuckDB's MVCC lets Query run concurrently and see either all of a batch or
// none of it.
//
// Query is read-only: the SQL must parse (by DuckDB's own parser, through
// json_serialize_sql) as exactly one SELECT statement, and it runs inside a
// READ ONLY transaction. The database is opened with
// enable_external_access=false, so queries cannot read or write files,
// ATTACH databases or load extensions.
//
// Dynamic values are written by a small JSON writer of our own (dynjson.go)
// rather than encoding/json, because encoding/json writes the real 1.0 as 1,
// which would read back as a long. duckdb-go decodes JSON results with
// encoding/json into float64, which rounds integers beyond 2^53; so when a
// query's result has JSON columns (DESCRIBE tells), Query wraps it as
// SELECT #1, #2::VARCHAR, ... FROM (query) and decodes the text itself.
//
// It does not know KQL, HTTP or polling; it does not encrypt (resource bodies
// arrive encrypted); it does not expire data (retention is a caller's job).
package duckdb
