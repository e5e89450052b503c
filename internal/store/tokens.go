package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Roles, weakest first.
const (
	RoleOfficial    = "official"
	RoleFacilitator = "facilitator"
	RoleAdmin       = "admin"
)

var roleRank = map[string]int{RoleOfficial: 1, RoleFacilitator: 2, RoleAdmin: 3}

// TokenPrefix starts every API token.
const TokenPrefix = "bz_"

// Token describes an API token; the token itself is never stored.
type Token struct {
	ID      string    `json:"id"`              // first 12 hex of the token's SHA-256
	Role    string    `json:"role"`            // official, facilitator or admin
	Name    string    `json:"name"`            // unique, chosen by the operator
	Scope   []string  `json:"scope,omitempty"` // consultation ids; empty or "*" = all
	Created time.Time `json:"created"`
	// Creator is the ID of the token that created this one on the
	// dashboard; empty when made with the CLI.
	Creator string `json:"creator,omitempty"`
}

// tokenRecord is the stored form of a token.
type tokenRecord struct {
	Hash    string    `json:"hash"` // SHA-256 hex of the token
	Role    string    `json:"role"`
	Name    string    `json:"name"`
	Scope   []string  `json:"scope,omitempty"`
	Created time.Time `json:"created"`
	Creator string    `json:"creator,omitempty"`
}

func (r tokenRecord) token() Token {
	return Token{ID: r.Hash[:12], Role: r.Role, Name: r.Name, Scope: r.Scope, Created: r.Created, Creator: r.Creator}
}

// Can reports whether the token's role is role or stronger.
func (t Token) Can(role string) bool {
	have, want := roleRank[t.Role], roleRank[role]
	return have > 0 && want > 0 && have >= want
}

// InScope reports whether the token may see the consultation.
func (t Token) InScope(consultation string) bool {
	return t.Unscoped() || slices.Contains(t.Scope, consultation)
}

// Unscoped reports whether the token sees every consultation.
func (t Token) Unscoped() bool {
	return len(t.Scope) == 0 || slices.Contains(t.Scope, "*")
}

// Covers reports whether t may see, make or revoke a token of role with
// scope: the role is not stronger than t's, and the scope is not wider
// (an unscoped token covers every scope; a scoped one only non-empty
// scopes within its own).
func (t Token) Covers(role string, scope []string) bool {
	if !t.Can(role) {
		return false
	}
	if t.Unscoped() {
		return true
	}
	o := Token{Scope: scope}
	if o.Unscoped() {
		return false
	}
	for _, c := range scope {
		if !slices.Contains(t.Scope, c) {
			return false
		}
	}
	return true
}

// Manages reports whether t may list and revoke token o: an unscoped
// admin manages every token; a scoped one only the tokens it created that
// are not wider than itself.
func (t Token) Manages(o Token) bool {
	if !t.Can(RoleAdmin) {
		return false
	}
	if t.Unscoped() {
		return true
	}
	return o.Creator == t.ID && t.Covers(o.Role, o.Scope)
}

var reTokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.@+-]{0,63}$`)

// createTokenScript: KEYS tokens, names, ids; ARGV hash, name, id, record.
// A replay of the same creation (same hash) succeeds again.
var createTokenScript = redis.NewScript(`
local h = redis.call('HGET', KEYS[2], ARGV[2])
if h then
  if h == ARGV[1] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[1])
