package calendar

import (
	"errors"
	"testing"
	"time"
)

func days(ds ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range ds {
		w = w.With(d)
	}
	return w
}

func TestParseWorkingHours(t *testing.T) {
	sunThu := days(time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday)
	tests := []struct {
		in      string
		want    WorkingHours
		wantErr error
	}{
		{in: "mon-fri 09:00-17:30", want: WorkingHours{MonFri, 9 * 60, 17*60 + 30}},
		{in: "Mon-Fri 09:00-17:30", want: WorkingHours{MonFri, 9 * 60, 17*60 + 30}},
		{in: "22:00-06:00", want: WorkingHours{MonFri, 22 * 60, 6 * 60}},
		{in: "sun-thu 8:00-16:00", want: WorkingHours{sunThu, 8 * 60, 16 * 60}},
		{in: "9am-5pm", want: WorkingHours{MonFri, 9 * 60, 17 * 60}},
		{in: "12am-12pm", want: WorkingHours{MonFri, 0, 12 * 60}},
		{in: "5:30pm-11:45pm", want: WorkingHours{MonFri, 17*60 + 30, 23*60 + 45}},
		{in: "mon,tue 22:00-06:00", want: WorkingHours{days(time.Monday, time.Tuesday), 22 * 60, 6 * 60}},
		{in: "fri-mon 10:00-14:00", want: WorkingHours{days(time.Friday, time.Saturday, time.Sunday, time.Monday), 10 * 60, 14 * 60}},
		{in: "every day 10:00-14:00", want: WorkingHours{0x7f, 10 * 60, 14 * 60}},
		{in: "weekends 10:00-14:00", want: WorkingHours{days(time.Saturday, time.Sunday), 10 * 60, 14 * 60}},
		{in: "tuesday,thurs 00:00-23:59", want: WorkingHours{days(time.Tuesday, time.Thursday), 0, 23*60 + 59}},
		{in: "09:00-09:00", wantErr: ErrZeroLength},
		{in: "25:00-26:00", wantErr: ErrInvalidTime},
		{in: "09:00-24:00", wantErr: ErrInvalidTime},
		{in: "09:60-17:00", wantErr: ErrInvalidTime},
		{in: "9-17", wantErr: ErrInvalidTime},
		{in: "13pm-2pm", wantErr: ErrInvalidTime},
		{in: "+9:00-17:00", wantErr: ErrInvalidTime},
		{in: "9:+5-17:00", wantErr: ErrInvalidTime},
		{in: "mon-xyz 09:00-17:00", wantErr: ErrInvalidDays},
		{in: "mo-fr 09:00-17:00", wantErr: ErrInvalidDays},
		{in: "09:00", wantErr: ErrInvalidHours},
		{in: "", wantErr: ErrInvalidHours},
	}
	for _, tt := range tests {
		got, err := ParseWorkingHours(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseWorkingHours(%q) = %v, %v; want error %v", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseWorkingHours(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestWorkingHoursOvernightAndLength(t *testing.T) {
	tests := []struct {
		h         WorkingHours
		overnight bool
		length    time.Duration
		str       string
	}{
		{WorkingHours{MonFri, 9 * 60, 17*60 + 30}, false, 8*time.Hour + 30*time.Minute, "mon-fri 09:00-17:30"},
		{WorkingHours{MonFri, 22 * 60, 6 * 60}, true, 8 * time.Hour, "mon-fri 22:00-06:00"},
		{WorkingHours{days(time.Sunday), 23*60 + 59, 0}, true, time.Minute, "sun 23:59-00:00"},
	}
	for _, tt := range tests {
		if got := tt.h.Overnight(); got != tt.overnight {
			t.Errorf("%v.Overnight() = %v, want %v", tt.h, got, tt.overnight)
		}
		if got := tt.h.Length(); got != tt.length {
			t.Errorf("%v.Length() = %v, want %v", tt.h, got, tt.length)
		}
		if got := tt.h.String(); got != tt.str {
			t.Errorf("String() = %q, want %q", got, tt.str)
		}
		back, err := ParseWorkingHours(tt.str)
		if err != nil || back != tt.h {
			t.Errorf("ParseWorkingHours(%q) = %v, %v; want %v", tt.str, back, err, tt.h)
		}
	}
}

func TestWeekdaysString(t *testing.T) {
	tests := []struct {
		w    Weekdays
		want string
	}{
		{MonFri, "mon-fri"},
		{days(time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday), "sun-thu"},
		{days(time.Friday, time.Saturday, time.Sunday, time.Monday), "fri-mon"},
		{days(time.Saturday, time.Sunday, time.Monday), "sat-mon"},
		{days(time.Tuesday, time.Thursday, time.Saturday), "tue,thu,sat"},
		{days(time.Saturday, time.Sunday), "sat,sun"},
		{days(time.Wednesday), "wed"},
		{days(time.Monday, time.Tuesday, time.Wednesday, time.Friday), "mon-wed,fri"},
		{0x7f, "every day"},
		{0, "none"},
	}
	for _, tt := range tests {
		if got := tt.w.String(); got != tt.want {
			t.Errorf("Weekdays(%07b).String() = %q, want %q", tt.w, got, tt.want)
		}
	}
}

// TestWeekdaysRoundTrip: every non-empty set prints as text that parses
// back to itself.
func TestWeekdaysRoundTrip(t *testing.T) {
	for w := Weekdays(1); w <= 0x7f; w++ {
		s := w.String()
		got, err := ParseWeekdays(s)
		if err != nil || got != w {
			t.Errorf("ParseWeekdays(%q) = %07b, %v; want %07b", s, got, err, w)
		}
	}
}

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in   string
		want TimeOfDay
		ok   bool
	}{
		{"09:00", 540, true}, {"9:30", 570, true}, {"00:00", 0, true}, {"23:59", 1439, true},
		{"9am", 540, true}, {"12am", 0, true}, {"12pm", 720, true}, {"5:30PM", 1050, true}, {"9 am", 540, true},
		{"24:00", 0, false}, {"0am", 0, false}, {"13pm", 0, false}, {"9", 0, false}, {"9:5", 0, false},
		{"009:00", 0, false}, {"+9:00", 0, false}, {"9:+5", 0, false}, {"nine", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseTimeOfDay(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if !tt.ok && !errors.Is(err, ErrInvalidTime) {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v; want ErrInvalidTime", tt.in, got, err)
		}
	}
}

func TestWorkingHoursValidate(t *testing.T) {
	tests := []struct {
		h    WorkingHours
		want error
	}{
		{DefaultWorkingHours, nil},
		{WorkingHours{0, 60, 120}, ErrInvalidDays},
		{WorkingHours{0x80, 60, 120}, ErrInvalidDays},
		{WorkingHours{MonFri, -1, 120}, ErrInvalidTime},
		{WorkingHours{MonFri, 60, 1440}, ErrInvalidTime},
		{WorkingHours{MonFri, 60, 60}, ErrZeroLength},
	}
	for _, tt := range tests {
		if err := tt.h.Validate(); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%+v.Validate() = %v, want %v", tt.h, err, tt.want)
		}
	}
}
