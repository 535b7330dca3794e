package model

import (
	"sort"
	"strconv"
	"time"
)

// Composition analytics (issue 8 item 10): what the registered members of an org or a territory
// subtree are made of, from the counts the store maintains (store.MemberAnalytics).

// AnalyticsBucket is one value of a dimension: its code, its Chinese label, how many members and
// their share of the registered members (0–1).
type AnalyticsBucket struct {
	Value string
	Label string
	N     int64
	Share float64
}

// PartyAnalytics is the composition of one subtree.
type PartyAnalytics struct {
	Path       string
	Name       string // the org's or the node's name
	Registered int64  // current members on the registered list
	Category   []AnalyticsBucket
	Mobility   []AnalyticsBucket
	Status     []AnalyticsBucket
	Gender     []AnalyticsBucket
	Education  []AnalyticsBucket
	AgeBands   []AnalyticsBucket // by birth year, as of the year asked
	YearsBands []AnalyticsBucket // years of membership, by the year joined
	// The shares the source document worries about: retired, unemployed, outflowing members.
	RetiredShare, UnemployedShare, OutflowShare float64
	// In-work members registered elsewhere who report here (双报到): reported, not yet, rate.
	Reported, NotReported int64
	ReportingRate         float64
	// Organizational life: the active orgs of the subtree against their expected frequency.
	Life LifeCompliance
	// Study: courses assigned to the registered members of the subtree and completed by them.
	Study StudyCompletion
}

// LifeCompliance counts the active orgs of a subtree that hold every type of meeting expected
// of them within the expected frequency (OnTime) and those overdue in at least one (Overdue),
// by the rule of the compliance view (MeetingOverdue); ByType counts per type of meeting.
type LifeCompliance struct {
	Orgs, OnTime, Overdue int64
	Rate                  float64 // OnTime / Orgs, 0 without orgs
	ByType                []LifeTypeCompliance
}

// LifeTypeCompliance is one type of meeting: the orgs expected to hold it and those overdue.
type LifeTypeCompliance struct {
	Type          MeetingType
	Label         string
	Orgs, Overdue int64
}

// StudyCompletion is the courses assigned to the registered members of a subtree (one per
// member and course, however many assignments reach the member) and those they completed.
type StudyCompletion struct {
	Assigned, Completed int64
	Rate                float64 // Completed / Assigned, 0 when nothing is assigned
}

// analyticsBand is a band of years: From ≤ years ≤ To (To < 0: no upper end).
type analyticsBand struct {
	label    string
	from, to int
}

var (
	analyticsAgeBands   = []analyticsBand{{"35岁及以下", 0, 35}, {"36–45岁", 36, 45}, {"46–60岁", 46, 60}, {"61–70岁", 61, 70}, {"71岁及以上", 71, -1}}
	analyticsYearsBands = []analyticsBand{{"5年以下", 0, 4}, {"5–10年", 5, 10}, {"11–20年", 11, 20}, {"21–30年", 21, 30}, {"30年以上", 31, -1}}
)

// NewPartyAnalytics builds the composition from the maintained counts: counts[dim][value] = n,
// the dims total, category, mobility, status, gender, education, birth_year, joined_year and
// reporting_in_work. Ages and years of membership are counted by calendar year as of asOf.
func NewPartyAnalytics(counts map[string]map[string]int64, asOf time.Time) *PartyAnalytics {
	a := &PartyAnalytics{Registered: counts["total"][""]}
	share := func(n int64) float64 {
		if a.Registered == 0 {
			return 0
		}
		return float64(n) / float64(a.Registered)
	}
	fixed := func(dim string, values []string, label func(string) string) []AnalyticsBucket {
		out := make([]AnalyticsBucket, 0, len(values))
		seen := map[string]bool{}
		for _, v := range values {
			seen[v] = true
			n := counts[dim][v]
			out = append(out, AnalyticsBucket{Value: v, Label: label(v), N: n, Share: share(n)})
		}
		var rest []string
		for v, n := range counts[dim] {
			if !seen[v] && n != 0 {
				rest = append(rest, v)
			}
		}
		sort.Strings(rest)
		for _, v := range rest {
			l := label(v)
			if v == "" || l == "" {
				l = "未填写"
			}
			out = append(out, AnalyticsBucket{Value: v, Label: l, N: counts[dim][v], Share: share(counts[dim][v])})
		}
		return out
	}
	var cats, mobs, edus []string
	for _, c := range MemberCategories {
		cats = append(cats, string(c))
	}
	for _, m := range Mobilities {
		mobs = append(mobs, string(m))
	}
	for _, e := range Educations {
		edus = append(edus, string(e))
	}
	a.Category = fixed("category", cats, func(v string) string { return MemberCategory(v).Label() })
	a.Mobility = fixed("mobility", mobs, func(v string) string { return Mobility(v).Label() })
	a.Status = fixed("status", []string{string(MemberFull), string(MemberProbationary)}, func(v string) string { return MemberStatus(v).Label() })
	a.Gender = fixed("gender", []string{string(GenderMale), string(GenderFemale)}, func(v string) string {
		switch Gender(v) {
		case GenderMale:
			return "男"
		case GenderFemale:
			return "女"
		}
		return ""
	})
	a.Education = fixed("education", edus, func(v string) string { return Education(v).Label() })
	a.AgeBands = analyticsBands(counts["birth_year"], analyticsAgeBands, asOf.Year(), share)
	a.YearsBands = analyticsBands(counts["joined_year"], analyticsYearsBands, asOf.Year(), share)
	a.RetiredShare = share(counts["category"][string(CategoryRetired)])
	a.UnemployedShare = share(counts["category"][string(CategoryUnemployed)])
	a.OutflowShare = share(counts["mobility"][string(MobilityOutflow)])
	a.Reported, a.NotReported = counts["reporting_in_work"]["reported"], counts["reporting_in_work"]["not_reported"]
	if t := a.Reported + a.NotReported; t > 0 {
		a.ReportingRate = float64(a.Reported) / float64(t)
	}
	return a
}

// analyticsBands sums counts by year into bands of years before year (the year's value "" is
// counted as unknown, a band of its own when not empty).
func analyticsBands(byYear map[string]int64, bands []analyticsBand, year int, share func(int64) float64) []AnalyticsBucket {
	out := make([]AnalyticsBucket, len(bands))
	for i, b := range bands {
		out[i] = AnalyticsBucket{Value: strconv.Itoa(b.from), Label: b.label}
	}
	var unknown int64
	for v, n := range byYear {
		y, err := strconv.Atoi(v)
		if err != nil {
			unknown += n
			continue
		}
		d := year - y
		for i, b := range bands {
			if d >= b.from && (b.to < 0 || d <= b.to) || (i == 0 && d < b.from) {
				out[i].N += n
				break
			}
		}
	}
	if unknown != 0 {
		out = append(out, AnalyticsBucket{Value: "", Label: "未填写", N: unknown})
	}
	for i := range out {
		out[i].Share = share(out[i].N)
	}
	return out
}
