package synth

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/riskgraph/riskgraph/graph"
)

func TestConfigValidate(t *testing.T) {
	ok := Config{Users: 10, Days: 2}
	tests := []struct {
		name  string
		edit  func(*Config)
		field string // "" when valid
	}{
		{"minimal", func(*Config) {}, ""},
		{"every rate off", func(c *Config) {
			for _, p := range Patterns()[1:] {
				_ = c.SetRate(p, -1)
			}
			c.Purchases, c.Transfers = -1, -1
		}, ""},
		{"explicit start", func(c *Config) { c.Start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }, ""},
		{"no users", func(c *Config) { c.Users = 0 }, "Users"},
		{"negative users", func(c *Config) { c.Users = -3 }, "Users"},
		{"too many users", func(c *Config) { c.Users = MaxUsers + 1 }, "Users"},
		{"no days", func(c *Config) { c.Days = 0 }, "Days"},
		{"too many days", func(c *Config) { c.Days = MaxDays + 1 }, "Days"},
		{"start before 1971", func(c *Config) { c.Start = time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC) }, "Start"},
		{"end after 9999", func(c *Config) { c.Start = time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC) }, "Start"},
		{"NaN purchases", func(c *Config) { c.Purchases = math.NaN() }, "Purchases"},
		{"huge transfers", func(c *Config) { c.Transfers = MaxVolume + 1 }, "Transfers"},
		{"NaN rate", func(c *Config) { c.Cycle = math.NaN() }, "Cycle"},
		{"huge rate", func(c *Config) { c.CardTesting = MaxRate * 2 }, "CardTesting"},
		{"infinite rate", func(c *Config) { c.RapidPassThrough = math.Inf(1) }, "RapidPassThrough"},
		{"negative threshold", func(c *Config) { c.ReportingThreshold = -1 }, "ReportingThreshold"},
		{"tiny threshold", func(c *Config) { c.ReportingThreshold = 5 }, "ReportingThreshold"},
		{"too many transactions", func(c *Config) { c.Users, c.Days = MaxUsers, MaxDays }, "Users"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.edit(&c)
			err := c.Validate()
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.field != "" && err == nil:
				t.Errorf("Validate() = nil, want an error naming %s", tt.field)
			case tt.field != "" && (!errors.Is(err, graph.ErrInvalid) || !strings.Contains(err.Error(), "config "+tt.field+" =")):
				t.Errorf("Validate() = %v, want an error wrapping graph.ErrInvalid naming %s", err, tt.field)
			}
		})
	}
}

func TestRates(t *testing.T) {
	var c Config
	c.FanIn = 2.5
	c.Cycle = -1
	tests := []struct {
		name   string
		rate   float64
		wantOK bool
	}{
		{PatternAccountTakeover, 5, true}, // default
		{PatternFanIn, 2.5, true},         // set
		{PatternCycle, 0, true},           // off
		{PatternNormal, 0, false},
		{"no_such_pattern", 0, false},
	}
	for _, tt := range tests {
		if got, ok := c.Rate(tt.name); got != tt.rate || ok != tt.wantOK {
			t.Errorf("Rate(%q) = %v, %v; want %v, %v", tt.name, got, ok, tt.rate, tt.wantOK)
		}
	}
	if err := c.SetRate(PatternStructuring, 9); err != nil || c.Structuring != 9 {
		t.Errorf("SetRate(structuring, 9): err %v, field %v", err, c.Structuring)
	}
	for _, name := range []string{PatternNormal, "bogus"} {
		if err := c.SetRate(name, 1); !errors.Is(err, graph.ErrInvalid) {
			t.Errorf("SetRate(%q) = %v, want graph.ErrInvalid", name, err)
		}
	}
	// Every pattern but normal has a rate, and a label.
	for _, p := range Patterns() {
		_, hasRate := c.Rate(p)
		class, ok := PatternClass(p)
		if hasRate == (p == PatternNormal) || !ok || class.Positive() == (p == PatternNormal) {
			t.Errorf("pattern %s: has rate %v, class %q", p, hasRate, class)
		}
	}
	want := []string{"normal", "account_takeover", "card_testing", "synthetic_identity", "mule", "aml_fan_in", "aml_fan_out",
		"aml_cycle", "aml_scatter_gather", "aml_gather_scatter", "aml_structuring", "aml_rapid_pass_through"}
	if diff := cmp.Diff(want, Patterns()); diff != "" {
		t.Errorf("Patterns() (-want +got):\n%s", diff)
	}
}
