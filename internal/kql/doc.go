// Package kql holds no code of its own: it is the home of the tests that tie
// the KQL layers together (syntax, check, eval, sqlgen). The golden suite
// (testdata/golden/*.kqlt, run by TestGolden) gives each query an input
// table, the expected result schema and the expected rows, written from the
// Kusto documentation and reference/kql.md §2; every case runs through DuckDB
// via sqlgen and, where the DCR/placeholder subset allows, through the
// per-record evaluator, and both must equal the expected rows (which makes
// it the differential test of issue 3). The oracle test (TestOracle) runs
// the official Kusto.Language parser from tools/kqloracle over
// testdata/oracle/*.kql and compares acceptance and result schemas.
package kql
