package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// Workers gives a community its roster of community workers (社区工作者, issue 12 item 3) and a
// year of their visits, deterministic by seed: a secretary, a director, full-time workers and
// one grid worker per grid (assigned to it), qualifications, a year of trainings, each worker's
// recruitment (written exam, interview, appointment), one who left; accounts are linked to the worker of that position. The visits are logged by visitors
// (accounts with their scopes): two or three a week each over the past year, to compounds,
// buildings and households of their scope, a fifth of them with a follow-up (the old ones
// closed), and a few buildings left alone for the "nobody visited" list. A community that has
// workers already gets nothing; it returns how many visits it logged.
func Workers(ctx context.Context, st *store.Store, community *model.Territory, accounts map[string]int64, visitors []authz.Scope, seed int64, today time.Time) (int, error) {
	sys := authz.System()
	have, err := st.Workers(ctx, sys, store.WorkerFilter{Territory: community.ID, Status: "all", Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(have.Items) > 0 {
		return 0, nil
	}
	r := seedFor(seed, "workers/"+community.Path)
	grids, err := st.Territories(ctx, sys, store.TerritoryFilter{Under: community.ID, Kind: model.KindGrid, Limit: store.MaxLimit})
	if err != nil {
		return 0, err
	}
	region := 510781
	if len(community.Code) >= 6 {
		if n, err := strconv.Atoi(community.Code[:6]); err == nil {
			region = n
		}
	}
	type plan struct {
		position string
		qual     model.Qualification
		grid     int64
	}
	plans := []plan{{"社区书记", model.QualWorker, 0}, {"社区主任", model.QualWorker, 0}, {"社区专职工作者", model.QualAssistant, 0},
		{"民政专干", model.QualAssistant, 0}, {"综治专干", model.QualNone, 0}}
	for _, g := range grids.Items {
		plans = append(plans, plan{"专职网格员", []model.Qualification{model.QualNone, model.QualAssistant, model.QualAssistant}[r.IntN(3)], g.ID})
	}
	plans = append(plans, plan{"社会工作者", model.QualSenior, 0}, plan{"社区专职工作者", model.QualNone, 0})
	linked := map[string]bool{}
	for i, p := range plans {
		male := r.IntN(2) == 0
		born := today.Year() - 24 - r.IntN(28)
		birth := time.Date(born, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		hired := today.AddDate(-1-r.IntN(9), -r.IntN(12), -r.IntN(28))
		in := model.WorkerInput{CommunityID: community.ID, Name: surname(r) + givenName(r, male, born), Position: p.position, Qualification: p.qual,
			Phone: fmt.Sprintf("1%d%08d", 35+r.IntN(4), r.IntN(100_000_000)), IDNumber: demoID(region, birth, i, male), HiredOn: hired.Format(time.DateOnly)}
		if i == len(plans)-1 {
			in.LeftOn = today.AddDate(0, -2, 0).Format(time.DateOnly)
		}
		key := p.position
		if p.grid != 0 {
			key = fmt.Sprintf("grid:%d", p.grid)
		}
		if id := accounts[key]; id != 0 && !linked[key] {
			in.UserID, linked[key] = id, true
		}
		w, err := st.CreateWorker(ctx, sys, in)
		if err != nil {
			return 0, fmt.Errorf("worker %s: %w", p.position, err)
		}
		if p.grid != 0 {
			if _, err := st.SetWorkerGrids(ctx, sys, w.ID, []int64{p.grid}); err != nil {
				return 0, err
			}
		}
		stages := []struct {
			stage  model.RecruitStage
			before int
			score  string
		}{{model.StageExam, 60, strconv.Itoa(70 + r.IntN(25))}, {model.StageInterview, 40, strconv.Itoa(75 + r.IntN(20))}, {model.StageAppointment, 0, ""}}
		for _, s := range stages {
			if _, err := st.AddWorkerRecruitment(ctx, sys, w.ID, model.RecruitmentInput{Stage: s.stage, On: hired.AddDate(0, 0, -s.before).Format(time.DateOnly),
				Result: model.ResultPassed, Score: s.score}); err != nil {
				return 0, err
			}
		}
		for n := 2 + r.IntN(4); n > 0; n-- {
			on := today.AddDate(0, 0, -1-r.IntN(360))
			title := pick(r, trainingTitles)
			if _, err := st.AddWorkerTraining(ctx, sys, w.ID, model.TrainingInput{On: on.Format(time.DateOnly), Title: title,
				Hours: []string{"2", "3", "4", "6", "8", "1.5"}[r.IntN(6)]}); err != nil {
				return 0, err
			}
		}
	}
	return demoVisits(ctx, st, r, community, visitors, today)
}

var trainingTitles = []string{"社会工作实务培训", "社区治理能力提升班", "网格化服务管理培训", "矛盾纠纷调解技巧", "民政政策解读", "心理健康与危机干预", "应急处置演练", "党建引领基层治理专题"}

var visitFindings = []struct{ found, follow string }{
	{"楼道堆放杂物，已提醒住户清理", "三天后复查楼道"},
	{"独居老人身体尚好，药品充足", ""},
	{"单元门禁损坏，住户出入不便", "报物业维修门禁"},
	{"住户反映夜间广场舞噪音", "与广场舞队协商时间"},
	{"院落卫生良好，垃圾分类到位", ""},
	{"发现一处电动车楼道充电", "督促整改并宣传消防安全"},
	{"新搬入两户，已登记基本信息", ""},
	{"困难家庭孩子上学有困难", "对接教育救助政策"},
	{"下水道堵塞，有异味", "联系市政疏通"},
	{"走访党员户，了解双报到情况", ""},
	{"老人希望开展健康讲座", "联系社区卫生服务中心"},
	{"小区路灯两盏不亮", "报物业更换"},
}

// demoVisits logs the visitors' year of visits, each as it would have been logged on its day.
func demoVisits(ctx context.Context, st *store.Store, r *rand.Rand, community *model.Territory, visitors []authz.Scope, today time.Time) (int, error) {
	n := 0
	// Every fourth building of the community (from the second), and what lies in it, is left
	// alone for the last 40 days (a community of one building has none).
	bs, err := st.Territories(ctx, authz.System(), store.TerritoryFilter{Under: community.ID, Kind: model.KindBuilding, Limit: store.MaxLimit})
	if err != nil {
		return 0, err
	}
	var quiet []string
	for i, b := range bs.Items {
		if i%4 == 1 {
			quiet = append(quiet, b.Path)
		}
	}
	for _, sc := range visitors {
		nodes, err := st.Territories(ctx, sc, store.TerritoryFilter{Limit: store.MaxLimit})
		if err != nil {
			return n, err
		}
		var places []*model.Territory
		for _, t := range nodes.Items {
			if model.VisitablePlace(t.Kind) && t.Kind != model.KindGrid && t.ArchivedAt == nil {
				places = append(places, t)
			}
		}
		inQuiet := func(path string) bool {
			for _, q := range quiet {
				if strings.HasPrefix(path, q) {
					return true
				}
			}
			return false
		}
		hs, err := st.Households(ctx, sc, store.HouseholdFilter{Limit: 200})
		if err != nil {
			return n, err
		}
		if len(places) == 0 {
			continue
		}
		for day := 364; day >= 0; day-- {
			if r.IntN(7) >= 3 {
				continue
			}
			at := time.Date(today.Year(), today.Month(), today.Day(), 9+r.IntN(8), r.IntN(60), 0, 0, model.Shanghai).AddDate(0, 0, -day)
			if at.After(time.Now()) {
				continue
			}
			f := visitFindings[r.IntN(len(visitFindings))]
			in := model.VisitInput{VisitedAt: at, Minutes: []int{15, 20, 30, 30, 45, 60, 90}[r.IntN(7)], Findings: f.found, FollowUp: f.follow}
			path := ""
			if len(hs.Items) > 0 && r.IntN(3) == 0 {
				h := hs.Items[r.IntN(len(hs.Items))]
				in.HouseholdID, path = h.ID, h.Path
			} else {
				p := places[r.IntN(len(places))]
				in.TerritoryID, path = p.ID, p.Path
			}
			if day < 40 && inQuiet(path) {
				continue
			}
			then := st.AsOf(func() time.Time { return at.Add(time.Hour) })
			v, err := then.LogVisit(ctx, sc, in)
			var invalid *model.ValidationError
			if errors.As(err, &invalid) {
				continue // a household outside any place below the community
			}
			if err != nil {
				return n, fmt.Errorf("visit on %s: %w", at.Format(time.DateOnly), err)
			}
			n++
			if v.FollowStatus == model.FollowOpen && day > 14 {
				if _, err := st.AsOf(func() time.Time { return at.AddDate(0, 0, 3) }).CloseVisitFollowUp(ctx, sc, v.ID); err != nil {
					return n, err
				}
			}
		}
	}
	return n, nil
}

// demoID is a valid ID number of a worker born on birth in region (serials 900+i keep them
// apart from the generated residents').
func demoID(region int, birth time.Time, i int, male bool) string {
	serial := 900 + i%50*2
	if male {
		serial++
	}
	s := fmt.Sprintf("%06d%s%03d", region, birth.Format("20060102"), serial)
	return s + string(model.IDCheckDigit(s))
}
