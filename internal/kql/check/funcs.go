package check

import (
	"regexp"
	"sort"

	"github.com/codeless/codeless/internal/kql/syntax"
	"github.com/codeless/codeless/internal/kql/value"
	"github.com/codeless/codeless/internal/schema"
)

// resultFn computes a function's result type from its checked arguments.
type resultFn func(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error)

// fnSig describes a scalar function.
type fnSig struct {
	min, max int // max < 0: variadic
	dcr      bool
	result   resultFn
}

func fixed(t schema.Type) resultFn {
	return func(*checker, *syntax.Call, []Expr) (schema.Type, *syntax.Error) { return t, nil }
}

// argType returns the type of argument i.
func argType(i int) resultFn {
	return func(_ *checker, _ *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
		return args[i].Type(), nil
	}
}

// commonOf unifies the types of the given argument indexes (iff branches, case values).
func commonOf(idx func(n int) []int) resultFn {
	return func(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
		var t schema.Type
		for _, i := range idx(len(args)) {
			u, ok := unify(t, args[i].Type(), isNullConst(args[i]))
			if !ok {
				return "", c.errf(args[i].Span().From, "%s: argument types differ (%s and %s)", call.Fn.Name, t, args[i].Type())
			}
			t = u
		}
		if t == "" {
			t = schema.Dynamic
		}
		return t, nil
	}
}

func isNullConst(e Expr) bool {
	k, ok := e.(*Const)
	return ok && k.Value == nil && k.T != schema.String
}

func isNumeric(t schema.Type) bool {
	return t == schema.Int || t == schema.Long || t == schema.Real || t == schema.Decimal
}

