//go:build !race

package typology_test

const raceEnabled = false
