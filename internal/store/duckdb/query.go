package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	duck "github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"

	"github.com/codeless/codeless/internal/schema"
	"github.com/codeless/codeless/internal/store"
)

// ErrNotReadOnly is returned by Query for SQL that is not one SELECT.
var ErrNotReadOnly = errors.New("only a single SELECT statement is allowed")

// Query implements store.Tables. The SQL must be exactly one SELECT (checked
// with DuckDB's own parser) and runs in a READ ONLY transaction.
func (d *DB) Query(ctx context.Context, query string, args ...any) (*store.Result, error) {
	if d.isClosed() {
		return nil, ErrClosed
	}
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("query: get connection: %w", err)
	}
	defer conn.Close()
	if err := checkSelect(ctx, conn, query); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION READ ONLY`); err != nil {
		return nil, fmt.Errorf("query: begin: %w", err)
	}
	res, qerr := runQuery(ctx, conn, query, args)
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		// Do not hand a connection with an open transaction back to the pool.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		if qerr == nil {
			qerr = fmt.Errorf("end read transaction: %w", err)
		}
	}
	if qerr != nil {
		return nil, fmt.Errorf("query: %w", qerr)
	}
	return res, nil
}

// checkSelect asks DuckDB's parser whether query is exactly one SELECT:
// json_serialize_sql refuses every other statement kind and returns one
// entry per statement.
func checkSelect(ctx context.Context, conn *sql.Conn, query string) error {
	var out string
	if err := conn.QueryRowContext(ctx, `SELECT json_serialize_sql(?::VARCHAR)::VARCHAR`, query).Scan(&out); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	var parsed struct {
		Error        bool              `json:"error"`
		ErrorType    string            `json:"error_type"`
		ErrorMessage string            `json:"error_message"`
		Statements   []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &parsed); err != nil {
		return fmt.Errorf("parse: unexpected parser answer: %w", err)
	}
	if parsed.Error {
		if parsed.ErrorType == "not implemented" || strings.Contains(parsed.ErrorMessage, "Only SELECT") {
			return ErrNotReadOnly
		}
		return fmt.Errorf("parse: %s", parsed.ErrorMessage)
	}
	if len(parsed.Statements) != 1 {
		return fmt.Errorf("%w (got %d statements)", ErrNotReadOnly, len(parsed.Statements))
	}
	return nil
}

// jsonAsText rewrites query so that its top-level JSON columns arrive as
// text: duckdb-go decodes JSON with encoding/json into float64, which would
// round integers beyond 2^53. jsonCols marks the rewritten columns. It
// returns "" when there is nothing to do (or DESCRIBE fails, in which case
// running the query reports the error).
func jsonAsText(ctx context.Context, conn *sql.Conn, query string, args []any) (wrapped string, jsonCols []bool) {
	rows, err := conn.QueryContext(ctx, `DESCRIBE `+query, args...)
	if err != nil {
		return "", nil
	}
	defer rows.Close()
	var cols []string
	found := false
	for rows.Next() {
		var name, typ string
		var n1, n2, n3, n4 any
		if err := rows.Scan(&name, &typ, &n1, &n2, &n3, &n4); err != nil {
			return "", nil
		}
		ref := fmt.Sprintf("#%d", len(cols)+1)
		jsonCols = append(jsonCols, typ == "JSON")
		if typ == "JSON" {
			ref += "::VARCHAR"
			found = true
		}
		cols = append(cols, ref+" AS "+quoteIdent(name))
	}
	if rows.Err() != nil || !found {
		return "", nil
	}
	inner := strings.TrimRight(query, " \t\r\n;")
	return "SELECT " + strings.Join(cols, ", ") + " FROM (" + inner + "\n) AS \"__codeless_q\"", jsonCols
}

func runQuery(ctx context.Context, conn *sql.Conn, query string, args []any) (*store.Result, error) {
	var rows *sql.Rows
	var err error
	wrapped, textJSON := jsonAsText(ctx, conn, query, args)
	if wrapped != "" {
		rows, err = conn.QueryContext(ctx, wrapped, args...)
		if err != nil && ctx.Err() == nil {
			// A form the wrapper cannot hold (e.g. a trailing comment
			// after a semicolon): run the query as given.
			textJSON = nil
			rows, err = conn.QueryContext(ctx, query, args...)
		}
	} else {
		rows, err = conn.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("column types: %w", err)
	}
	res := &store.Result{Columns: make(schema.Schema, len(cts)), Rows: [][]any{}}
	isJSON := make([]bool, len(cts))
	for i, ct := range cts {
		res.Columns[i] = schema.Column{Name: ct.Name(), Type: kqlType(ct.DatabaseTypeName())}
		isJSON[i] = ct.DatabaseTypeName() == "JSON"
	}
	for i, isText := range textJSON {
		if isText && i < len(res.Columns) {
			res.Columns[i].Type = schema.Dynamic
		}
	}
	vals := make([]any, len(cts))
	ptrs := make([]any, len(cts))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("row %d: %w", len(res.Rows), err)
		}
		row := make([]any, len(cts))
		for i, v := range vals {
			if isJSON[i] {
				row[i] = jsonNumbers(v)
				continue
			}
			if i < len(textJSON) && textJSON[i] {
				if s, ok := v.(string); ok {
					dv, err := decodeJSON(s)
					if err != nil {
						return nil, fmt.Errorf("row %d, column %q: %w", len(res.Rows), res.Columns[i].Name, err)
					}
					row[i] = dv
					continue
				}
			}
			cv, err := fromDuck(res.Columns[i].Type, v)
			if err != nil {
				return nil, fmt.Errorf("row %d, column %q: %w", len(res.Rows), res.Columns[i].Name, err)
			}
			row[i] = cv
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// kqlType maps a DuckDB result type name to the KQL type of its values.
func kqlType(db string) schema.Type {
	switch {
	case db == "VARCHAR", db == "BLOB", db == "BIT", strings.HasPrefix(db, "ENUM"):
		return schema.String
	case db == "JSON", db == "NULL", strings.HasSuffix(db, "]"), strings.HasPrefix(db, "STRUCT"), strings.HasPrefix(db, "MAP"), strings.HasPrefix(db, "UNION"):
		return schema.Dynamic
	case db == "INTEGER", db == "SMALLINT", db == "TINYINT", db == "USMALLINT", db == "UTINYINT":
		return schema.Int
	case db == "BIGINT", db == "HUGEINT", db == "UBIGINT", db == "UINTEGER", db == "UHUGEINT":
		return schema.Long
	case db == "DOUBLE", db == "FLOAT", strings.HasPrefix(db, "DECIMAL"):
		return schema.Real
	case db == "BOOLEAN":
		return schema.Bool
	case strings.HasPrefix(db, "TIMESTAMP"), db == "DATE":
		return schema.DateTime
	case db == "INTERVAL", db == "TIME":
		return schema.TimeSpan
	case db == "UUID":
		return schema.GUID
	}
	return schema.String
}

// fromDuck converts a scanned DuckDB value to the schema conventions for a
// column of KQL type t.
func fromDuck(t schema.Type, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case schema.String:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return base64.StdEncoding.EncodeToString(x), nil
		}
		return fmt.Sprint(v), nil
	case schema.Int, schema.Long:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int8:
			return int64(x), nil
		case uint8:
			return int64(x), nil
		case uint16:
			return int64(x), nil
		case uint32:
			return int64(x), nil
		case uint64:
			if x > math.MaxInt64 {
				return nil, fmt.Errorf("%d does not fit a long", x)
			}
			return int64(x), nil
		case *big.Int:
			if !x.IsInt64() {
				return nil, fmt.Errorf("%s does not fit a long", x)
			}
			return x.Int64(), nil
		}
	case schema.Real:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case duck.Decimal:
			return x.Float64(), nil
		}
	case schema.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case schema.DateTime:
		if x, ok := v.(time.Time); ok {
			return x.UTC(), nil
		}
	case schema.TimeSpan:
		switch x := v.(type) {
		case duck.Interval:
			// KQL has no months: a month counts as 30 days.
			return time.Duration(int64(x.Months)*30+int64(x.Days))*24*time.Hour + time.Duration(x.Micros)*time.Microsecond, nil
		case time.Time:
			h, m, s := x.Clock()
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(x.Nanosecond()), nil
		}
	case schema.GUID:
		switch x := v.(type) {
		case []byte:
			u, err := uuid.FromBytes(x)
			if err != nil {
				return nil, fmt.Errorf("uuid: %w", err)
			}
			return u.String(), nil
		case string:
			return strings.ToLower(x), nil
		}
	case schema.Dynamic:
		return toDynamic(v), nil
	}
	return nil, fmt.Errorf("unexpected %T value for a %s column", v, t)
}

// decodeJSON decodes JSON text into dynamic values: objects as
// map[string]any, arrays as []any, integers as int64 (exactly), other
// numbers as float64.
func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = numbers(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = numbers(x[k])
		}
		return x
	}
	return v
}

// jsonNumbers turns the numbers of a JSON value, which duckdb-go decodes
// with encoding/json into float64, into int64 when they are integral and
// exactly representable (|n| <= 2^53). Known limit: JSON integers beyond
// 2^53 come back rounded, and 1.0 comes back as 1.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = jsonNumbers(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = jsonNumbers(x[k])
		}
		return x
	}
	return v
}

// toDynamic converts nested DuckDB values (LIST, STRUCT, MAP) to dynamic.
func toDynamic(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return x
	case int32, int16, int8, uint8, uint16, uint32, uint64, *big.Int:
		n, err := fromDuck(schema.Long, x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return n
	case float32:
		return float64(x)
	case duck.Decimal:
		return x.Float64()
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case duck.Interval:
		d, _ := fromDuck(schema.TimeSpan, x)
		return d.(time.Duration).String()
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = toDynamic(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = toDynamic(e)
		}
		return out
	case duck.OrderedMap:
		out := make(map[string]any, x.Len())
		vals := x.Values()
		for i, k := range x.Keys() {
			out[fmt.Sprint(k)] = toDynamic(vals[i])
		}
		return out
	case duck.Union:
		return toDynamic(x.Value)
	case duck.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = toDynamic(e)
		}
		return out
	}
	var buf bytes.Buffer
	fmt.Fprint(&buf, v)
	return buf.String()
}
