package release

import "time"

// GCDuring is gcDuring, for the tests.
var GCDuring = gcDuring

// Spaced is Service.spaced, for the tests.
func Spaced(s *Service, interval time.Duration, prev *Release) time.Duration {
	return s.spaced(interval, prev)
}
