//go:build race

package typology_test

// raceEnabled is true under -race: the slowest accuracy runs are cut
// down there, as the race detector multiplies their cost and checks
// nothing they add.
const raceEnabled = true
