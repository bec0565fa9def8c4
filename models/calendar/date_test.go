package calendar

import (
	"testing"
	"time"
)

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-12-24")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Date{2026, time.December, 24}); d != want {
		t.Errorf("ParseDate = %v, want %v", d, want)
	}
	if got, want := d.String(), "2026-12-24"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := d.Weekday(), time.Thursday; got != want {
		t.Errorf("Weekday() = %v, want %v", got, want)
	}
	if got, want := d.Format("Mon 2 Jan"), "Thu 24 Dec"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
	for _, bad := range []string{"", "2026-13-01", "2026-02-30", "24/12/2026", "2026-1-1"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = nil error, want one", bad)
		}
	}

	adds := []struct {
		from string
		n    int
		want string
	}{
		{"2026-12-31", 1, "2027-01-01"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2026-03-01", -1, "2026-02-28"},
		{"2026-03-29", 0, "2026-03-29"},
		{"2026-01-01", 365, "2027-01-01"},
	}
	for _, tt := range adds {
		d, _ := ParseDate(tt.from)
		if got := d.AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%s.AddDays(%d) = %s, want %s", tt.from, tt.n, got, tt.want)
		}
	}

	a, b := Date{2026, 3, 9}, Date{2026, 3, 10}
	if !a.Before(b) || a.After(b) || !b.After(a) || a.Before(a) || a.After(a) {
		t.Error("Before/After disagree with 2026-03-09 < 2026-03-10")
	}
	if !(Date{2025, 12, 31}).Before(Date{2026, 1, 1}) || !(Date{2026, 1, 31}).Before(Date{2026, 2, 1}) {
		t.Error("Before across a month or year boundary is wrong")
	}
	if !(Date{}).IsZero() || d.IsZero() {
		t.Error("IsZero wrong")
	}

	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := d.In(paris), time.Date(2026, 12, 24, 0, 0, 0, 0, paris); !got.Equal(want) {
		t.Errorf("In(Paris) = %v, want %v", got, want)
	}
	if got := DateOf(time.Date(2026, 12, 24, 23, 30, 0, 0, paris)); got != d {
		t.Errorf("DateOf = %v, want %v (the date in the time's own zone)", got, d)
	}
}

func TestDateValueScan(t *testing.T) {
	d := Date{2026, 12, 24}
	v, err := d.Value()
	if err != nil || v != "2026-12-24" {
		t.Errorf("Value() = %v, %v; want \"2026-12-24\"", v, err)
	}
	if v, err := (Date{}).Value(); err != nil || v != nil {
		t.Errorf("zero Value() = %v, %v; want nil", v, err)
	}
	tests := []struct {
		src     any
		want    Date
		wantErr bool
	}{
		{"2026-12-24", d, false},
		{[]byte("2026-12-24"), d, false},
		{"2026-12-24T00:00:00Z", d, false},
		{time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC), d, false},
		{nil, Date{}, false},
		{"yesterday", Date{}, true},
		{int64(20261224), Date{}, true},
	}
	for _, tt := range tests {
		var got Date
		err := got.Scan(tt.src)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Scan(%#v) = %v, %v; want %v (error %v)", tt.src, got, err, tt.want, tt.wantErr)
		}
	}
}
