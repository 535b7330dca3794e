package model

import "time"

// Shanghai is the platform's time zone, Asia/Shanghai. Times are stored in UTC and shown in this
// zone on pages, in JSON and in exports, and a calendar date typed by a user ("2026-11-30") is a
// day in this zone. It is the one location of the program: no other package loads a zone.
//
// The binary embeds Go's zone database (time/tzdata in cmd/gongzhi), so LoadLocation succeeds;
// the fixed UTC+8 is the fallback for a test binary on a machine without one, and is the same
// zone for every time since China ended daylight saving in 1991.
var Shanghai = loadShanghai()

func loadShanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}
