// Package value holds the KQL scalar conversions shared by the KQL engine
// and by ingestion (stream coercion): todatetime/totimespan/toint/... parsing,
// Kusto's tostring rendering and JSON → dynamic normalisation.
//
// It implements reference/kql.md §2.1–§2.4 (types, literals, null vs empty,
// todatetime and tostring formats) for the Go value conventions of
// internal/schema. It does not parse KQL and knows nothing of schemas beyond
// the type names.
//
// We write our own datetime parser instead of using a library because Kusto
// accepts a specific mix of formats (ISO 8601, RFC 822/850, "sortable", US
// month-first dates, 20221202) and rejects others (13-01-2022); no Go
// library reproduces exactly that set.
package value
