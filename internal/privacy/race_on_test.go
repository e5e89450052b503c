//go:build race

package privacy

// raceOn: the race detector slows the LP cross-checks about eightfold, so
// they try fewer random problems under it.
const raceOn = true
