// Package schedule says when a scenario runs on its own: every N minutes, on a
// five-field cron expression evaluated in an IANA time zone, or once at a given time.
// It is pure: Validate checks a weft.Schedule, Next and Following compute due times
// from times the caller passes in (no clock is read here).
//
// Cron expressions are evaluated on the wall clock of their time zone, so a daylight
// saving change keeps "every day at 08:00" at 08:00 local time. A local time that does
// not exist (the hour skipped when clocks go forward) is skipped; a local time that
// happens twice (the hour repeated when clocks go back) fires once, at its first
// occurrence.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	// The zone database is embedded so that cron time zones work on hosts and container
	// images without /usr/share/zoneinfo (about 450 kB in the binary).
	_ "time/tzdata"

	"github.com/adhocore/gronx"

	"github.com/weftworks/weft"
)

// Schedule types (weft.Schedule.Type).
const (
	OnDemand = ""         // only triggers (webhooks run immediately) and manual runs
	Interval = "interval" // every Interval minutes
	Cron     = "cron"     // on a five-field cron expression in Timezone
	Once     = "once"     // once, at At
)

// Interval bounds in minutes: Make's shortest interval and its longest (31 days, the
// same bound as Break's retry interval).
const (
	MinInterval = 1
	MaxInterval = 44640
)

// Error is a schedule that does not validate; Field names the offending field as it
// appears in JSON (type, interval, cron, timezone, at).
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string { return "schedule." + e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Validate checks that s is a schedule weft can follow: a known type with exactly the
// fields that type uses. It does not compare a once-time with the present (the caller
// knows the present).
func Validate(s weft.Schedule) error {
	var errs []error
	stray := func(field string, set bool) {
		if set {
			what := "an on-demand schedule"
			if s.Type != OnDemand {
				what = "type " + s.Type
			}
			errs = append(errs, fieldErr(field, "is not used by %s; leave it out", what))
		}
	}
	switch s.Type {
	case OnDemand:
		stray("interval", s.Interval != 0)
		stray("cron", s.Cron != "")
		stray("timezone", s.Timezone != "")
		stray("at", s.At != nil)
	case Interval:
		if s.Interval < MinInterval || s.Interval > MaxInterval {
			errs = append(errs, fieldErr("interval", "%d minutes is out of range: it must be %d to %d (31 days)",
				s.Interval, MinInterval, MaxInterval))
		}
		stray("cron", s.Cron != "")
		stray("timezone", s.Timezone != "")
		stray("at", s.At != nil)
	case Cron:
		if err := checkCron(s.Cron); err != nil {
			errs = append(errs, err)
		}
		if _, err := location(s.Timezone); err != nil {
			errs = append(errs, err)
		}
		stray("interval", s.Interval != 0)
		stray("at", s.At != nil)
	case Once:
		if s.At == nil || s.At.IsZero() {
			errs = append(errs, fieldErr("at", "is required for type once (an RFC 3339 time such as 2026-05-01T08:00:00+02:00)"))
		}
		stray("interval", s.Interval != 0)
		stray("cron", s.Cron != "")
		stray("timezone", s.Timezone != "")
	default:
		errs = append(errs, fieldErr("type", "unknown type %q: use interval, cron, once, or leave it empty for on demand", s.Type))
	}
	return errors.Join(errs...)
}

// checkCron accepts exactly five fields (minute hour day-of-month month day-of-week)
// that gronx understands and that match some time at all ("0 0 30 2 *" never does).
func checkCron(expr string) error {
	if strings.TrimSpace(expr) == "" {
		return fieldErr("cron", "is required for type cron (five fields: minute hour day-of-month month day-of-week, e.g. \"0 8 * * 1-5\")")
	}
	if n := len(strings.Fields(expr)); n != 5 {
		plural := "s"
		if n == 1 {
			plural = ""
		}
		return fieldErr("cron", "%q has %d field%s; weft takes five: minute hour day-of-month month day-of-week", expr, n, plural)
	}
	if !gronx.New().IsValid(expr) {
		return fieldErr("cron", "%q is not a valid cron expression (minute 0-59, hour 0-23, day 1-31, month 1-12 or jan-dec, weekday 0-7 or sun-sat; * , - / allowed)", expr)
	}
	// gronx gives up on a field it cannot satisfy within its search limits; starting in
	// a leap year lets February 29 be found.
	if _, err := gronx.NextTickAfter(expr, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), true); err != nil {
		return fieldErr("cron", "%q never matches a date (such as February 30)", expr)
	}
	return nil
}

