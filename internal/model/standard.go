package model

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Basic public service standards (基本公共服务达标, issue 12 item 5). A standard item is kept by
// a street, a district or the whole deployment, like the burden register's catalogues, and
// applies to every community below its keeper: a measurable target (a value, a comparison and a
// threshold) checked either automatically, from a metric the store computes for a community
// from existing tables (StandardMetric), or from a value staff enter with evidence. A
// community's compliance with an item is met, not met, or no data.

// StandardMethod is how an item is checked.
type StandardMethod string

// The methods.
const (
	StandardAuto   StandardMethod = "auto"   // from a metric the store computes
	StandardManual StandardMethod = "manual" // from the value staff last entered, with evidence
)

// StandardMetric names a figure the store computes for a community.
type StandardMetric string

// The metrics (store.communityMetric computes each).
const (
	MetricGridBranch   StandardMetric = "grid_branch_percent"         // grids with an active Party branch or group anchored on them, %
	MetricStaffPer100  StandardMetric = "staff_per_100_households"    // community staff and admin accounts per 100 households
	MetricProjectsDone StandardMetric = "small_projects_done_percent" // winners of the year's decided small-project rounds that are done, %
	MetricOrdersDone   StandardMetric = "orders_done_percent"         // orders placed in the year that were done, %
)

var metricLabels = map[StandardMetric]string{
	MetricGridBranch:   "建有党支部或党小组的网格占比（%）",
	MetricStaffPer100:  "每百户社区工作者人数",
	MetricProjectsDone: "民生微实事项目年内完工率（%）",
	MetricOrdersDone:   "志愿服务订单年内办结率（%）",
}

// StandardMetrics lists the metrics in their order.
var StandardMetrics = []StandardMetric{MetricGridBranch, MetricStaffPer100, MetricProjectsDone, MetricOrdersDone}

// Label is the metric's Chinese name.
func (m StandardMetric) Label() string { return metricLabels[m] }

// Valid reports whether m is a known metric.
func (m StandardMetric) Valid() bool { return metricLabels[m] != "" }

// StandardCompliance is a community's standing on an item.
type StandardCompliance string

// The standings.
const (
	StandardMet    StandardCompliance = "met"
	StandardUnmet  StandardCompliance = "unmet"
	StandardNoData StandardCompliance = "nodata"
)

var standardComplianceLabels = map[StandardCompliance]string{StandardMet: "达标", StandardUnmet: "未达标", StandardNoData: "暂无数据"}

// Label is the standing's Chinese name.
func (c StandardCompliance) Label() string { return standardComplianceLabels[c] }

// StandardItem is one item of the standards catalogue.
type StandardItem struct {
	ID        int64
	OwnerID   int64
	OwnerPath string
	OwnerName string
	Code      string
	Name      string // 每个网格有党支部或党小组
	Method    StandardMethod
	Metric    StandardMetric // auto items
	Op        string         // ">=" or "<="
	Threshold int64          // hundredths
	Unit      string         // %, 人, 小时 …
	Active    bool
}

// Target is the item's target in words, "≥ 80 %".
func (i *StandardItem) Target() string {
	op := "≥"
	if i.Op == "<=" {
		op = "≤"
	}
	return op + " " + FormatHundredths(i.Threshold) + " " + i.Unit
}

// Judge is the standing of value (hundredths) on the item.
func (i *StandardItem) Judge(value int64) StandardCompliance {
	if i.Op == "<=" && value <= i.Threshold || i.Op != "<=" && value >= i.Threshold {
		return StandardMet
	}
	return StandardUnmet
}

// Limits of the catalogue.
const (
	StandardNameMax     = 80
	StandardEvidenceMax = 500
)

// StandardItemInput is an item as administrators enter it.
type StandardItemInput struct {
	OwnerID   int64
	Code      string
	Name      string
	Method    StandardMethod
	Metric    StandardMetric
	Op        string
	Threshold string // a decimal with at most two places
	Unit      string
	Active    bool
	// ThresholdValue is Threshold read by Validate.
	ThresholdValue int64
}

