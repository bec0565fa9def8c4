package handlers

import "testing"

func TestRegionName(t *testing.T) {
	tests := []struct{ code, want string }{
		{"GB", "United Kingdom — England and Wales"},
		{"DE", "Germany"},
		{"gb", "gb"}, // stored codes are upper case; anything else is shown as is
		{" GB", " GB"},
		{"none", "none"},
		{"XX", "XX"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := regionName(tt.code); got != tt.want {
			t.Errorf("regionName(%q) = %q, want %q", tt.code, got, tt.want)
		}
	}
}
