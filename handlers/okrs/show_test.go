package okrs_test

import (
	"math"
	"testing"

	okrhandlers "github.com/trellis-bot/trellis/handlers/okrs"
)

// TestBar: five cells filled by whole fifths of the percent, rounded down.
func TestBar(t *testing.T) {
	for in, want := range map[float64]string{
		0: "▱▱▱▱▱ 0 %", 0.19: "▱▱▱▱▱ 19 %", 0.2: "▰▱▱▱▱ 20 %", 0.6: "▰▰▰▱▱ 60 %",
		0.999: "▰▰▰▰▱ 99 %", 1: "▰▰▰▰▰ 100 %", 2: "▰▰▰▰▰ 100 %", -1: "▱▱▱▱▱ 0 %",
	} {
		if got := okrhandlers.Bar(in); got != want {
			t.Errorf("Bar(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestFormatNumber: a value shows with the key result's decimals, without
// a negative zero, and a huge one stays short.
func TestFormatNumber(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		dec  int
		want string
	}{
		{12, 0, "12"}, {12.345, 2, "12.35"}, {-0.001, 1, "0.0"}, {-3.5, 1, "-3.5"}, {7, 9, "7.0000"}, {7, -1, "7"},
		{1e300, 0, "1e+300"}, {math.NaN(), 0, "?"},
	} {
		if got := okrhandlers.FormatNumber(tt.v, tt.dec); got != tt.want {
			t.Errorf("FormatNumber(%v, %d) = %q, want %q", tt.v, tt.dec, got, tt.want)
		}
	}
}

// TestParseNumber: what people type for a value reads sensibly; anything
// else is refused with a message and no number.
func TestParseNumber(t *testing.T) {
	good := []struct {
		in, unit string
		want     float64
	}{
		{"7", "", 7}, {"  7 ", "", 7}, {"1,234.5", "", 1234.5}, {"1,234", "", 1234}, {"1,234,567", "", 1234567},
		{"12%", "%", 12}, {"12 %", "", 12}, {"3,5", "", 3.5}, {"1.234,5", "", 1234.5}, {"1.234.567", "", 1234567},
		{"1 234", "", 1234}, {"1\u00a0234,5", "", 1234.5}, {"+4", "", 4}, {"−2", "", -2}, {"-0.75", "", -0.75},
		{"14 customers", "customers", 14}, {"14Customers", "customers", 14}, {"1e3", "", 1000}, {".5", "", 0.5}, {"5.", "", 5},
	}
	for _, tt := range good {
		got, msg := okrhandlers.ParseNumber(tt.in, tt.unit)
		if msg != "" || got != tt.want {
			t.Errorf("ParseNumber(%q, %q) = %v, %q; want %v", tt.in, tt.unit, got, msg, tt.want)
		}
	}
	for _, in := range []string{"", "  ", "abc", "1,23,4", "12,34,567", "1.2.3", "Inf", "NaN", "0x10", "1e", "--1", "1-2", "12 teams", "1_000", "1e999", "½"} {
		got, msg := okrhandlers.ParseNumber(in, "customers")
		if msg == "" {
			t.Errorf("ParseNumber(%q) = %v, want a refusal", in, got)
		}
		if got != 0 {
			t.Errorf("ParseNumber(%q) gave %v with its refusal", in, got)
		}
	}
}
