package sqlgen

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/codeless/codeless/internal/kql/eval"
	"github.com/codeless/codeless/internal/kql/value"
)

// The DuckDB scalar functions RegisterFunctions installs.
const (
	udfToDatetime = "kql_todatetime"
	udfParseCEF   = "kql_parse_cef"
	udfParseXML   = "kql_parse_xml"
)

// RegisterFunctions installs Codeless' DuckDB scalar functions on the
// connection c: kql_parse_cef(VARCHAR) and kql_parse_xml(VARCHAR) return
// the JSON text of parse_cef_dictionary/parse_xml (the evaluator's Go
// parsers; the translation refuses both without Options.UDFs), and
// kql_todatetime(VARCHAR) → TIMESTAMP parses a string with
// every format KQL's todatetime() accepts (value.ParseDateTime: ISO 8601,
// RFC 822/850, US month-first dates, offsets converted to UTC; null when
// the string is not a date). Translations call it when Options.UDFs is
// set; without it todatetime(string) is a pure-SQL approximation that only
// knows ISO 8601. DuckDB keeps such functions per database instance, so
// one registration serves every connection of the same *sql.DB.
func RegisterFunctions(ctx context.Context, c *sql.Conn) error {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return fmt.Errorf("registering %s: %w", udfToDatetime, err)
	}
	ts, err := duckdb.NewTypeInfo(duckdb.TYPE_TIMESTAMP)
	if err != nil {
		return fmt.Errorf("registering %s: %w", udfToDatetime, err)
	}
	if err := duckdb.RegisterScalarUDF(c, udfToDatetime, toDatetimeUDF{in: varchar, out: ts}); err != nil {
		return fmt.Errorf("registering %s: %w", udfToDatetime, err)
	}
	for name, f := range map[string]func(string) any{udfParseCEF: eval.ParseCEFDictionary, udfParseXML: eval.ParseXML} {
		if err := duckdb.RegisterScalarUDF(c, name, jsonUDF{in: varchar, f: f}); err != nil {
			return fmt.Errorf("registering %s: %w", name, err)
		}
	}
	return nil
}

// jsonUDF is a VARCHAR → VARCHAR (JSON text) function over a Go parser of
// the evaluator, so both backends give the same dynamic value; a nil
// result is SQL NULL.
type jsonUDF struct {
	in duckdb.TypeInfo
	f  func(string) any
}

func (u jsonUDF) Config() duckdb.ScalarFuncConfig {
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{u.in}, ResultTypeInfo: u.in}
}

func (u jsonUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		s, ok := values[0].(string)
		if !ok {
			return nil, nil
		}
		v := u.f(s)
		if v == nil {
			return nil, nil
		}
		return value.JSON(v), nil
	}}
}

type toDatetimeUDF struct{ in, out duckdb.TypeInfo }

func (f toDatetimeUDF) Config() duckdb.ScalarFuncConfig {
	return duckdb.ScalarFuncConfig{InputTypeInfos: []duckdb.TypeInfo{f.in}, ResultTypeInfo: f.out}
}

func (f toDatetimeUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(values []driver.Value) (any, error) {
		s, ok := values[0].(string)
		if !ok {
			return nil, nil
		}
		t, ok := value.ParseDateTime(s)
		if !ok {
			return nil, nil
		}
		return t.UTC(), nil
	}}
}