// zones caches loaded time zones: Next runs for every fired tick and LoadLocation
// parses zone data on every call.
var zones sync.Map // string → *time.Location

// location loads an IANA zone; "" is UTC. "Local" is refused: it would mean whatever
// the host happens to be set to.
func location(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "Local" {
		return nil, fieldErr("timezone", "\"Local\" depends on the host; name an IANA zone such as Europe/Prague")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fieldErr("timezone", "%q is not an IANA time zone (such as Europe/Prague or America/New_York)", name)
	}
	zones.Store(name, l)
	return l, nil
}

// Next is the first time strictly after after at which s is due, in UTC, or nil when
// s has no further run (on demand, a once-time already passed, an invalid schedule).
// An interval is due Interval minutes after after.
func Next(s weft.Schedule, after time.Time) *time.Time {
	switch s.Type {
	case Interval:
		if s.Interval < MinInterval || s.Interval > MaxInterval {
			return nil
		}
		t := after.Add(time.Duration(s.Interval) * time.Minute).UTC()
		return &t
	case Cron:
		loc, err := location(s.Timezone)
		if err != nil {
			return nil
		}
		return nextCron(s.Cron, loc, after)
	case Once:
		if s.At == nil || !s.At.After(after) {
			return nil
		}
		t := s.At.UTC()
		return &t
	}
	return nil
}

// Following is when s is due next once the run that was due at due starts at now
// (now ≥ due). It is never at or before now, so ticks missed while weft was down
// collapse into the one run starting now (as Make does). An interval stays on its grid
// (due + k·Interval) so its cadence does not drift by the worker's latency; cron and
// once are Next(s, now).
func Following(s weft.Schedule, due, now time.Time) *time.Time {
	if s.Type != Interval || s.Interval < MinInterval || s.Interval > MaxInterval || due.After(now) {
		return Next(s, now)
	}
	step := time.Duration(s.Interval) * time.Minute
	k := now.Sub(due)/step + 1
	t := due.Add(k * step).UTC()
	return &t
}

// nextCron walks the cron matches on the zone's wall clock (as naive UTC times, where
// no DST exists and gronx's arithmetic is exact) and maps each to an instant: a wall
// time with no instant is skipped, one with two instants fires at the first.
func nextCron(expr string, loc *time.Location, after time.Time) *time.Time {
	w := wall(after.In(loc)).Truncate(time.Minute)
	// Each step moves the wall clock forward by at least a minute; only a DST gap or
	// fold (at most a few hours of minutes) can make a step not return, so the bound is
	// never reached by a valid expression.
	for range 2000 {
		next, err := gronx.NextTickAfter(expr, w, false)
		if err != nil || !next.After(w) {
			return nil
		}
		w = next
		t, ok := firstInstant(w, loc)
		if !ok {
			continue // the local time does not exist that day
		}
		if t.After(after) {
			t = t.UTC()
			return &t
		}
		// The wall time's first occurrence is not after after: after lies in a repeated
		// hour past that occurrence, which has fired already.
	}
	return nil
}

// wall is t's wall clock as a UTC time with the same fields.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// firstInstant is the earliest instant whose wall clock in loc is w (a naive UTC
// time), or false when the clock skipped over w. time.Date does not say which instant
// it picks in a fold nor that a time was skipped, so every UTC offset in force near w
// is tried.
func firstInstant(w time.Time, loc *time.Location) (time.Time, bool) {
	var best time.Time
	found := false
	for _, off := range offsetsNear(w, loc) {
		t := w.Add(-time.Duration(off) * time.Second)
		if !wall(t.In(loc)).Equal(w) {
			continue
		}
		if !found || t.Before(best) {
			best, found = t, true
		}
	}
	return best, found
}

// offsetsNear lists the UTC offsets loc uses within a day of w (offsets span −12 h to
// +14 h, so every instant whose wall clock can be w lies in that window).
func offsetsNear(w time.Time, loc *time.Location) []int {
	var offs []int
	t, end := w.Add(-26*time.Hour), w.Add(26*time.Hour)
	for range 16 { // a zone never changes offset 16 times in two days
		_, off := t.In(loc).Zone()
		if len(offs) == 0 || offs[len(offs)-1] != off {
			offs = append(offs, off)
		}
		_, zoneEnd := t.In(loc).ZoneBounds()
		if zoneEnd.IsZero() || !zoneEnd.Before(end) {
			break
		}
		t = zoneEnd
	}
	return offs
}
