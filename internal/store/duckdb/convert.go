package duckdb

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"time"

	duck "github.com/duckdb/duckdb-go/v2"
	"github.com/google/uuid"

	"github.com/codeless/codeless/internal/schema"
)

// toDriver converts a value following the schema conventions into the Go
// value the DuckDB appender expects for a column of KQL type t. It is
// lenient where the conversion is lossless (any Go integer into int/long/
// real, an integral float into int/long, a guid in any case) and returns an
// error otherwise.
func toDriver(t schema.Type, v any) (driver.Value, error) {
	if v == nil {
		if t == schema.String {
			return "", nil // KQL strings are never null
		}
		return nil, nil
	}
	switch t {
	case schema.String:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case schema.Int:
		n, ok, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		if ok {
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, fmt.Errorf("%d is out of range for int (32-bit)", n)
			}
			return int32(n), nil
		}
	case schema.Long:
		n, ok, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		if ok {
			return n, nil
		}
	case schema.Real, schema.Decimal:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		n, ok, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		if ok {
			if n > 1<<53 || n < -(1<<53) {
				return nil, fmt.Errorf("integer %d cannot be stored as real without losing precision", n)
			}
			return float64(n), nil
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
		if x, ok := v.(time.Duration); ok {
			return int64(x / 100), nil
		}
	case schema.GUID:
		switch x := v.(type) {
		case string:
			if x == "" {
				return nil, nil
			}
			u, err := uuid.Parse(x)
			if err != nil || len(x) != 36 {
				return nil, fmt.Errorf("%q is not a guid (want 8-4-4-4-12 hex digits)", x)
			}
			return duck.UUID(u), nil
		case uuid.UUID:
			return duck.UUID(x), nil
		case [16]byte:
			return duck.UUID(x), nil
		}
	case schema.Dynamic:
		raw, err := appendDynamic(nil, v)
		if err != nil {
			return nil, fmt.Errorf("cannot encode %T as JSON for a dynamic column: %w", v, err)
		}
		// duckdb-go marshals whatever it is given for a JSON column;
		// RawMessage makes it store this text as is.
		return json.RawMessage(raw), nil
	default:
		return nil, fmt.Errorf("unsupported column type %q", t)
	}
	return nil, fmt.Errorf("cannot store %T value %s in a %s column", v, short(v), t)
}

// asInt64 converts Go integers and integral floats; ok is false for
// non-numeric values.
func asInt64(v any) (n int64, ok bool, err error) {
	switch x := v.(type) {
	case int64:
		return x, true, nil
	case int:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case int8:
		return int64(x), true, nil
	case uint8:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, false, fmt.Errorf("%d is out of range for long", x)
		}
		return int64(x), true, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, false, fmt.Errorf("%d is out of range for long", x)
		}
		return int64(x), true, nil
	case float64:
		return floatToInt(x)
	case float32:
		return floatToInt(float64(x))
	}
	return 0, false, nil
}

func floatToInt(f float64) (int64, bool, error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%v is not an integer", f)
	}
	if f < -9.223372036854775808e18 || f >= 9.223372036854775808e18 {
		return 0, false, fmt.Errorf("%v is out of range for long", f)
	}
	return int64(f), true, nil
}

// short renders a value for an error message, cut to 40 characters.
func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
