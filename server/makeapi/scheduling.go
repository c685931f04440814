package makeapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/schedule"
)

// scheduling is Make's schedule of a scenario. weft keeps schedules its own way
// (weft.Schedule: on demand, every N minutes, cron in a time zone, once); the
// translation goes both ways for everything Make's scheduling can say except
// "between" and "restrict", which weft does not have (refused, never dropped).
type scheduling struct {
	Type     string `json:"type"`
	Interval int    `json:"interval,omitempty"` // seconds (indefinitely)
	Date     string `json:"date,omitempty"`     // once
	Days     []int  `json:"days,omitempty"`     // weekly (0–6, 0 Sunday), monthly and yearly (1–31)
	Months   []int  `json:"months,omitempty"`   // yearly (1–12)
	Time     string `json:"time,omitempty"`     // daily, weekly, monthly, yearly: "HH:MM"
	// Cron and Timezone show a weft cron schedule that none of Make's types can say
	// (set through /api/v1 or the CLI), as type "cron".
	Cron     string `json:"cron,omitempty"`
	Timezone string `json:"timezone,omitempty"`
}

// toWeft translates Make's scheduling (raw JSON) into weft's schedule.
func toWeft(raw []byte) (weft.Schedule, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return weft.Schedule{}, invalid("scheduling", "is not a JSON object")
	}
	for k := range probe {
		switch k {
		case "type", "interval", "date", "days", "months", "time":
		case "between", "restrict":
			return weft.Schedule{}, invalid("scheduling."+k, "weft's schedules have no %q: set the schedule without it", k)
		default:
			return weft.Schedule{}, invalid("scheduling."+k, "is not a scheduling field weft knows (type, interval, date, days, months, time)")
		}
	}
	var s scheduling
	if err := json.Unmarshal(raw, &s); err != nil {
		return weft.Schedule{}, invalid("scheduling", "is not valid: %v", err)
	}
	switch s.Type {
	case "on-demand", "immediately":
		return weft.Schedule{Type: schedule.OnDemand}, nil
	case "indefinitely":
		if s.Interval < 60 || s.Interval%60 != 0 {
			return weft.Schedule{}, invalid("scheduling.interval", "%d: weft schedules whole minutes; give seconds, a multiple of 60 from 60", s.Interval)
		}
		return weft.Schedule{Type: schedule.Interval, Interval: s.Interval / 60}, nil
	case "once":
		at, err := parseDate(s.Date)
		if err != nil {
			return weft.Schedule{}, invalid("scheduling.date", "%q is not a date and time (ISO 8601)", s.Date)
		}
		return weft.Schedule{Type: schedule.Once, At: &at}, nil
	case "daily", "weekly", "monthly", "yearly":
	case "":
		return weft.Schedule{}, invalid("scheduling.type", "is required")
	default:
		return weft.Schedule{}, invalid("scheduling.type", "%q: want on-demand, immediately, indefinitely, once, daily, weekly, monthly or yearly", s.Type)
	}
	hour, minute, err := parseClock(s.Time)
	if err != nil {
		return weft.Schedule{}, invalid("scheduling.time", "%q is not a time of day (HH:MM)", s.Time)
	}
	dom, month, dow := "*", "*", "*"
	switch s.Type {
	case "weekly":
		if dow, err = cronList(s.Days, 0, 7, "scheduling.days"); err != nil {
			return weft.Schedule{}, err
		}
	case "monthly":
		if dom, err = cronList(s.Days, 1, 31, "scheduling.days"); err != nil {
			return weft.Schedule{}, err
		}
	case "yearly":
		if dom, err = cronList(s.Days, 1, 31, "scheduling.days"); err != nil {
			return weft.Schedule{}, err
		}
		if month, err = cronList(s.Months, 1, 12, "scheduling.months"); err != nil {
			return weft.Schedule{}, err
		}
	}
	return weft.Schedule{Type: schedule.Cron, Cron: fmt.Sprintf("%d %d %s %s %s", minute, hour, dom, month, dow), Timezone: "UTC"}, nil
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date")
}

func parseClock(s string) (hour, minute int, err error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("no colon")
	}
	if hour, err = strconv.Atoi(h); err != nil || hour < 0 || hour > 23 {
		return 0, 0, fmt.Errorf("bad hour")
	}
	if minute, err = strconv.Atoi(m); err != nil || minute < 0 || minute > 59 {
		return 0, 0, fmt.Errorf("bad minute")
	}
	return hour, minute, nil
}

// cronList is a cron field listing ns (each within lo…hi; 7 is Sunday like 0).
func cronList(ns []int, lo, hi int, field string) (string, error) {
	if len(ns) == 0 {
		return "", invalid(field, "is required for this type")
	}
	var parts []string
	for _, n := range ns {
		if n < lo || n > hi {
			return "", invalid(field, "%d is not within %d…%d", n, lo, hi)
		}
		if hi == 7 && n == 7 {
			n = 0
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return strings.Join(parts, ","), nil
}

// fromWeft shows weft's schedule in Make's terms: instant scenarios without a schedule
// run "immediately", others "on-demand".
func fromWeft(s weft.Schedule, instant bool) scheduling {
	switch s.Type {
	case schedule.Interval:
		return scheduling{Type: "indefinitely", Interval: s.Interval * 60}
	case schedule.Once:
		if s.At != nil {
			return scheduling{Type: "once", Date: makeTime(*s.At)}
		}
	case schedule.Cron:
		if m, ok := cronToMake(s); ok {
			return m
		}
		return scheduling{Type: "cron", Cron: s.Cron, Timezone: s.Timezone}
	}
	if instant {
		return scheduling{Type: "immediately"}
	}
	return scheduling{Type: "on-demand"}
}

// cronToMake reads back the cron expressions toWeft writes (in UTC).
func cronToMake(s weft.Schedule) (scheduling, bool) {
	if s.Timezone != "" && s.Timezone != "UTC" {
		return scheduling{}, false
	}
	f := strings.Fields(s.Cron)
	if len(f) != 5 {
		return scheduling{}, false
	}
	minute, err1 := strconv.Atoi(f[0])
	hour, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return scheduling{}, false
	}
	at := fmt.Sprintf("%02d:%02d", hour, minute)
	dom, ok1 := listOf(f[2])
	month, ok2 := listOf(f[3])
	dow, ok3 := listOf(f[4])
	if !ok1 || !ok2 || !ok3 {
		return scheduling{}, false
	}
	switch {
	case dom == nil && month == nil && dow == nil:
		return scheduling{Type: "daily", Time: at}, true
	case dom == nil && month == nil:
		return scheduling{Type: "weekly", Days: dow, Time: at}, true
	case month == nil && dow == nil:
		return scheduling{Type: "monthly", Days: dom, Time: at}, true
	case dom != nil && month != nil && dow == nil:
		return scheduling{Type: "yearly", Days: dom, Months: month, Time: at}, true
	}
	return scheduling{}, false
}

// listOf reads a cron field that is * (nil) or a list of numbers.
func listOf(field string) ([]int, bool) {
	if field == "*" {
		return nil, true
	}
	var out []int
	for _, p := range strings.Split(field, ",") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, true
}