// Validate checks the item's fields and reads the threshold.
func (in *StandardItemInput) Validate() error {
	in.Code, in.Name, in.Unit = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.Unit)
	var v ValidationError
	if n := utf8.RuneCountInString(in.Code); n == 0 || n > 20 {
		v.Add("code", "请填写编号（不超过 20 个字符），如 BZ-01")
	}
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > StandardNameMax {
		v.Add("name", "请填写达标事项（不超过 80 个字），如“每个网格有党支部或党小组”")
	}
	switch in.Method {
	case StandardAuto:
		if !in.Metric.Valid() {
			v.Add("metric", "自动核验的事项请选择一个数据指标")
		}
	case StandardManual:
		in.Metric = ""
	default:
		v.Add("method", "请选择核验方式：自动核验或人工填报")
	}
	if in.Op != ">=" && in.Op != "<=" {
		v.Add("op", "请选择“不少于”或“不多于”")
	}
	t, ok := ParseHundredths(in.Threshold)
	if !ok {
		v.Add("threshold", "请填写目标值，最多两位小数，如 80 或 1.5")
	}
	in.ThresholdValue = t
	if utf8.RuneCountInString(in.Unit) > 10 {
		v.Add("unit", "单位不超过 10 个字")
	}
	return v.Err()
}

// StandardEntryInput is a value staff enter for a manual item in a community.
type StandardEntryInput struct {
	ItemID      int64
	CommunityID int64
	Value       string
	Evidence    string
	// ValueHundredths is Value read by Validate.
	ValueHundredths int64
}

// Validate checks the value and the evidence.
func (in *StandardEntryInput) Validate() error {
	in.Evidence = strings.TrimSpace(in.Evidence)
	var v ValidationError
	n, ok := ParseHundredths(in.Value)
	if !ok {
		v.Add("value", "请填写实测值，最多两位小数，如 42 或 0.5")
	}
	in.ValueHundredths = n
	switch c := utf8.RuneCountInString(in.Evidence); {
	case c == 0:
		v.Add("evidence", "请写明依据（如台账名称、检查记录、照片存放位置）")
	case c > StandardEvidenceMax:
		v.Add("evidence", "依据不超过 "+strconv.Itoa(StandardEvidenceMax)+" 个字")
	}
	return v.Err()
}

// ParseHundredths reads a non-negative decimal with at most two places ("80", "1.5") as
// hundredths, without floating point.
func ParseHundredths(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	whole, frac, has := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || has && (len(frac) == 0 || len(frac) > 2) {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	var f int64
	if has {
		for len(frac) < 2 {
			frac += "0"
		}
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	return w*100 + f, true
}

// FormatHundredths writes hundredths as a decimal without trailing zeros, "80", "1.5".
func FormatHundredths(v int64) string {
	s := strconv.FormatInt(v/100, 10)
	if f := v % 100; f != 0 {
		fs := strconv.FormatInt(f+100, 10)[1:]
		s += "." + strings.TrimRight(fs, "0")
	}
	return s
}

// StandardResult is a community's standing on one item.
type StandardResult struct {
	Item       *StandardItem
	Value      int64 // hundredths; meaningful when Status is not nodata
	Status     StandardCompliance
	Evidence   string // manual items: what the value rests on
	RecordedBy string
	RecordedAt *time.Time
}

// ValueText is the measured value, "—" without data.
func (r *StandardResult) ValueText() string {
	if r.Status == StandardNoData {
		return "—"
	}
	return FormatHundredths(r.Value) + " " + r.Item.Unit
}

// StandardRow is one community's compliance in a street's overview.
type StandardRow struct {
	CommunityID   int64
	CommunityName string
	Met, Unmet    int
	NoData        int
	Results       []*StandardResult // in the catalogue's order
}
