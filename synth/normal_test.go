package synth

import (
	"slices"
	"testing"
	"time"
)

func TestNormalTraffic(t *testing.T) {
	rows, _ := defaultRows()
	var night, purchases int
	byDay := map[time.Weekday]int{}
	merchantCount := map[string]int{}
	type profile struct {
		purchases int
		merchants map[string]int
		devices   map[string]bool
		cards     map[string]bool
	}
	users := map[string]*profile{}
	for _, r := range rows {
		if r.Attrs["pattern"] != PatternNormal || r.Kind == "transfer" {
			continue
		}
		purchases++
		if r.Time.Hour() < 6 {
			night++
		}
		byDay[r.Time.Weekday()]++
		merchantCount[r.Merchant]++
		p := users[r.User]
		if p == nil {
			p = &profile{merchants: map[string]int{}, devices: map[string]bool{}, cards: map[string]bool{}}
			users[r.User] = p
		}
		p.purchases++
		p.merchants[r.Merchant]++
		p.cards[r.Card] = true
		if r.Device != "" {
			p.devices[r.Device] = true
		}
		if (r.Channel == "pos") != (r.Device == "" && r.IP == "" && r.Email == "") {
			t.Fatalf("row %s: channel %s with device %q, ip %q, email %q", r.ID, r.Channel, r.Device, r.IP, r.Email)
		}
	}
	// Diurnal rhythm: about 1.5% of purchases between midnight and six.
	if share := float64(night) / float64(purchases); share > 0.05 {
		t.Errorf("%.1f%% of purchases at night, want few", 100*share)
	}
	// Weekly rhythm: the period has two Fridays and two Sundays.
	if byDay[time.Friday] <= byDay[time.Sunday]*5/4 {
		t.Errorf("%d purchases on Fridays, %d on Sundays: want Fridays busier", byDay[time.Friday], byDay[time.Sunday])
	}
	// Customers come back to the same merchants, hold 1–2 cards and 1–4
	// devices (three at once, plus a new phone).
	repeats, total := 0, 0
	for u, p := range users {
		if len(p.cards) > 2 || len(p.devices) > 4 {
			t.Fatalf("user %s: %d cards, %d devices", u, len(p.cards), len(p.devices))
		}
		if p.purchases >= 8 {
			repeats += p.purchases - len(p.merchants)
			total += p.purchases
		}
	}
	if share := float64(repeats) / float64(total); share < 0.4 {
		t.Errorf("%.0f%% of purchases of regular customers at a merchant they used before, want most", 100*share)
	}
	// Popularity is skewed: the top 10% of merchants take a large share.
	counts := make([]int, 0, len(merchantCount))
	for _, n := range merchantCount {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	top := 0
	for _, n := range counts[:len(counts)/10] {
		top += n
	}
	if share := float64(top) / float64(purchases); share < 0.4 {
		t.Errorf("top 10%% of merchants take %.0f%% of purchases, want a skewed popularity", 100*share)
	}
}
