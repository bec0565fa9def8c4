package calendar

import (
	"testing"
	"time"
)

func TestLoadLocationCaches(t *testing.T) {
	a, err := LoadLocation("Asia/Kathmandu")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LoadLocation("Asia/Kathmandu")
	if a != b {
		t.Error("LoadLocation loaded the same zone twice")
	}
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, a).Zone(); off != 5*3600+45*60 {
		t.Errorf("Asia/Kathmandu offset = %d, want +05:45", off)
	}
	if _, err := LoadLocation("Mars/Olympus"); err == nil {
		t.Error("LoadLocation accepted an unknown zone")
	}
}
