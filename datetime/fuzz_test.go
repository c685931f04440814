package datetime

import (
	"errors"
	"math"
	"testing"
	"time"
)

// Fuzz targets: go test -fuzz=FuzzParse -fuzztime=60s ./datetime (likewise FuzzFormat,
// FuzzCoerce, FuzzCalendar). Without -fuzz they run their seeds as ordinary tests.

var fuzzZones = []string{"UTC", "Europe/Prague", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}

func fuzzZone(t *testing.T, i uint8) *time.Location {
	return mustZone(t, fuzzZones[int(i)%len(fuzzZones)])
}

func FuzzParse(f *testing.F) {
	seeds := [][2]string{
		{"2016-12-28 04:03 pm", "YYYY-MM-DD hh:mm a"},
		{"1482940986", "X"},
		{"2020-W53-4", "GGGG-[W]WW-E"},
		{"Wed, 28 Dec 2016 16:03:00 +0200", "ddd, DD MMM YYYY HH:mm:ss ZZ"},
		{"5 BC 366", "y N DDDD"},
		{"24:00 Tuesday", "kk:mm dddd"},
		{"\\[x]", "[[x]\\Y LTS"},
		{"99999999999999999999999", "YYYYYY x X"},
		{"-", "Y"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], uint8(1))
	}
	f.Fuzz(func(t *testing.T, text, layout string, z uint8) {
		loc := fuzzZone(t, z)
		got, err := ParseAt(text, layout, loc, time.Date(2024, 5, 15, 12, 0, 0, 0, time.UTC))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseAt(%q, %q) error %T %v, want *ParseError", text, layout, err, err)
			}
			return
		}
		if !inRange(got) || got.Location() != time.UTC {
			t.Fatalf("ParseAt(%q, %q) = %v: out of range or not UTC", text, layout, got)
		}
	})
}

func FuzzFormat(f *testing.F) {
	f.Add("YYYY-MM-DDTHH:mm:ss.SSSZ", int64(1482940986000), uint8(0))
	f.Add("[Week] Wo gggg LLLL z", int64(-62135596800000), uint8(2))
	f.Add("\\\\[a]b]c\nLTS", int64(8640000000000000), uint8(4))
	f.Add("", int64(0), uint8(1))
	f.Fuzz(func(t *testing.T, layout string, ms int64, z uint8) {
		if ms > maxMillis || ms < -maxMillis {
			ms %= maxMillis
		}
		at, loc := time.UnixMilli(ms), fuzzZone(t, z)
		a, b := Format(at, layout, loc), Format(at, layout, loc)
		if a != b {
			t.Fatalf("Format(%q) not deterministic: %q then %q", layout, a, b)
		}
	})
}

func FuzzCoerce(f *testing.F) {
	for _, s := range []string{"2016-06-20T17:26:44.356Z", "20.6.2016 19:26:44+02:00", "06/20/2016 5:26 PM",
		"Mon, 20 Jun 2016 19:26:44 +0200 (CEST)", "Mon Jun  6 17:26:44 2016", "1466443604356", "2016-06-20 24:00"} {
		f.Add(s, uint8(1))
	}
	f.Fuzz(func(t *testing.T, text string, z uint8) {
		loc := fuzzZone(t, z)
		got, err := Coerce(text, loc)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Coerce(%q) error %T %v, want *ParseError", text, err, err)
			}
			return
		}
		if !inRange(got) {
			t.Fatalf("Coerce(%q) = %v out of range", text, got)
		}
		// The ISO form a date travels in must read back as the same instant.
		if y := got.Year(); y >= 0 && y <= 9999 {
			back, err := Coerce(ISO(got), loc)
			if err != nil || !back.Equal(got.Truncate(time.Millisecond)) {
				t.Fatalf("Coerce(%q) = %s, which reads back as %v, %v", text, ISO(got), back, err)
			}
		}
	})
}

func FuzzCalendar(f *testing.F) {
	f.Add(int64(1482940986000), 1.5, 3, uint8(1))
	f.Add(int64(-8640000000000000), -1.0, 6, uint8(2))
	f.Add(int64(0), math.Inf(1), 0, uint8(0))
	f.Fuzz(func(t *testing.T, ms int64, n float64, unit int, z uint8) {
		at, loc := time.UnixMilli(ms%maxMillis), fuzzZone(t, z)
		add := AddUnits[uint(unit)%uint(len(AddUnits))]
		set := SetUnits[uint(unit)%uint(len(SetUnits))]
		for _, got := range []time.Time{Add(at, add, n, loc), Set(at, set, int(n), loc), SetDay(at, int(n), loc)} {
			if !got.IsZero() && !inRange(got) {
				t.Fatalf("result %v out of range", got)
			}
		}
	})
}