// unify returns the common type of a and b ("" means unknown so far).
// A null constant unifies with anything.
func unify(a, b schema.Type, bNull bool) (schema.Type, bool) {
	switch {
	case a == "":
		return b, true
	case a == b:
		return a, true
	case bNull:
		return a, true
	case isNumeric(a) && isNumeric(b):
		if a == schema.Real || b == schema.Real || a == schema.Decimal || b == schema.Decimal {
			return schema.Real, true
		}
		return schema.Long, true
	case a == schema.Dynamic || b == schema.Dynamic:
		return schema.Dynamic, true
	}
	return "", false
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func numericResult(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
	t := args[0].Type()
	if !isNumeric(t) && t != schema.Dynamic {
		return "", c.errf(args[0].Span().From, "%s needs a number, got %s", call.Fn.Name, t)
	}
	return t, nil
}

func binResult(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
	t := args[0].Type()
	switch {
	case isNumeric(t), t == schema.DateTime, t == schema.TimeSpan, t == schema.Dynamic:
		return t, nil
	}
	return "", c.errf(args[0].Span().From, "%s needs a number, datetime or timespan, got %s", call.Fn.Name, t)
}

// binAtResult checks bin_at(value, size, fixed): size is a timespan for
// datetime and timespan values, a number for numbers; fixed has the
// value's type (Kusto.Language: KS107 otherwise).
func binAtResult(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
	t := args[0].Type()
	size, fixed := schema.TimeSpan, t
	switch {
	case t == schema.DateTime, t == schema.TimeSpan:
	case isNumeric(t):
		size = schema.Real
	default:
		return "", c.errf(args[0].Span().From, "bin_at needs a number, datetime or timespan, got %s", t)
	}
	for i, want := range []schema.Type{size, fixed} {
		got := args[i+1].Type()
		if got != want && !(isNumeric(want) && isNumeric(got)) {
			return "", c.errf(args[i+1].Span().From, "bin_at: argument %d must be a %s, got %s", i+2, want, got)
		}
	}
	return t, nil
}

func regexArg(i int, rt schema.Type) resultFn {
	return func(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
		if k, ok := args[i].(*Const); ok {
			if s, ok := k.Value.(string); ok {
				if _, err := regexp.Compile(s); err != nil {
					return "", c.errf(args[i].Span().From, "%s: invalid regular expression: %v", call.Fn.Name, err)
				}
			}
		}
		return rt, nil
	}
}

// formatResult checks format_datetime/format_timespan: the value must be
// of type t (Kusto.Language refuses dynamic here, KS107) and the format a
// constant string of supported elements (KS131 for non-constants).
func formatResult(t schema.Type) resultFn {
	return func(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
		if args[0].Type() != t {
			return "", c.errf(args[0].Span().From, "%s needs a %s, got %s", call.Fn.Name, t, args[0].Type())
		}
		k, ok := args[1].(*Const)
		f, isStr := "", false
		if ok {
			f, isStr = k.Value.(string)
		}
		if !isStr {
			return "", c.errf(args[1].Span().From, "%s needs a constant format string", call.Fn.Name)
		}
		parse := value.ParseDateTimeFormat
		if t == schema.TimeSpan {
			parse = value.ParseTimespanFormat
		}
		if _, err := parse(f); err != nil {
			return "", c.errf(args[1].Span().From, "%s: %v", call.Fn.Name, err)
		}
		return schema.String, nil
	}
}

// constRegexArg is regexArg for functions whose regular expression must
// be a constant (trim, trim_start, trim_end: KS129 in Kusto.Language).
func constRegexArg(i int, rt schema.Type) resultFn {
	return func(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
		if _, ok := args[i].(*Const); !ok {
			return "", c.errf(args[i].Span().From, "%s needs a constant regular expression", call.Fn.Name)
		}
		return regexArg(i, rt)(c, call, args)
	}
}

func extractResult(c *checker, call *syntax.Call, args []Expr) (schema.Type, *syntax.Error) {
	if _, err := regexArg(0, "")(c, call, args); err != nil {
		return "", err
	}
	return schema.String, nil
}

// functions is the scalar function registry. dcr marks the functions of the
// DCR transformation subset (reference/kql.md §1.6 plus iff, replace,
// replace_string, replace_regex, coalesce accepted by SPEC §5).
var functions = map[string]fnSig{
	// conversion
	"tostring":   {1, 1, true, fixed(schema.String)},
	"toint":      {1, 1, true, fixed(schema.Int)},
	"tolong":     {1, 1, true, fixed(schema.Long)},
	"todouble":   {1, 1, true, fixed(schema.Real)},
	"toreal":     {1, 1, true, fixed(schema.Real)},
	"todecimal":  {1, 1, false, fixed(schema.Real)},
	"tobool":     {1, 1, true, fixed(schema.Bool)},
	"toboolean":  {1, 1, true, fixed(schema.Bool)},
	"todatetime": {1, 1, true, fixed(schema.DateTime)},
	"totimespan": {1, 1, true, fixed(schema.TimeSpan)},
	"totime":     {1, 1, false, fixed(schema.TimeSpan)},
	"toguid":     {1, 1, true, fixed(schema.GUID)},
	"todynamic":  {1, 1, true, fixed(schema.Dynamic)},
	"toobject":   {1, 1, false, fixed(schema.Dynamic)},
	"parse_json": {1, 1, true, fixed(schema.Dynamic)},
	"parse_xml":  {1, 1, true, fixed(schema.Dynamic)},
	// datetime
	"now":                              {0, 1, true, fixed(schema.DateTime)},
	"ago":                              {1, 1, true, fixed(schema.DateTime)},
	"datetime_add":                     {3, 3, true, fixed(schema.DateTime)},
	"datetime_diff":                    {3, 3, true, fixed(schema.Long)},
	"datetime_part":                    {2, 2, true, fixed(schema.Int)},
	"dayofmonth":                       {1, 1, true, fixed(schema.Int)},
	"dayofweek":                        {1, 1, true, fixed(schema.TimeSpan)},
	"dayofyear":                        {1, 1, true, fixed(schema.Int)},
	"endofday":                         {1, 2, true, fixed(schema.DateTime)},
	"endofmonth":                       {1, 2, true, fixed(schema.DateTime)},
	"endofweek":                        {1, 2, true, fixed(schema.DateTime)},
	"endofyear":                        {1, 2, true, fixed(schema.DateTime)},
	"startofday":                       {1, 2, true, fixed(schema.DateTime)},
	"startofmonth":                     {1, 2, true, fixed(schema.DateTime)},
	"startofweek":                      {1, 2, true, fixed(schema.DateTime)},
	"startofyear":                      {1, 2, true, fixed(schema.DateTime)},
	"getmonth":                         {1, 1, true, fixed(schema.Int)},
	"getyear":                          {1, 1, true, fixed(schema.Int)},
	"hourofday":                        {1, 1, true, fixed(schema.Int)},
	"weekofyear":                       {1, 1, true, fixed(schema.Int)},
	"make_datetime":                    {1, 7, true, fixed(schema.DateTime)},
	"make_timespan":                    {2, 5, true, fixed(schema.TimeSpan)},
	"unixtime_seconds_todatetime":      {1, 1, false, fixed(schema.DateTime)},
	"unixtime_milliseconds_todatetime": {1, 1, false, fixed(schema.DateTime)},
	// dynamic
	"array_concat": {1, -1, true, fixed(schema.Dynamic)},
	"array_length": {1, 1, true, fixed(schema.Long)},
	"pack_array":   {0, -1, true, fixed(schema.Dynamic)},
	"pack":         {0, -1, true, fixed(schema.Dynamic)},
	"bag_pack":     {0, -1, false, fixed(schema.Dynamic)},
	"zip":          {1, -1, true, fixed(schema.Dynamic)},
	"bag_keys":     {1, 1, false, fixed(schema.Dynamic)},
	// math
	"abs":      {1, 1, true, numericResult},
	"bin":      {2, 2, true, binResult},
	"floor":    {2, 2, true, binResult},
	"bin_at":   {3, 3, false, binAtResult},
	"ceiling":  {1, 1, true, numericResult},
	"exp":      {1, 1, true, fixed(schema.Real)},
	"exp10":    {1, 1, true, fixed(schema.Real)},
	"exp2":     {1, 1, true, fixed(schema.Real)},
	"log":      {1, 1, true, fixed(schema.Real)},
	"log10":    {1, 1, true, fixed(schema.Real)},
	"log2":     {1, 1, true, fixed(schema.Real)},
	"pow":      {2, 2, true, fixed(schema.Real)},
	"sqrt":     {1, 1, false, fixed(schema.Real)},
	"round":    {1, 2, true, numericResult},
	"sign":     {1, 1, true, numericResult},
	"isfinite": {1, 1, true, fixed(schema.Bool)},
	"isinf":    {1, 1, true, fixed(schema.Bool)},
	"isnan":    {1, 1, true, fixed(schema.Bool)},
	// conditional
	"iff":      {3, 3, true, commonOf(func(int) []int { return []int{1, 2} })},
	"iif":      {3, 3, true, commonOf(func(int) []int { return []int{1, 2} })},
	"case":     {3, -1, true, commonOf(caseValues)},
	"coalesce": {1, -1, true, commonOf(all)},
	"max_of":   {1, -1, true, commonOf(all)},
	"min_of":   {1, -1, true, commonOf(all)},
	"not":      {1, 1, true, fixed(schema.Bool)},
	// string
	"base64_encodestring":    {1, 1, true, fixed(schema.String)},
	"base64_encode_tostring": {1, 1, false, fixed(schema.String)},
	"base64_decodestring":    {1, 1, true, fixed(schema.String)},
	"base64_decode_tostring": {1, 1, false, fixed(schema.String)},
	"countof":                {2, 3, true, fixed(schema.Long)},
	"extract":                {3, 4, true, extractResult},
	"extract_all":            {2, 3, true, regexArg(0, schema.Dynamic)},
	"indexof":                {2, 5, true, fixed(schema.Long)},
	"isempty":                {1, 1, true, fixed(schema.Bool)},
	"isnotempty":             {1, 1, true, fixed(schema.Bool)},
	"split":                  {2, 3, true, fixed(schema.Dynamic)},
	"strcat":                 {1, -1, true, fixed(schema.String)},
	"strcat_delim":           {3, -1, true, fixed(schema.String)},
	"strcat_array":           {2, 2, false, fixed(schema.String)},
	"strlen":                 {1, 1, true, fixed(schema.Long)},
	"substring":              {2, 3, true, fixed(schema.String)},
	"tolower":                {1, 1, true, fixed(schema.String)},
	"toupper":                {1, 1, true, fixed(schema.String)},
	"hash_sha256":            {1, 1, true, fixed(schema.String)},
	"replace":                {3, 3, true, regexArg(0, schema.String)},
	"replace_string":         {3, 3, true, fixed(schema.String)},
	"replace_regex":          {3, 3, true, regexArg(1, schema.String)},
	"trim":                   {2, 2, false, constRegexArg(0, schema.String)},
	"trim_start":             {2, 2, false, constRegexArg(0, schema.String)},
	"trim_end":               {2, 2, false, constRegexArg(0, schema.String)},
	"reverse":                {1, 1, false, fixed(schema.String)},
	"format_datetime":        {2, 2, false, formatResult(schema.DateTime)},
	"format_timespan":        {2, 2, false, formatResult(schema.TimeSpan)},
	// type
	"gettype":   {1, 1, true, fixed(schema.String)},
	"isnull":    {1, 1, true, fixed(schema.Bool)},
	"isnotnull": {1, 1, true, fixed(schema.Bool)},
	// bitwise
	"binary_and":         {2, 2, true, fixed(schema.Long)},
	"binary_or":          {2, 2, true, fixed(schema.Long)},
	"binary_xor":         {2, 2, true, fixed(schema.Long)},
	"binary_not":         {1, 1, true, fixed(schema.Long)},
	"binary_shift_left":  {2, 2, true, fixed(schema.Long)},
	"binary_shift_right": {2, 2, true, fixed(schema.Long)},
	// transformation-only
	"parse_cef_dictionary": {1, 1, true, fixed(schema.Dynamic)},
}

func caseValues(n int) []int {
	var out []int
	for i := 1; i < n; i += 2 {
		out = append(out, i)
	}
	return append(out, n-1)
}

// aggregates lists the summarize aggregation functions: name → (min, max args).
var aggregates = map[string][2]int{
	"count": {0, 1}, "countif": {1, 1}, "sum": {1, 1}, "min": {1, 1}, "max": {1, 1},
	"avg": {1, 1}, "dcount": {1, 2}, "make_list": {1, 2}, "make_set": {1, 2},
	"take_any": {1, 1}, "any": {1, 1}, "sumif": {2, 2},
	"percentile": {2, 2}, "arg_max": {1, -1}, "arg_min": {1, -1},
	"percentiles": {2, -1}, "percentiles_array": {2, -1},
	"stdev": {1, 1}, "stdevp": {1, 1}, "variance": {1, 1}, "variancep": {1, 1},
	"stdevif": {2, 2}, "varianceif": {2, 2}, "avgif": {2, 2}, "maxif": {2, 2}, "minif": {2, 2},
	"dcountif": {2, 3}, "make_bag": {1, 2}, "make_bag_if": {2, 3}, "make_list_if": {2, 3}, "make_set_if": {2, 3},
}

// FunctionNames lists the known scalar functions (sorted), for docs and tests.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// IsDCRFunction reports whether name is in the DCR transformation subset.
func IsDCRFunction(name string) bool {
	f, ok := functions[name]
	return ok && f.dcr || name == "columnifexists" || name == "column_ifexists"
}
