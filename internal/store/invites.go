package store

import (
	"context"
	"fmt"
)

// Invite codes. Key:
//
//	P{c:<consultation>}:inv  set  keyed hashes of the consultation's invite
//	                              codes (privacy.Keys.InviteCode); never a code
//
// A code burns on its first completion through the participation marker
// (Completion.Participation = privacy.Keys.InviteMarker), which Apply sets
// atomically with the counters and which refuses a second completion. The
// marker is derived under a different key from the stored hash, so a
// dump shows neither which code was used nor a code's marker.

// AddInvites stores the hashes of new codes and returns how many were new.
func (s *Store) AddInvites(ctx context.Context, consultation string, hashes []string) (int64, error) {
	if err := checkID("consultation", consultation); err != nil {
		return 0, err
	}
	if len(hashes) == 0 {
		return 0, nil
	}
	members := make([]any, len(hashes))
	for i, h := range hashes {
		if err := checkHex("invite hash", h); err != nil {
			return 0, err
		}
		members[i] = h
	}
	n, err := s.rdb.SAdd(ctx, s.ctag(consultation)+":inv", members...).Result()
	if err != nil {
		return 0, fmt.Errorf("store: add invites: %w", err)
	}
	return n, nil
}

// InviteExists reports whether hash is one of the consultation's codes
// (used or not: Participated on the code's marker tells which).
func (s *Store) InviteExists(ctx context.Context, consultation, hash string) (bool, error) {
	if err := checkID("consultation", consultation); err != nil {
		return false, err
	}
	if err := checkHex("invite hash", hash); err != nil {
		return false, err
	}
	ok, err := s.rdb.SIsMember(ctx, s.ctag(consultation)+":inv", hash).Result()
	if err != nil {
		return false, fmt.Errorf("store: invite: %w", err)
	}
	return ok, nil
}

// Invites is the number of codes made for the consultation.
func (s *Store) Invites(ctx context.Context, consultation string) (int64, error) {
	if err := checkID("consultation", consultation); err != nil {
		return 0, err
	}
	n, err := s.rdb.SCard(ctx, s.ctag(consultation)+":inv").Result()
	if err != nil {
		return 0, fmt.Errorf("store: invites: %w", err)
	}
	return n, nil
}
