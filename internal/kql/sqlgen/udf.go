package sqlgen

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/codeless/codeless/internal/kql/value"
)

// udfToDatetime is the DuckDB scalar function RegisterFunctions installs.
const udfToDatetime = "kql_todatetime"

// RegisterFunctions installs Codeless' DuckDB scalar functions on the
// connection c: kql_todatetime(VARCHAR) → TIMESTAMP parses a string with
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
	return nil
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
