// Package schema defines column types and the Go representation of KQL values
// shared by every layer of Codeless (resources, KQL engine, ingestion, stores).
//
// It implements the type vocabulary of SPEC §5 and reference/ccf-format.md §5.2
// and §7.2. It does not convert or validate values; see internal/ingest for
// stream coercion and internal/kql/eval for KQL conversion functions.
//
// Value conventions (every package follows them):
//
//	KQL type   Go value
//	string     string          (KQL strings are never null: missing = "")
//	int        int64           (schema says int; range is 32-bit)
//	long       int64
//	real       float64
//	bool       bool
//	datetime   time.Time       (always UTC)
//	timespan   time.Duration
//	guid       string          (canonical lower-case 8-4-4-4-12)
//	dynamic    nil | bool | int64 | float64 | string | []any | map[string]any
//	null       nil             (any type except string)
//
// A row is a []any aligned with a Schema.
package schema

import (
	"fmt"
	"strings"
)

// Type is a KQL scalar type name in canonical lower-case spelling.
type Type string

// The KQL scalar types.
const (
	String   Type = "string"
	Int      Type = "int"
	Long     Type = "long"
	Real     Type = "real"
	Bool     Type = "bool"
	DateTime Type = "datetime"
	TimeSpan Type = "timespan"
	GUID     Type = "guid"
	Dynamic  Type = "dynamic"
	Decimal  Type = "decimal"
)

// ParseType maps a type name as written in DCR stream declarations, table
// schemas or KQL (case-insensitive, with the aliases seen in real files) to
// its canonical Type.
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "string":
		return String, nil
	case "int", "int32":
		return Int, nil
	case "long", "int64":
		return Long, nil
	case "real", "double", "float":
		return Real, nil
	case "bool", "boolean":
		return Bool, nil
	case "datetime", "date":
		return DateTime, nil
	case "timespan", "time":
		return TimeSpan, nil
	case "guid", "uuid", "uniqueid":
		return GUID, nil
	case "dynamic", "object", "array":
		return Dynamic, nil
	case "decimal":
		return Decimal, nil
	}
	return "", fmt.Errorf("unknown column type %q (want one of string, int, long, real, boolean, datetime, timespan, guid, dynamic)", s)
}

// Column is a named, typed column.
type Column struct {
	Name string `json:"name"`
	Type Type   `json:"type"`
}

// Schema is an ordered list of columns.
type Schema []Column

// Index returns the position of the column with exactly this name, or -1.
func (s Schema) Index(name string) int {
	for i, c := range s {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = c.Name
	}
	return out
}

// String renders the schema in KQL's "(a:string, b:long)" form.
func (s Schema) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		b.WriteByte(':')
		b.WriteString(string(c.Type))
	}
	b.WriteByte(')')
	return b.String()
}
