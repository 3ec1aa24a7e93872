package resource

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// filler copies an ordered JSON tree into a Go value by reflection over the
// struct's json tags, matching keys case-insensitively after trimming, and
// collects every problem with its JSON path instead of stopping at the first.
type filler struct {
	d *diags
	// unresolved receives the JSON paths of scalar fields that held an
	// unresolved ARM expression or {{placeholder}} instead of a value.
	unresolved *[]string
}

// structInfo maps folded key names to field indexes.
type structInfo struct {
	fields map[string]int
	// rawFields is the index of a `json:"-"` map[string]any field named
	// Fields that receives the whole object, or -1.
	rawFields int
}

var structCache sync.Map // reflect.Type -> *structInfo

// keyAliases lists alternative key spellings beyond case and spaces.
var keyAliases = map[reflect.Type]map[string]string{
	reflect.TypeFor[Paging](): {"type": "pagingtype", "pagesizeparaname": "pagesizeparametername"},
}

// knownKeys lists documented keys that the typed model does not hold, so
// they produce no "unknown key" warning (they stay in Meta.Raw).
var knownKeys = map[reflect.Type]map[string]bool{
	reflect.TypeFor[ConnectorUIConfig](): {"availability": true, "isconnectivitycriteriasmatchsome": true},
	reflect.TypeFor[Request](): {"paginatedcallspersecond": true, "logresponsecontent": true,
		"querytimeformatprepend": true, "contenttype": true, "ispostpayloadarray": true},
	reflect.TypeFor[Response](): {"successstatuscodes": true},
	reflect.TypeFor[NextStep](): {"maxparallelism": true},
}

// unsupportedKeys lists keys seen in production connectors whose meaning
// is undocumented; Codeless keeps them but does not act on them.
var unsupportedKeys = map[reflect.Type]map[string]bool{
	reflect.TypeFor[Paging](): {"offsetendparaname": true, "condition": true, "tokentransform": true,
		"isnextpagetokenrelativeurl": true, "step": true, "maxoffsetpath": true},
}

// lenientTypes are filled without type errors or unknown-key warnings: their
// raw Fields map holds everything and type-specific code reads it.
var lenientTypes = map[reflect.Type]bool{
	reflect.TypeFor[Auth](): true,
}

func infoOf(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{fields: map[string]int{}, rawFields: -1}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			if f.Name == "Fields" && f.Type == reflect.TypeFor[map[string]any]() {
				si.rawFields = i
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		si.fields[strings.ToLower(name)] = i
	}
	for alias, target := range keyAliases[t] {
		if i, ok := si.fields[target]; ok {
			si.fields[alias] = i
		}
	}
	structCache.Store(t, si)
	return si
}

// isExpression reports whether s is (or embeds) something resolved at
// deploy or connect time rather than a literal: an ARM expression "[...]",
// an escaped one "[[...]", or a {{placeholder}}.
func isExpression(s string) bool {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		return true
	}
	return strings.Contains(t, "{{") && strings.Contains(t, "}}")
}

func (f *filler) noteUnresolved(path, s string) {
	if f.unresolved != nil {
		*f.unresolved = append(*f.unresolved, path)
	}
	f.d.warnf(path, "unresolved expression %s, checked at connect time", describe(s))
}

