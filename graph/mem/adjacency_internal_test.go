package mem

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// searchTime must agree with a plain binary search on every input: even,
// clustered and duplicated times, targets inside, between and outside.
func TestSearchTimeMatchesBinarySearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		n := r.IntN(3000)
		times := make([]int64, n)
		switch trial % 3 {
		case 0: // even spread
			for i := range times {
				times[i] = int64(i) * 1000
			}
		case 1: // bursts and gaps
			var t int64
			for i := range times {
				if r.IntN(50) == 0 {
					t += int64(r.IntN(1e9))
				}
				t += int64(r.IntN(3))
				times[i] = t
			}
		default: // random, many duplicates
			for i := range times {
				times[i] = int64(r.IntN(500))
			}
			slices.Sort(times)
		}
		for range 20 {
			var q int64
			if n > 0 {
				q = times[r.IntN(n)] + int64(r.IntN(3)) - 1
			}
			if r.IntN(5) == 0 {
				q = int64(r.Int64N(1<<40)) - 1<<39
			}
			want := sort.Search(n, func(i int) bool { return times[i] >= q })
			if got := searchTime(times, q); got != want {
				t.Fatalf("trial %d: searchTime(n=%d, %d) = %d, want %d", trial, n, q, got, want)
			}
		}
	}
}
