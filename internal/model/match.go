package model

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Matching needs with resources (the matching page of the three lists): each available resource
// gets a score from three things, and one line in Chinese that says why it ranks where it does.
//
//   - what: a tag equal to the need's category +40, the category named in its title or
//     description +25; the kind the need wants +15;
//   - where: on the need's own node +30, on a node above it (its area covers the need) +25, on a
//     node below it +20, elsewhere in the same community +10;
//   - availability: no live project on it +10, else −5 for each (it is busy).

// ResourceMatch is one ranked resource for a need.
type ResourceMatch struct {
	Resource *Resource
	Score    int
	Why      string // one line: 标签含“维修”；服务范围覆盖需求所在地；目前空闲
}

// RankResources ranks resources for need, best first (ties by id). The caller passes the
// available resources of the need's community only.
func RankResources(need *Need, resources []*Resource) []ResourceMatch {
	out := make([]ResourceMatch, 0, len(resources))
	for _, r := range resources {
		score, why := 0, []string{}
		switch {
		case need.Category != "" && slices.Contains(r.TagList(), need.Category):
			score += 40
			why = append(why, "标签含“"+need.Category+"”")
		case need.Category != "" && (strings.Contains(r.Title, need.Category) || strings.Contains(r.Description, need.Category)):
			score += 25
			why = append(why, "说明提到“"+need.Category+"”")
		default:
			why = append(why, "类别不同")
		}
		if need.Wants != "" && r.Kind == need.Wants {
			score += 15
			why = append(why, "正是所需的"+r.Kind.Label())
		}
		switch {
		case r.Path == need.Path:
			score += 30
			why = append(why, "同在"+need.TerritoryName)
		case strings.HasPrefix(need.Path, r.Path):
			score += 25
			why = append(why, "服务范围覆盖需求所在地")
		case strings.HasPrefix(r.Path, need.Path):
			score += 20
			why = append(why, "位于需求范围之内（"+r.TerritoryName+"）")
		case r.CommunityID == need.CommunityID:
			score += 10
			why = append(why, "同一社区（"+r.TerritoryName+"）")
		default:
			why = append(why, "不在同一社区")
		}
		if r.ActiveProjects == 0 {
			score += 10
			why = append(why, "目前空闲")
		} else {
			score -= 5 * r.ActiveProjects
			why = append(why, "已承接"+strconv.Itoa(r.ActiveProjects)+"个项目")
		}
		if r.Availability != "" {
			why = append(why, "可用："+r.Availability)
		}
		out = append(out, ResourceMatch{Resource: r, Score: score, Why: strings.Join(why, "；")})
	}
	slices.SortStableFunc(out, func(a, b ResourceMatch) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Resource.ID, b.Resource.ID)
	})
	return out
}
