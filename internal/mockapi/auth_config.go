package mockapi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The constructors below derive a simulated auth server from a CCF `auth`
// object as decoded from a connector file (keys in any casing, placeholders
// already resolved), following reference/ccf-format.md §2.3 on their own,
// not through internal/poll/auth: the conformance test then checks the
// poller against a second reading of the same spec.

// authField returns the string field key of an auth object, matching the
// key case-insensitively (connector files spell keys in many casings).
func authField(fields map[string]any, keys ...string) (any, bool) {
	for _, key := range keys {
		if v, ok := fields[key]; ok {
			return v, true
		}
		for k, v := range fields {
			if strings.EqualFold(strings.TrimSpace(k), key) {
				return v, true
			}
		}
	}
	return nil, false
}

func authString(fields map[string]any, keys ...string) string {
	v, _ := authField(fields, keys...)
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func authBool(fields map[string]any, key string) bool {
	v, _ := authField(fields, key)
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(strings.TrimSpace(x), "true")
	}
	return false
}

// authCredential reads a JwtToken userName/password: {key, value} or a
// plain string (sent under defKey).
func authCredential(fields map[string]any, name, defKey string) (key, value string, ok bool) {
	v, found := authField(fields, name)
	if !found {
		return "", "", false
	}
	switch x := v.(type) {
	case string:
		return defKey, x, true
	case map[string]any:
		return authString(x, "key"), authString(x, "value"), true
	}
	return "", "", false
}

// JwtLogin is a LoginServer derived from a JwtToken auth object, with the
// path of its token endpoint and the prefix data requests must carry.
type JwtLogin struct {
	*LoginServer
	// TokenPath is the path of the configured TokenEndpoint.
	TokenPath string
	// Prefix is "Bearer", or "" when NoAccessTokenPrepend is true.
	Prefix string
}

// NewJwtLogin builds the token endpoint a JwtToken auth object describes
// (ccf-format §2.3.5): the method (TokenEndpointHttpMethod, default POST);
// the credentials where the flags put them (UserToken as the whole
// Authorization value "<UserTokenPrepend> <UserToken>"; else
// IsCredentialsInHeaders → Basic user:password; else GET → query string;
// else IsJsonRequest → JSON body, otherwise a form, under the userName and
// password keys); the configured Headers must arrive; the token is answered
// at JwtTokenJsonPath (a simple $.a.b path; default access_token) or in
// JwtTokenHeaderName when JwtTokenInResponseHeader is set. now is the
// clock of token lifetimes (nil = time.Now).
func NewJwtLogin(fields map[string]any, now func() time.Time) (*JwtLogin, error) {
	if !strings.EqualFold(authString(fields, "type"), "JwtToken") {
		return nil, fmt.Errorf("auth.type: %q is not JwtToken", authString(fields, "type"))
	}
	ep := strings.TrimSpace(authString(fields, "tokenEndpoint"))
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("auth.tokenEndpoint: not an absolute URL: %q", ep)
	}
	cfg := LoginConfig{Method: strings.ToUpper(strings.TrimSpace(authString(fields, "tokenEndpointHttpMethod"))), Now: now}
	if cfg.Method == "" {
		cfg.Method = "POST"
	}
	if tok := authString(fields, "userToken"); tok != "" {
		cfg.CredentialsIn = "authorization"
		cfg.ExpectAuthorization = strings.TrimSpace(strings.TrimSpace(authString(fields, "userTokenPrepend")) + " " + tok)
	} else {
		uk, uv, ok1 := authCredential(fields, "userName", "username")
		pk, pv, ok2 := authCredential(fields, "password", "password")
		if !ok1 || !ok2 {
			return nil, errors.New("auth: JwtToken needs userName and password, or userToken")
		}
		cfg.UserKey, cfg.UserName, cfg.PassKey, cfg.Password = uk, uv, pk, pv
		switch {
		case authBool(fields, "isCredentialsInHeaders"):
			cfg.CredentialsIn = "header"
		case cfg.Method == "GET":
			cfg.CredentialsIn = "query"
		case authBool(fields, "isJsonRequest"):
			cfg.CredentialsIn = "json"
		default:
			cfg.CredentialsIn = "body"
		}
	}
	if h, ok := authField(fields, "headers"); ok {
		m, _ := h.(map[string]any)
		for k, v := range m {
			if strings.EqualFold(k, "Content-Type") && cfg.CredentialsIn != "header" && cfg.CredentialsIn != "authorization" {
				continue // the body's own type decides
			}
			if cfg.RequiredHeaders == nil {
				cfg.RequiredHeaders = map[string]string{}
			}
			cfg.RequiredHeaders[k] = fmt.Sprint(v)
		}
	}
	path := strings.TrimSpace(authString(fields, "jwtTokenJsonPath"))
	switch {
	case authBool(fields, "jwtTokenInResponseHeader"):
		cfg.TokenHeader = authString(fields, "jwtTokenHeaderName")
		if cfg.TokenHeader == "" {
			cfg.TokenHeader = "Authorization"
		}
		cfg.TokenIdentifier = strings.TrimSpace(authString(fields, "jwtTokenIdentifier"))
	case path != "":
		field := strings.TrimPrefix(strings.TrimPrefix(path, "$"), ".")
		if field == "" || strings.ContainsAny(field, "[]*?@ ") || strings.Contains(field, "..") {
			return nil, fmt.Errorf("auth.jwtTokenJsonPath: %q is not a simple $.a.b path", path)
		}
		cfg.TokenField = field
	default:
		cfg.TokenField = "access_token"
	}
	prefix := "Bearer"
	if authBool(fields, "noAccessTokenPrepend") {
		prefix = ""
	}
	return &JwtLogin{LoginServer: NewLoginServer(cfg), TokenPath: u.Path, Prefix: prefix}, nil
}

// NewDuoVerifierFor builds the Duo signature check for a CiscoDuo auth
// object: the integration key is APIKey (or integrationKey), the secret
// key clientSecret (or secretKey/apiSecret).
func NewDuoVerifierFor(fields map[string]any, now func() time.Time) (*DuoVerifier, error) {
	ikey := authString(fields, "apiKey", "integrationKey")
	skey := authString(fields, "clientSecret", "secretKey", "apiSecret")
	if ikey == "" || skey == "" {
		return nil, errors.New("auth: CiscoDuo needs APIKey (integration key) and ClientSecret (secret key)")
	}
	return &DuoVerifier{IKey: ikey, SKey: skey, Now: now}, nil
}

// NewSLSVerifierFor builds the SLS v1 signature check for an AliCloudSlsV1
// auth object (AccessKeyId, AccessKeySecret).
func NewSLSVerifierFor(fields map[string]any) (*SLSVerifier, error) {
	id, secret := authString(fields, "accessKeyId"), authString(fields, "accessKeySecret")
	if id == "" || secret == "" {
		return nil, errors.New("auth: AliCloudSlsV1 needs AccessKeyId and AccessKeySecret")
	}
	return &SLSVerifier{AccessKeyID: id, AccessKeySecret: secret}, nil
}
