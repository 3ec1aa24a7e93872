package drytest

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strings"

	"github.com/codeless/codeless/internal/httpx"
	"github.com/codeless/codeless/internal/secrets"
)

// secretWords are substrings of parameter names whose values are treated as
// secrets (ApiToken, clientSecret, adminPassword, x_api_key, ...). This is
// broader than secrets.IsSecretKey on purpose: a --param name is free text
// chosen by the connector author, and a false positive only hides a value
// in the dry-run report.
var secretWords = []string{"password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "credential", "passphrase", "privatekey", "private_key"}

// isSecretParam reports whether a --param name looks like it holds a secret.
func isSecretParam(name string) bool {
	if secrets.IsSecretKey(name) {
		return true
	}
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// authSecrets collects every secret value inside an "auth" object anywhere
// in v (the connection's auth and each nested step's auth), after
// placeholder resolution: values of secret keys (password, apiKey,
// clientSecret, userToken, ...) and the value of {key, value} credentials.
func authSecrets(v any, inAuth bool, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch {
			case inAuth && secrets.IsSecretKey(k):
				secretLeaves(e, out)
			default:
				authSecrets(e, inAuth || strings.EqualFold(strings.TrimSpace(k), "auth"), out)
			}
		}
	case []any:
		for _, e := range x {
			authSecrets(e, inAuth, out)
		}
	}
}

// secretLeaves adds the strings of a secret value: the string itself, or for
// {key, value} credentials every string except the key's name.
func secretLeaves(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case map[string]any:
		for k, e := range x {
			if strings.EqualFold(k, "key") {
				continue
			}
			secretLeaves(e, out)
		}
	case []any:
		for _, e := range x {
			secretLeaves(e, out)
		}
	}
}

// redactor replaces every known secret (and its URL-encoded and Basic-auth
// forms) in text shown to the user.
type redactor struct {
	secrets []string
}

func newRedactor() *redactor { return &redactor{} }

// add registers secret values. Empty values are ignored; each value is also
// registered URL-escaped (query and path forms) and base64-encoded, since a
// secret may travel in a query string or in a Basic header.
func (r *redactor) add(vals ...string) {
	for _, v := range vals {
		if strings.TrimSpace(v) == "" {
			continue
		}
		r.secrets = append(r.secrets, v, url.QueryEscape(v), url.PathEscape(v),
			base64.StdEncoding.EncodeToString([]byte(v)))
	}
}

// addBasic registers the Basic-auth header value of user:password.
func (r *redactor) addBasic(user, password string) {
	if password == "" {
		return
	}
	r.secrets = append(r.secrets, base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
}

// list returns the distinct secrets, longest first, so that a secret that
// contains another is replaced whole.
func (r *redactor) list() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range r.secrets {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func (r *redactor) redact(s string) string {
	if s == "" {
		return s
	}
	return httpx.Redact(s, r.list())
}

// apply redacts every string the report prints that did not come from the
// source API: request URLs and errors, warnings and errors.
func (r *redactor) apply(rep *Report) {
	for i := range rep.Requests {
		rep.Requests[i].URL = r.redact(rep.Requests[i].URL)
		rep.Requests[i].Error = r.redact(rep.Requests[i].Error)
	}
	for i := range rep.Warnings {
		rep.Warnings[i] = r.redact(rep.Warnings[i])
	}
	for i := range rep.Errors {
		rep.Errors[i] = r.redact(rep.Errors[i])
	}
}