return 1
`)

// CreateToken makes a new token ("bz_" + 32 random bytes in base64url) and
// stores only its SHA-256 with role, name, scope and creation time. The
// token is returned once. ErrExists when the name is taken.
func (s *Store) CreateToken(ctx context.Context, role, name string, scope []string) (string, Token, error) {
	return s.CreateTokenBy(ctx, "", role, name, scope)
}

// CreateTokenBy is CreateToken recording the ID of the token that made it
// (the dashboard's admin); the caller checks Token.Covers first.
func (s *Store) CreateTokenBy(ctx context.Context, creator, role, name string, scope []string) (string, Token, error) {
	if roleRank[role] == 0 {
		return "", Token{}, fmt.Errorf("%w: role %q: want official, facilitator or admin", ErrInvalid, clip(role))
	}
	if !reTokenName.MatchString(name) {
		return "", Token{}, fmt.Errorf("%w: token name: want 1 to 64 letters, digits, ' _.@+-'", ErrInvalid)
	}
	for _, c := range scope {
		if c != "*" {
			if err := checkID("scope consultation", c); err != nil {
				return "", Token{}, err
			}
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	h := hashToken(token)
	r := tokenRecord{Hash: h, Role: role, Name: name, Scope: scope, Created: s.opt.Now().UTC().Truncate(time.Second), Creator: creator}
	t := r.token()
	rec, err := json.Marshal(r)
	if err != nil {
		return "", Token{}, fmt.Errorf("store: create token: %w", err)
	}
	ok, err := createTokenScript.Run(ctx, s.rdb,
		[]string{s.gkey("tokens"), s.gkey("toknames"), s.gkey("tokids")},
		h, name, t.ID, rec).Int()
	if err != nil {
		return "", Token{}, fmt.Errorf("store: create token: %w", err)
	}
	if ok != 1 {
		return "", Token{}, fmt.Errorf("store: create token %q: %w", name, ErrExists)
	}
	return token, t, nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Authenticate returns the token's record, or ErrNotFound for an unknown,
// malformed or revoked token.
func (s *Store) Authenticate(ctx context.Context, token string) (Token, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) != len(TokenPrefix)+43 {
		return Token{}, ErrNotFound
	}
	h := hashToken(token)
	rec, err := s.rdb.HGet(ctx, s.gkey("tokens"), h).Result()
	if isNil(err) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: authenticate: %w", err)
	}
	r, err := decodeToken(rec)
	if err != nil {
		return Token{}, fmt.Errorf("store: authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(r.Hash), []byte(h)) != 1 {
		return Token{}, ErrNotFound
	}
	return r.token(), nil
}

func decodeToken(rec string) (tokenRecord, error) {
	var r tokenRecord
	if err := json.Unmarshal([]byte(rec), &r); err != nil {
		return tokenRecord{}, fmt.Errorf("token record: %w", err)
	}
	if len(r.Hash) != 64 {
		return tokenRecord{}, fmt.Errorf("token record: bad hash")
	}
	return r, nil
}

// ListTokens returns every active token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	recs, err := s.listRecords(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	out := make([]Token, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.token())
	}
	return out, nil
}

func (s *Store) listRecords(ctx context.Context) ([]tokenRecord, error) {
	m, err := s.rdb.HGetAll(ctx, s.gkey("tokens")).Result()
	if err != nil {
		return nil, err
	}
	out := make([]tokenRecord, 0, len(m))
	for _, rec := range m {
		r, err := decodeToken(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b tokenRecord) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

// revokeScript: KEYS tokens, names, ids; ARGV hash, name, id.
var revokeScript = redis.NewScript(`
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
if redis.call('HGET', KEYS[3], ARGV[3]) == ARGV[1] then
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return 1
`)

// RevokeToken deletes the token with that ID (12 hex) or name; its
// dashboard sessions stop working at once. ErrNotFound when none matches.
func (s *Store) RevokeToken(ctx context.Context, idOrName string) error {
	recs, err := s.listRecords(ctx)
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	for _, r := range recs {
		if r.Hash[:12] == idOrName || r.Name == idOrName {
			err := revokeScript.Run(ctx, s.rdb,
				[]string{s.gkey("tokens"), s.gkey("toknames"), s.gkey("tokids")},
				r.Hash, r.Name, r.Hash[:12]).Err()
			if err != nil {
				return fmt.Errorf("store: revoke token: %w", err)
			}
			return nil
		}
	}
	return fmt.Errorf("store: revoke token: %w", ErrNotFound)
}

// webCreateScript: KEYS web session, ids; ARGV token id, ttl ms.
var webCreateScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// webGetScript: KEYS web session, ids. Returns the token id, or false.
var webGetScript = redis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
if redis.call('HEXISTS', KEYS[2], id) == 0 then return false end
return id
`)

// CreateWebSession starts a dashboard session for a token (by ID) and
// returns its random id. Only the id's hash is stored.
func (s *Store) CreateWebSession(ctx context.Context, tokenID string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", fmt.Errorf("%w: web session ttl must be positive", ErrInvalid)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	sid := base64.RawURLEncoding.EncodeToString(b)
	ok, err := webCreateScript.Run(ctx, s.rdb,
		[]string{s.gkey("web:" + hashToken(sid)), s.gkey("tokids")}, tokenID, ms(ttl)).Int()
	if err != nil {
		return "", fmt.Errorf("store: create web session: %w", err)
	}
	if ok != 1 {
		return "", fmt.Errorf("store: create web session: token: %w", ErrNotFound)
	}
	return sid, nil
}

// WebSession returns the token ID of a live dashboard session, or
// ErrNotFound (unknown, expired, or its token revoked).
func (s *Store) WebSession(ctx context.Context, sid string) (string, error) {
	if sid == "" {
		return "", ErrNotFound
	}
	id, err := webGetScript.Run(ctx, s.rdb,
		[]string{s.gkey("web:" + hashToken(sid)), s.gkey("tokids")}).Text()
	if isNil(err) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: web session: %w", err)
	}
	return id, nil
}

// DeleteWebSession ends a dashboard session (logout).
func (s *Store) DeleteWebSession(ctx context.Context, sid string) error {
	if err := s.rdb.Del(ctx, s.gkey("web:"+hashToken(sid))).Err(); err != nil {
		return fmt.Errorf("store: delete web session: %w", err)
	}
	return nil
}

// TokenByID returns an active token by its ID (for a web session).
func (s *Store) TokenByID(ctx context.Context, id string) (Token, error) {
	h, err := s.rdb.HGet(ctx, s.gkey("tokids"), id).Result()
	if isNil(err) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: token by id: %w", err)
	}
	rec, err := s.rdb.HGet(ctx, s.gkey("tokens"), h).Result()
	if isNil(err) {
		return Token{}, ErrNotFound
	}
	if err != nil {
		return Token{}, fmt.Errorf("store: token by id: %w", err)
	}
	r, err := decodeToken(rec)
	if err != nil {
		return Token{}, fmt.Errorf("store: token by id: %w", err)
	}
	return r.token(), nil
}
