package bot

import "encoding/json"

// LegacySession rewrites a session's plaintext in the JSON form versions
// before the binary encoding wrote, padded as they padded it.
func LegacySession(plain []byte) ([]byte, error) {
	var s session
	if _, err := decodeSession(plain, &s); err != nil {
		return nil, err
	}
	js, err := json.Marshal(s)
	return padded(js), err
}

// SessionIsBinary reports whether a session's plaintext is in the binary
// encoding.
func SessionIsBinary(plain []byte) bool { return len(plain) > 0 && plain[0] == sessionBinary }