// fill stores src into dst (addressable), reporting problems under path.
func (f *filler) fill(dst reflect.Value, src any, path string, lenient bool) {
	if src == nil {
		return // null: keep the zero value
	}
	t := dst.Type()
	switch t.Kind() {
	case reflect.Pointer:
		if s, ok := src.(string); ok && isExpression(s) && t.Elem().Kind() != reflect.Struct && t.Elem().Kind() != reflect.String {
			f.noteUnresolved(path, s)
			return
		}
		v := reflect.New(t.Elem())
		f.fill(v.Elem(), src, path, lenient)
		dst.Set(v)
	case reflect.Struct:
		o, ok := src.(*object)
		if !ok {
			if !lenient {
				f.d.errorf(path, "expected an object, got %s", describe(src))
			}
			return
		}
		f.fillStruct(dst, o, path, lenient || lenientTypes[t])
	case reflect.String:
		switch v := src.(type) {
		case string:
			dst.SetString(v)
		case json.Number:
			dst.SetString(string(v))
		case bool:
			dst.SetString(strconv.FormatBool(v))
		default:
			if !lenient {
				f.d.errorf(path, "expected a string, got %s", describe(src))
			}
		}
	case reflect.Bool:
		switch v := src.(type) {
		case bool:
			dst.SetBool(v)
		case string:
			if isExpression(v) {
				f.noteUnresolved(path, v)
			} else if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
				dst.SetBool(b)
				f.d.warnf(path, "boolean written as a string %s", describe(v))
			} else if !lenient {
				f.d.errorf(path, "expected a boolean, got %s", describe(src))
			}
		default:
			if !lenient {
				f.d.errorf(path, "expected a boolean, got %s", describe(src))
			}
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		num, ok := f.number(src, path, lenient)
		if !ok {
			return
		}
		if num != math.Trunc(num) || math.Abs(num) > 1<<53 {
			if !lenient {
				f.d.errorf(path, "expected a whole number, got %s", describe(src))
			}
			return
		}
		dst.SetInt(int64(num))
	case reflect.Float64, reflect.Float32:
		if num, ok := f.number(src, path, lenient); ok {
			dst.SetFloat(num)
		}
	case reflect.Slice:
		arr, ok := src.([]any)
		if !ok {
			if _, isObj := src.(*object); !isObj && t.Elem().Kind() == reflect.String {
				// A single string where a list is expected (connectivityCriteria
				// value, documented both ways).
				arr = []any{src}
			} else {
				if !lenient {
					f.d.errorf(path, "expected an array, got %s", describe(src))
				}
				return
			}
		}
		s := reflect.MakeSlice(t, len(arr), len(arr))
		for i, e := range arr {
			f.fill(s.Index(i), e, indexPath(path, i), lenient)
		}
		dst.Set(s)
	case reflect.Map:
		o, ok := src.(*object)
		if !ok {
			if !lenient {
				f.d.errorf(path, "expected an object, got %s", describe(src))
			}
			return
		}
		m := reflect.MakeMapWithSize(t, len(o.Keys))
		for i, k := range o.Keys {
			ev := reflect.New(t.Elem()).Elem()
			f.fill(ev, o.Vals[i], childPath(path, k), lenient)
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(m)
	case reflect.Interface:
		dst.Set(reflect.ValueOf(plain(src)))
	default:
		f.d.errorf(path, "cannot decode into %s", t)
	}
}

// number reads a JSON number, or a numeric string, or records an
// unresolved expression (ok=false, no error).
func (f *filler) number(src any, path string, lenient bool) (float64, bool) {
	switch v := src.(type) {
	case json.Number:
		n, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			f.d.errorf(path, "expected a number, got %s", describe(src))
			return 0, false
		}
		return n, true
	case string:
		if isExpression(v) {
			f.noteUnresolved(path, v)
			return 0, false
		}
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
			f.d.warnf(path, "number written as a string %s", describe(v))
			return n, true
		}
	}
	if !lenient {
		f.d.errorf(path, "expected a number, got %s", describe(src))
	}
	return 0, false
}

func (f *filler) fillStruct(dst reflect.Value, o *object, path string, lenient bool) {
	t := dst.Type()
	si := infoOf(t)
	seen := map[int]string{}
	for i, k := range o.Keys {
		kp := childPath(path, k)
		key := strings.TrimSpace(k)
		if key != k && !lenient {
			f.d.warnf(kp, "key %q has surrounding spaces (read as %q)", k, key)
		}
		fold := strings.ToLower(key)
		idx, ok := si.fields[fold]
		if !ok {
			if !lenient && unsupportedKeys[t][fold] {
				f.d.warnf(kp, "key %q is undocumented and not supported by Codeless (kept)", k)
			} else if !lenient && !knownKeys[t][fold] {
				if near := nearest(fold, t); near != "" {
					f.d.warnf(kp, "unknown key %q (kept, not used by Codeless); did you mean %q?", k, near)
				} else {
					f.d.warnf(kp, "unknown key %q (kept, not used by Codeless)", k)
				}
			}
			continue
		}
		if prev, dup := seen[idx]; dup {
			f.d.warnf(kp, "key %q repeats %q (the last one wins)", k, prev)
		}
		seen[idx] = k
		f.fill(dst.Field(idx), o.Vals[i], kp, lenient)
	}
	if si.rawFields >= 0 {
		dst.Field(si.rawFields).Set(reflect.ValueOf(plain(o)))
	}
}

// nearest returns the json name of t's field closest to key (folded) when
// it is a likely typo (edit distance at most 2, or 4 for keys of 12+ characters).
func nearest(key string, t reflect.Type) string {
	best, bestD := "", 3
	if len(key) >= 12 {
		bestD = 5
	}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		if d := editDistance(key, strings.ToLower(name)); d < bestD {
			best, bestD = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
