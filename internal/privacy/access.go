package privacy

import "encoding/hex"

// InviteCode is the keyed hash under which an unused invite code of a
// consultation is stored: HMAC under a per-consultation sub-key, so a Redis
// dump cannot be checked against a code (or a guessed one) without the
// secret, and the same code in two consultations gives unrelated hashes.
// code must be normalised (internal/invite.Normalize).
func (k *Keys) InviteCode(consultation, code string) string {
	sub := mac(k.secret, "invite-code\x00", consultation)
	return hex.EncodeToString(mac(sub, code))
}

// InviteMarker is the participation marker of a completion made with an
// invite code: it burns the code. It is derived under a different sub-key
// from InviteCode, so a dump holder can tell neither which stored code a
// marker burnt nor, from a code, its marker.
func (k *Keys) InviteMarker(consultation, code string) string {
	sub := mac(k.secret, "invite-used\x00", consultation)
	return hex.EncodeToString(mac(sub, code))
}

// Network is a short keyed hash (16 hex characters) of a client network
// ("203.0.113.0/24") for one consultation, for the per-network completion
// limit: a dump shows how many completions some network made this hour,
// never which network, and two consultations cannot be joined.
func (k *Keys) Network(consultation, network string) string {
	sub := mac(k.secret, "network\x00", consultation)
	return hex.EncodeToString(mac(sub, network))[:16]
}

// Derive returns a key for one purpose (signing web chat identities, ...),
// so the secret itself is never used for two jobs.
func (k *Keys) Derive(purpose string) []byte {
	return mac(k.secret, "derive\x00", purpose)
}
