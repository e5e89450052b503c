//go:build race

package privacy

// raceEnabled: the race detector makes sync.Pool drop entries at random,
// so allocation counts do not hold under it.
const raceEnabled = true
