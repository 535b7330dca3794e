package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's study and development pipeline (issue 8, items 5 and 8): two courses with quizzes,
// published by the district and assigned to every community committee (one due within a week,
// so its reminder shows, one next month); in every community, applicants at the first three
// stages of the pipeline with their documents. Admission and conversion need two sponsors who
// are full members, so candidates reach those stages once the demo has members.

var demoCourses = []model.CourseInput{
	{Title: "学党章 守党规", Summary: "逐章学习《中国共产党章程》，明确党员的义务和权利。", PassMark: 60, Points: 5,
		Lessons: []model.LessonInput{
			{Title: "第一课 总纲", Body: "中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。\n\n请结合本社区实际，思考党员在网格中的作用。",
				Materials: []model.Material{{Kind: model.MaterialLink, Title: "党章全文（共产党员网）", URL: "https://www.12371.cn/special/zggcdzc/"}}},
			{Title: "第二课 党员的义务和权利", Body: "党员必须履行八项义务，享有八项权利。按期交纳党费、参加组织生活是党员的基本义务。"},
			{Title: "第三课 党的组织制度", Body: "党的基层组织要坚持“三会一课”制度，党员要编入党的一个支部、小组或其他特定组织。"},
		},
		Questions: []model.QuestionInput{
			{Text: "预备党员的预备期为多长时间？", Options: []model.OptionInput{{Text: "半年"}, {Text: "一年", Correct: true}, {Text: "两年"}}},
			{Text: "“三会一课”中的“三会”是指哪些？", Multiple: true, Options: []model.OptionInput{
				{Text: "支部党员大会", Correct: true}, {Text: "支部委员会", Correct: true}, {Text: "党小组会", Correct: true}, {Text: "居民代表大会"}}},
			{Text: "党员应当按期交纳党费。", Options: []model.OptionInput{{Text: "正确", Correct: true}, {Text: "错误"}}},
		}},
	{Title: "区域化党建与网格服务", Summary: "“街道为中枢、社区为节点、小区为末端”，学习网格党支部和联建单元的工作方法。", PassMark: 60, Points: 3,
		Lessons: []model.LessonInput{
			{Title: "第一课 四位一体", Body: "街道大工委统揽，社区大党委为核心，网格党支部为基础，楼院党小组为触角。"},
			{Title: "第二课 订单式服务", Body: "群众点单、支部派单、党员接单、群众评单，把服务送到家门口。"},
		},
		Questions: []model.QuestionInput{
			{Text: "网格党支部的“触角”是指什么？", Options: []model.OptionInput{{Text: "楼院党小组", Correct: true}, {Text: "街道大工委"}, {Text: "驻区单位"}}},
			{Text: "订单式志愿服务包括哪些环节？", Multiple: true, Options: []model.OptionInput{
				{Text: "群众点单", Correct: true}, {Text: "支部派单", Correct: true}, {Text: "党员接单", Correct: true}, {Text: "群众评单", Correct: true}}},
		}},
}

// partyStudy adds the courses and the pipeline; districtID owns the courses.
// It returns the courses' ids, in demoCourses order.
func partyStudy(ctx context.Context, st *store.Store, opts Options, districtID int64, communities []*model.Territory) ([]int64, error) {
	sc := authz.System()
	today := time.Now().In(model.Shanghai)
	var courses []int64
	for _, in := range demoCourses {
		in.TerritoryID = districtID
		c, err := st.CreateCourse(ctx, sc, in)
		if err != nil {
			return nil, fmt.Errorf("course %s: %w", in.Title, err)
		}
		courses = append(courses, c.ID)
	}
	dues := []string{today.AddDate(0, 0, 5).Format(time.DateOnly), today.AddDate(0, 1, 0).Format(time.DateOnly)}
	for _, c := range communities {
		p, err := st.Orgs(ctx, sc, store.OrgFilter{CommunityID: c.ID, Limit: 50})
		if err != nil {
			return nil, err
		}
		var committee, branch int64
		for _, o := range p.Items {
			switch {
			case o.Kind == model.OrgCommunityCommittee && committee == 0:
				committee = o.ID
			case o.Kind == model.OrgGridBranch && branch == 0:
				branch = o.ID
			}
		}
		if committee == 0 {
			continue
		}
		if branch == 0 {
			branch = committee
		}
		for i, id := range courses {
			if _, err := st.AssignCourse(ctx, sc, model.AssignmentInput{CourseID: id, OrgID: committee, DueOn: dues[i]}); err != nil && !errors.Is(err, model.ErrConflict) {
				return nil, fmt.Errorf("%s: assign: %w", c.Name, err)
			}
		}
		if err := demoCandidates(ctx, st, opts, c, branch, today); err != nil {
			return nil, fmt.Errorf("%s: pipeline: %w", c.Name, err)
		}
	}
	return courses, nil
}

// demoCandidates: applicants (masses, 20–45 years old) of the community at the application,
// activist and development-target stages, with the documents and dates each needs.
func demoCandidates(ctx context.Context, st *store.Store, opts Options, c *model.Territory, org int64, today time.Time) error {
	sc := authz.System()
	p, err := st.Residents(ctx, sc, store.ResidentFilter{Under: c.ID, PoliticalStatus: model.StatusMasses, Limit: 200})
	if err != nil {
		return err
	}
	r := seedFor(opts.Seed, "party study "+c.Code)
	day := func(n int) string { return today.AddDate(0, 0, -n).Format(time.DateOnly) }
	stages := []model.Stage{model.StageApplication, model.StageActivist, model.StageActivist, model.StageTarget}
	n := 0
	for _, res := range p.Items {
		if n == len(stages) {
			break
		}
		age := res.Age(today)
		if age < 20 || age > 45 || r.IntN(3) == 0 {
			continue
		}
		goal := stages[n]
		n++
		applied := 500 + r.IntN(300)
		ca, err := st.CreateCandidate(ctx, sc, model.CandidateInput{ResidentID: res.ID, OrgID: org, AppliedOn: day(applied)})
		if err != nil {
			return err
		}
		if goal == model.StageApplication {
			continue
		}
		doc := func(on int, ds ...model.DocKind) error {
			for _, d := range ds {
				if _, err := st.RecordDocument(ctx, sc, ca.ID, model.DocumentInput{Doc: d, RecordedOn: day(on)}); err != nil {
					return err
				}
			}
			return nil
		}
		if err := doc(applied-20, model.DocTalk, model.DocRecommendation); err != nil {
			return err
		}
		// One activist's year is nearly over (the board's reminder), the other's not.
		activist := applied - 60
		if n == 3 {
			activist = 360
		}
		if _, err := st.Advance(ctx, sc, ca.ID, model.AdvanceInput{To: model.StageActivist, On: day(activist)}); err != nil {
			return err
		}
		if goal == model.StageActivist {
			continue
		}
		if err := doc(activist-300, model.DocTraining, model.DocPolitical); err != nil {
			return err
		}
		if _, err := st.Advance(ctx, sc, ca.ID, model.AdvanceInput{To: model.StageTarget, On: day(activist - 370)}); err != nil {
			return err
		}
	}
	return nil
}
