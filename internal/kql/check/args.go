package check

import (
	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/schema"
)

// argKinds gives the accepted argument kinds per position; the last kind
// repeats for further arguments. Kinds: A any, S string, N number,
// D datetime, T timespan, B bool, Y dynamic. Dynamic values are accepted
// for every kind (their type is only known per row). Functions not listed
// accept any arguments.
var argKinds = map[string]string{
	"now": "T", "ago": "T",
	"datetime_add": "SND", "datetime_diff": "SDD", "datetime_part": "SD",
	"dayofmonth": "D", "dayofweek": "D", "dayofyear": "D", "getmonth": "D", "getyear": "D", "hourofday": "D", "weekofyear": "D",
	"startofday": "DN", "startofweek": "DN", "startofmonth": "DN", "startofyear": "DN",
	"endofday": "DN", "endofweek": "DN", "endofmonth": "DN", "endofyear": "DN",
	"make_datetime": "N", "make_timespan": "N", "unixtime_seconds_todatetime": "N", "unixtime_milliseconds_todatetime": "N",
	"array_concat": "Y", "array_length": "Y", "bag_keys": "Y", "zip": "Y",
	"abs": "N", "ceiling": "N", "exp": "N", "exp10": "N", "exp2": "N", "log": "N", "log10": "N", "log2": "N",
	"pow": "N", "sqrt": "N", "round": "N", "sign": "N", "isfinite": "N", "isinf": "N", "isnan": "N",
	"iff": "BA", "iif": "BA", "not": "B", "max_of": "O", "min_of": "O",
	"base64_encodestring": "S", "base64_encode_tostring": "S", "base64_decodestring": "S", "base64_decode_tostring": "S",
	"countof": "S", "extract": "SNSA", "extract_all": "S", "indexof": "SSN", "split": "SSN",
	"strlen": "S", "parse_xml": "S", "substring": "SN", "tolower": "S", "toupper": "S",
	"replace": "S", "replace_string": "S", "replace_regex": "S", "trim": "S", "trim_start": "S", "trim_end": "S",
	"strcat_delim": "SA", "strcat_array": "YS",
	"binary_and": "N", "binary_or": "N", "binary_xor": "N", "binary_not": "N", "binary_shift_left": "N", "binary_shift_right": "N",
	"parse_cef_dictionary": "S",
}

func kindAccepts(k byte, t schema.Type) bool {
	if t == schema.Dynamic || k == 'A' {
		return true
	}
	switch k {
	case 'S':
		return t == schema.String || t == schema.GUID
	case 'N':
		return isNumeric(t)
	case 'D':
		return t == schema.DateTime
	case 'T':
		return t == schema.TimeSpan
	case 'B':
		return t == schema.Bool
	case 'Y':
		return false
	case 'O':
		return isNumeric(t) || t == schema.DateTime || t == schema.TimeSpan || t == schema.String
	}
	return true
}

var kindNames = map[byte]string{'O': "a number, string, datetime or timespan", 'S': "a string", 'N': "a number", 'D': "a datetime", 'T': "a timespan", 'B': "a bool", 'Y': "a dynamic value"}

// checkArgs validates argument types against argKinds and the special
// rules of case, pack and bin.
func (c *checker) checkArgs(name string, call *syntax.Call, args []Expr) *syntax.Error {
	bad := func(i int, want string) *syntax.Error {
		return c.errf(call.Args[i].Pos(), "%s: argument %d must be %s, got %s", name, i+1, want, args[i].Type())
	}
	switch name {
	case "case":
		for i := 0; i+1 < len(args); i += 2 {
			if !kindAccepts('B', args[i].Type()) {
				return bad(i, "a bool")
			}
		}
		return nil
	case "pack", "bag_pack":
		for i := 0; i < len(args); i += 2 {
			if !kindAccepts('S', args[i].Type()) {
				return bad(i, "a string key")
			}
		}
		return nil
	case "bin", "floor":
		t := args[0].Type()
		want := byte('N')
		if t == schema.DateTime || t == schema.TimeSpan {
			want = 'T'
		}
		if !kindAccepts(want, args[1].Type()) {
			return bad(1, kindNames[want])
		}
		return nil
	}
	kinds, ok := argKinds[name]
	if !ok {
		return nil
	}
	if name == "datetime_add" && len(args) > 1 {
		// The amount must be an integer (KS134 in Kusto.Language: reals
		// and dynamic values are refused).
		if t := args[1].Type(); t != schema.Int && t != schema.Long {
			return bad(1, "an integer (int or long)")
		}
	}
	for i := range args {
		k := kinds[len(kinds)-1]
		if i < len(kinds) {
			k = kinds[i]
		}
		if !kindAccepts(k, args[i].Type()) {
			return bad(i, kindNames[k])
		}
	}
	return nil
}

// ArgKind reports the kind of scalar a function expects at argument i
// ('A' any, 'S' string, 'N' number, 'D' datetime, 'T' timespan, 'B' bool,
// 'Y' dynamic), for backends that must convert dynamic arguments.
func ArgKind(fn string, i int, args []Expr) byte {
	switch fn {
	case "case":
		if i%2 == 0 && i < len(args)-1 {
			return 'B'
		}
		return 'A'
	case "pack", "bag_pack":
		if i%2 == 0 {
			return 'S'
		}
		return 'A'
	case "bin", "floor":
		if i == 1 && len(args) > 0 && (args[0].Type() == schema.DateTime || args[0].Type() == schema.TimeSpan) {
			return 'T'
		}
		return 'N'
	}
	kinds, ok := argKinds[fn]
	if !ok || kinds == "" {
		return 'A'
	}
	if i < len(kinds) {
		return kinds[i]
	}
	return kinds[len(kinds)-1]
}
