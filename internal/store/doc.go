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
//	P{r:<respondent>}:s          hash  session: v (random version), d (sealed data), e (the
//	                                   last 16 event digests, always 192 bytes); expires
//	                                   at a TimeGrain boundary SessionTTL after the last
//	                                   step; deleted, all of it, when the dialog ends
//	P{r:<respondent>}:t          list  trail: sealed platform message references of the
//	                                   conversation, for a quick exit (Telegram); expires
//	                                   at a TimeGrain boundary at least 48 h after the last
//	                                   message; deleted when the session ends
//	P{c:<consultation>}:n        hash  counters; field names sealed with CounterKey when set
//	P{c:<consultation>}:k        zset  digests of recent Completion.Keys, scored by the day
//	                                   number after which they may go; a completion drops
//	                                   its dialog's earlier keys (Completion.Forget)
//	P{c:<consultation>}:p:<m>    string participation marker (a per-consultation HMAC); value
//	                                   "1", no TTL
//	P{c:<consultation>}:tp:<q>   zset  texts of question q waiting for a release, each "<completion tag>:<text>"
//	                                   under a random score (one random tag per completion, nothing else)
//	P{c:<consultation>}:t:<q>    zset  released texts of question q, each "<random nonce>:<text>" under a random score
//	P{c:<consultation>}:inv      set   keyed hashes of invitation codes (never a code); see invites.go
//	P{c:<consultation>}:w:<hour> hash  web-chat completions this hour per keyed network hash, _all, _flag;
//	                                   expires when the hour ends (abuse.go)
//	P{c:<consultation>}:rl       list  release log: one JSON entry per release, newest first
//	P{c:<consultation>}:r:<n>    string release n (JSON; its copy of the counters sealed like :n);
//	                                   made once, right after n-1 (releases.go)
//	P{c:<consultation>}:rs       string start of a DP consultation's release calendar, Unix
//	                                   seconds to the minute, set once (ReleaseCalendar)
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
//	P{g}:lease:<name>            string lease holder (fenced: "<holder>:<token>"); TTL
//	P{g}:fence:<name>            string the lease's last fencing token (INCR on each new holder)
//
// <respondent> and <m> must be lower-case hex pseudonyms (internal/privacy);
// event keys and completion keys are stored only as SHA-256 hashes <h>;
// <consultation>, <q> and <name> are script or configuration ids. So no
// key holds a platform id, and no value holds one unless a caller puts it
// into session data or a counter field name. Texts carry no timestamp and a
// set has no order, so a text cannot be joined to a completion by time.
// Time is stored only where an operator needs it: token creation, status
// changes (to the minute) and releases. Expiries of anything about a
// respondent fall on a TimeGrain boundary (a day by default), so a TTL
// dates nothing finer.
//
// # What a dump of Redis still shows
//
// After a consultation, a dump (an RDB file, a backup, MONITOR) shows:
// one participation marker per person who completed (an HMAC that needs
// the secret to test against a platform id; value "1", no TTL, so their
// number is the number of completions); the counters hash, whose field
// names are sealed (the number of cells and the multiset of their counts,
// not which cell is which; with the secret, everything a release would
// show before suppression — which is why the secret stays out of Redis);
// the scrubbed texts per question in random order, including those of
// questions too few people answered for a release to show them; the
// recent-keys set (how many dialogs were started but not yet finished,
// refused or quit, by day, for two days); and one session per dialog still
// under way or abandoned (sealed, padded, expiring on a day boundary, with
// a fixed-size event field): that someone unnamed is mid-dialog, and the
// day they last answered. Nothing holds a platform id, an event count of a
// finished dialog, or a time finer than a day.
package store
