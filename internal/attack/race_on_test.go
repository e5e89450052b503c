//go:build race

package attack

// raceOn: the race detector slows the auditor about eightfold, so the
// longest histories are left to the run without it.
const raceOn = true
