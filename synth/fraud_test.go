package synth

import (
	"slices"
	"testing"
	"time"
)

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func distinct[T comparable](xs []T) int {
	seen := map[T]bool{}
	for _, x := range xs {
		seen[x] = true
	}
	return len(seen)
}

func TestAccountTakeover(t *testing.T) {
	rows, _ := defaultRows()
	for _, in := range instances(t, PatternAccountTakeover) {
		user, dev, first := in[0].User, in[0].Device, in[0].Time
		var amounts []float64
		for _, r := range in {
			if r.User != user || r.Device != dev || r.Device == "" || r.IP == "" {
				t.Fatalf("instance %d: rows from users %s/%s, devices %s/%s", r.inst, user, r.User, dev, r.Device)
			}
			if r.Kind != "transfer" {
				amounts = append(amounts, r.Amount)
			}
		}
		if n := len(amounts); n < 3 || n > 8 {
			t.Errorf("instance %d: %d purchases, want 3–8", in[0].inst, n)
		}
		if m := median(amounts); m < 200 {
			t.Errorf("instance %d: median purchase %.2f, want high amounts", in[0].inst, m)
		}
		if span := in[len(in)-1].Time.Sub(first); span > 90*time.Minute {
			t.Errorf("instance %d: burst lasts %v", in[0].inst, span)
		}
		// The device is new to the user: no earlier row of the user from
		// another instance used it.
		for _, r := range rows {
			if !r.Time.Before(first) {
				break
			}
			if r.User == user && r.Device == dev && r.inst != in[0].inst {
				t.Errorf("instance %d: device %s was used by %s before the takeover (row %s)", in[0].inst, dev, user, r.ID)
			}
		}
	}
}

func TestCardTesting(t *testing.T) {
	for _, in := range instances(t, PatternCardTesting) {
		card := in[0].Card
		var small []row
		big := 0
		for _, r := range in {
			if r.Card != card || r.Device != in[0].Device || r.IP != in[0].IP {
				t.Fatalf("instance %d: several cards, devices or addresses", r.inst)
			}
			if r.Amount <= 2 {
				if r.Amount < 0.5 || big > 0 {
					t.Errorf("instance %d: small amount %.2f (after a big one: %v)", r.inst, r.Amount, big > 0)
				}
				small = append(small, r)
			} else {
				big++
			}
		}
		merchants := make([]string, len(small))
		for i, r := range small {
			merchants[i] = r.Merchant
		}
		if len(small) < 10 || distinct(merchants) < 10 || big > 1 {
			t.Errorf("instance %d: %d small amounts at %d merchants and %d big ones; want ≥ 10 at ≥ 10, ≤ 1 big",
				in[0].inst, len(small), distinct(merchants), big)
		}
		if span := small[len(small)-1].Time.Sub(small[0].Time); span > 30*time.Minute {
			t.Errorf("instance %d: testing lasts %v, want minutes", in[0].inst, span)
		}
	}
}

func TestSyntheticIdentity(t *testing.T) {
	for _, in := range instances(t, PatternSyntheticIdentity) {
		users := map[string]bool{}
		sharers := map[string]map[string]bool{} // device, phone or email → users
		share := func(k, user string) {
			if k == "" {
				return
			}
			if sharers[k] == nil {
				sharers[k] = map[string]bool{}
			}
			sharers[k][user] = true
		}
		var amounts []float64
		for _, r := range in {
			users[r.User] = true
			share("d:"+r.Device, r.User)
			share("p:"+r.Phone, r.User)
			share("e:"+r.Email, r.User)
			amounts = append(amounts, r.Amount)
		}
		if n := len(users); n < 3 || n > 8 {
			t.Errorf("instance %d: ring of %d users, want 3–8", in[0].inst, n)
		}
		widest := 0
		for _, us := range sharers {
			widest = max(widest, len(us))
		}
		if widest < 2 {
			t.Errorf("instance %d: no device, phone or email shared by two members", in[0].inst)
		}
		// Bust-out: the last rows are far larger than the early history.
		if late, early := median(amounts[len(amounts)-6:]), median(amounts[:len(amounts)/2]); late < 5*early {
			t.Errorf("instance %d: median of the last 6 rows %.2f, of the first half %.2f: no bust-out", in[0].inst, late, early)
		}
	}
}

func TestMule(t *testing.T) {
	for _, in := range instances(t, PatternMule) {
		mule := in[0].Counterparty
		var senders, receivers []string
		var in_, out float64
		var lastIn, firstOut time.Time
		for _, r := range in {
			switch {
			case r.Counterparty == mule:
				if len(receivers) > 0 {
					t.Fatalf("instance %d: money in after money out", r.inst)
				}
				senders = append(senders, r.Account)
				in_ += r.Amount
				lastIn = r.Time
			case r.Account == mule:
				if len(receivers) == 0 {
					firstOut = r.Time
				}
				receivers = append(receivers, r.Counterparty)
				out += r.Amount
			default:
				t.Fatalf("instance %d: row %s does not touch the mule %s", r.inst, r.ID, mule)
			}
		}
		if distinct(senders) < 2 || distinct(receivers) < 2 {
			t.Errorf("instance %d: %d senders, %d receivers; want a fan-in then a fan-out", in[0].inst, distinct(senders), distinct(receivers))
		}
		if out > in_ || out < 0.85*in_ {
			t.Errorf("instance %d: %.2f in, %.2f out; want 90–98%% forwarded", in[0].inst, in_, out)
		}
		if gap := firstOut.Sub(lastIn); gap < 0 || gap > 6*time.Hour+time.Second {
			t.Errorf("instance %d: money out %v after the last money in", in[0].inst, gap)
		}
	}
}
