// Package store keeps Baraza's state in Redis: respondent sessions (opaque
// bytes with a version), the idempotent completion that adds answers to a
// consultation's counters, free-text answers, participation markers,
// facilitator status overrides, API tokens, dashboard sessions, the release
// log, Telegram polling offsets and leases.
//
// # Connecting
//
// Connect accepts three URL forms (BARAZA_REDIS_URL):
//
//	redis://[[user]:pass@]host:6379[/db][?go-redis options]    one node
//	rediss://...                                               one node over TLS
//	redis+sentinel://[[user]:pass@]s1:26379,s2:26379/mymaster[/db][?sentinel_username=u&sentinel_password=p]
//	                                                           Sentinel (rediss+sentinel for TLS); the
//	                                                           userinfo authenticates to the master, the
//	                                                           sentinel_* parameters to the sentinels
//	redis://[[user]:pass@]h1:7000?addr=h2:7000&addr=h3:7000&cluster=true
//	                                                           Cluster (rediss:// for TLS); cluster=true
//	                                                           with one seed address is fine too
//
// Query parameters other than those above are go-redis's own
// (dial_timeout, read_timeout, pool_size, ...). Every client is built with
// DisableIdentity (no CLIENT SETINFO, unknown before Redis 7.2),
// maintenance notifications disabled, ContextTimeoutEnabled (a ctx deadline
// bounds a command in flight) and MaxRetries -1: the client never re-sends a
// command whose reply was lost. The cluster client still re-sends on
// timeouts (it retries up to MaxRedirects on its own), so every mutating
// script is also idempotent: Apply is keyed by Completion.Key, SaveSession
// by its version and event key (a replay returns ErrConflict or ErrDuplicate,
// never a second write), SetOffset takes a maximum, leases compare the
// holder, CreateToken and the logs recognise their own replay. Errors never
// contain the URL's password.
//
// # Key layout
//
// Every key starts with Options.Prefix (default "baraza:"). Each key holds a
// hash tag, so a multi-key script touches a single Cluster slot:
//
//	P{r:<respondent>}:s          hash  session: v (version), d (data); TTL SessionTTL.
//	                                   When the session ends only v stays, as a
//	                                   tombstone, for SeenTTL
//	P{r:<respondent>}:e          set   hashes of processed event keys; TTL SeenTTL,
//	                                   survives the session's deletion
//	P{c:<consultation>}:n        hash  counters (field names from internal/results)
//	P{c:<consultation>}:k:<h>    string completion marker for one Completion.Key; TTL MarkerTTL
//	P{c:<consultation>}:p:<m>    string participation marker (a per-consultation HMAC); no TTL
//	P{c:<consultation>}:t:<q>    zset  texts of question q, each "<random nonce>:<text>" under a random score
//	P{c:<consultation>}:inv      set   keyed hashes of invitation codes (never a code); see invites.go
//	P{c:<consultation>}:w:<hour> hash  web-chat completions this hour per keyed network hash, _all, _flag;
//	                                   expires when the hour ends (abuse.go)
//	P{c:<consultation>}:abuse    hash  refused (by the per-network limit), flagged (hours with one
//	                                   network over half of the completions)
//	P{g}:status                  hash  consultation -> status override (JSON)
//	P{g}:statuslog:<c>           list  status changes of consultation c, newest first, capped
//	P{g}:tokens                  hash  SHA-256 of a token -> token record (JSON)
//	P{g}:toknames                hash  token name -> SHA-256
//	P{g}:tokids                  hash  token ID (12 hex) -> SHA-256
//	P{g}:web:<h>                 string dashboard session (SHA-256 of the sid) -> token ID; TTL
//	P{g}:releases                list  release log (JSON), newest first, capped
//	P{g}:off:<name>              string polling offset
//	P{g}:lease:<name>            string lease holder; TTL
//
// <respondent> and <m> must be lower-case hex pseudonyms (internal/privacy);
// event keys and completion keys are stored only as SHA-256 hashes <h>;
// <consultation>, <q> and <name> are script or configuration ids. So no
// key holds a platform id, and no value holds one unless a caller puts it
// into session data or a counter field name. Texts carry no timestamp and a
// set has no order, so a text cannot be joined to a completion by time.
// Time is stored only where an operator needs it: token creation, status
// changes (to the minute) and releases.
package store
