package model

import (
	"fmt"
	"time"
)

// Order statistics (issue 10 item 7): for a subtree, by the month an order was placed (in
// Asia/Shanghai) and its category, what became of the orders placed then, as they stand now.
// An order counts as placed; as taken while it has a taken time (a declined, escalated or
// reopened order is no longer taken); as done while it has a done time; as cancelled in that
// status; its rating while it has stars. Time to take and time to finish run from placing.

// OrderStatBounds are the upper bounds, in minutes, of the time buckets: within 1 h, 4 h, 24 h,
// 72 h; the fifth bucket is longer.
var OrderStatBounds = [4]int64{60, 240, 1440, 4320}

// OrderStatBucketLabels name the buckets.
var OrderStatBucketLabels = [5]string{"1 小时内", "1–4 小时", "4–24 小时", "1–3 天", "3 天以上"}

// OrderStatVector is the figures as the store keeps them, one number a column of order_stats:
// placed, taken, done, cancelled, take minutes, take buckets ×5, finish minutes, finish
// buckets ×5, stars 1–5.
type OrderStatVector [21]int64

// Add adds sign × v to s.
func (s *OrderStatVector) Add(v OrderStatVector, sign int64) {
	for i := range s {
		s[i] += sign * v[i]
	}
}

// Zero reports whether every figure is 0.
func (s OrderStatVector) Zero() bool { return s == OrderStatVector{} }

// OrderStatFacts are what an order's figures depend on.
type OrderStatFacts struct {
	Status   OrderStatus
	Stars    int
	PlacedAt time.Time
	TakenAt  *time.Time
	DoneAt   *time.Time
}

// OrderStatMonth is the month an order placed at t counts in (YYYY-MM, Asia/Shanghai).
func OrderStatMonth(t time.Time) string { return MonthAt(t.In(Shanghai)).String() }

// Vector is the order's contribution to the figures of its month and category.
func (f OrderStatFacts) Vector() OrderStatVector {
	var v OrderStatVector
	v[0] = 1
	if f.TakenAt != nil {
		v[1] = 1
		m := minutesBetween(f.PlacedAt, *f.TakenAt)
		v[4] = m
		v[5+orderStatBucket(m)] = 1
	}
	if f.DoneAt != nil {
		v[2] = 1
		m := minutesBetween(f.PlacedAt, *f.DoneAt)
		v[10] = m
		v[11+orderStatBucket(m)] = 1
	}
	if f.Status == OrderCancelled {
		v[3] = 1
	}
	if f.Stars >= 1 && f.Stars <= 5 {
		v[16+f.Stars-1] = 1
	}
	return v
}

func minutesBetween(a, b time.Time) int64 {
	m := int64(b.Sub(a) / time.Minute)
	return max(m, 0)
}

func orderStatBucket(m int64) int {
	for i, b := range OrderStatBounds {
		if m <= b {
			return i
		}
	}
	return len(OrderStatBounds)
}

// OrderDurations are the times from placing to taking (or to done) of the orders that have
// one: how many, their average, the buckets, and the bucket the median and the 90th percentile
// fall in (-1 when there are none).
type OrderDurations struct {
	Count          int64    `json:"count"`
	AverageMinutes int64    `json:"average_minutes"`
	Buckets        [5]int64 `json:"buckets"`
	P50Bucket      int      `json:"p50_bucket"`
	P90Bucket      int      `json:"p90_bucket"`
}

// P50Label and P90Label name the bucket the percentile lies in ("" for none).
func (d OrderDurations) P50Label() string { return bucketLabel(d.P50Bucket) }

// P90Label is P50Label for the 90th percentile.
func (d OrderDurations) P90Label() string { return bucketLabel(d.P90Bucket) }

// AverageLabel is the average as hours with one decimal ("" for none).
func (d OrderDurations) AverageLabel() string {
	if d.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f 小时", float64(d.AverageMinutes)/60)
}

func bucketLabel(i int) string {
	if i < 0 || i >= len(OrderStatBucketLabels) {
		return ""
	}
	return OrderStatBucketLabels[i]
}

func durations(count, minutes int64, buckets []int64) OrderDurations {
	d := OrderDurations{Count: count, P50Bucket: -1, P90Bucket: -1}
	copy(d.Buckets[:], buckets)
	if count > 0 {
		d.AverageMinutes = minutes / count
	}
	var seen int64
	for i, n := range d.Buckets {
		seen += n
		if d.P50Bucket < 0 && seen > 0 && 2*seen >= count {
			d.P50Bucket = i
		}
		if d.P90Bucket < 0 && seen > 0 && 10*seen >= 9*count {
			d.P90Bucket = i
		}
	}
	return d
}

// OrderRatings are the ratings: how many, their average (0 for none) and how many of each
// number of stars (Stars[0]: one star).
type OrderRatings struct {
	Count   int64    `json:"count"`
	Average float64  `json:"average"`
	Stars   [5]int64 `json:"stars"`
}

// OrderFigures are the statistics of a set of orders.
type OrderFigures struct {
	Placed       int64          `json:"placed"`
	Taken        int64          `json:"taken"`
	Done         int64          `json:"done"`
	Cancelled    int64          `json:"cancelled"`
	TimeToTake   OrderDurations `json:"time_to_take"`
	TimeToFinish OrderDurations `json:"time_to_finish"`
	Ratings      OrderRatings   `json:"ratings"`
}

// Figures reads v.
func (v OrderStatVector) Figures() OrderFigures {
	f := OrderFigures{Placed: v[0], Taken: v[1], Done: v[2], Cancelled: v[3],
		TimeToTake: durations(v[1], v[4], v[5:10]), TimeToFinish: durations(v[2], v[10], v[11:16])}
	var sum int64
	for i := range 5 {
		n := v[16+i]
		f.Ratings.Stars[i] = n
		f.Ratings.Count += n
		sum += int64(i+1) * n
	}
	if f.Ratings.Count > 0 {
		f.Ratings.Average = float64(sum*100/f.Ratings.Count) / 100
	}
	return f
}

// OrderMonthFigures are the figures of one month.
type OrderMonthFigures struct {
	Month string `json:"month"`
	OrderFigures
}

// OrderCategoryFigures are the figures of one category (by name, across the communities).
type OrderCategoryFigures struct {
	Category string `json:"category"`
	OrderFigures
}

// OrderStats are the statistics of a subtree over months From–To (YYYY-MM, both included),
// of one category or (Category "") all: in total, by month (every month of the range, in
// order) and by category (by name).
type OrderStats struct {
	TerritoryID int64                  `json:"territory_id,string"`
	Territory   string                 `json:"territory"`
	From        string                 `json:"from"`
	To          string                 `json:"to"`
	Category    string                 `json:"category,omitempty"`
	Bounds      [4]int64               `json:"bucket_bounds_minutes"`
	Total       OrderFigures           `json:"total"`
	Months      []OrderMonthFigures    `json:"months"`
	Categories  []OrderCategoryFigures `json:"categories"`
}
