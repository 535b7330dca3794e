package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestSurvey: staff send the perception survey to a grid (the missing range answered in the
// form first); five neighbours without a phone have answered; a resident answers on the phone
// (a missing answer named, then 已填写); another opened the survey before staff closed it and
// its answer is refused with 问卷已截止; staff close the survey and read the results (a chart
// over a table per question, the perception index) and the perception trend of the community
// — on the phone and at desktop size.
func TestSurvey(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg, sys := context.Background(), authz.System()
			building, err := a.st.Territory(bg, sys, stair.ParentID)
			if err != nil {
				t.Fatal(err)
			}
			grid, err := a.st.Territory(bg, sys, building.ParentID)
			if err != nil {
				t.Fatal(err)
			}
			var people []int64
			for i := range 7 {
				h, err := a.st.CreateHousehold(bg, sys, model.HouseholdInput{TerritoryID: stair.ID, Address: fmt.Sprintf("1栋1单元%d01室", i+1)})
				if err != nil {
					t.Fatal(err)
				}
				good, _, _ := idWith("19580311", fmt.Sprintf("%03d", 400+i))
				r, err := a.st.CreateResident(bg, sys, model.ResidentInput{HouseholdID: h.ID, Name: fmt.Sprintf("住户%d", i+1), IDNumber: good, Relation: model.RelationHead})
				if err != nil {
					t.Fatal(err)
				}
				people = append(people, r.ID)
			}
			for i, name := range []string{"wangjia", "lijia"} {
				u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: name, DisplayName: name, Password: "survey together 2026 冬至", Role: model.RoleResident, ScopeID: stair.ID})
				if err != nil {
					t.Fatal(err)
				}
				if err := a.st.LinkResident(bg, sys, u.ID, people[i]); err != nil {
					t.Fatal(err)
				}
			}
			// fill ticks the first choice of every choice question and 4 of every scale.
			fill := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](`(document.querySelectorAll('#form-answer fieldset').forEach(fs => {
					const s = fs.querySelector('input[type=radio][value="4"]'); const i = fs.querySelector('input');
					if (fs.querySelector('.survey-scale') && s) s.checked = true; else if (i) i.checked = true; }), true)`)(ctx, tg)
				return err
			})

			staff := mustBrowser(t, vp)
			sstep, stext := steps(t, staff)
			sstep("staff open the survey form", append(login(a, "tianbao", "zhongba street 2026 spring", staffSecret),
				chromedp.Navigate(a.url+"/surveys"),
				chromedp.WaitVisible(chromedp.CSS(`#surveys`)),
				press(`#new-survey`),
				chromedp.WaitVisible(chromedp.CSS(`#form-survey`)),
				press(`#send-survey`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "survey-01-form-error"))...)
			if s := stext(`.error-summary`); !strings.Contains(s, "请选择调查范围") {
				t.Errorf("the refusal: %q", s)
			}
			sstep("choose the grid and send",
				chromedp.SetValue(chromedp.CSS(`select[name=territory_id]`), itoa(grid.ID)),
				press(`#send-survey`),
				chromedp.WaitVisible(chromedp.CSS(`#survey-staff`)),
				shot(t, vp, "survey-02-sent"))
			surveyID, err := chromedp.Run(staff, chromedp.Evaluate[string](`location.pathname.split('/').pop()`))
			if err != nil {
				t.Fatal(err)
			}
			// Five neighbours answered on paper, entered for them.
			sv, err := a.st.Survey(bg, sys, mustID(t, surveyID))
			if err != nil {
				t.Fatal(err)
			}
			var rs []store.DemoSurveyResponse
			for i, p := range people[2:] {
				var as []model.Answer
				for _, q := range sv.Questions {
					switch q.Kind {
					case model.QuestionSingle:
						as = append(as, model.Answer{QuestionID: q.ID, Choices: []int{i % 2}})
					case model.QuestionScale:
						as = append(as, model.Answer{QuestionID: q.ID, Scale: 3 + i%3})
					}
				}
				rs = append(rs, store.DemoSurveyResponse{ResidentID: p, Answers: as})
			}
			if _, err := a.st.AnswerDemoSurvey(bg, sv.ID, rs); err != nil {
				t.Fatal(err)
			}

			// 李家 opens the survey and leaves the page open.
			li := mustBrowser(t, vp)
			lstep, ltext := steps(t, li)
			lstep("李家 opens the survey", append(login(a, "lijia", "survey together 2026 冬至", ""),
				chromedp.Navigate(a.url+"/surveys/"+surveyID),
				chromedp.WaitVisible(chromedp.CSS(`#form-answer`)))...)

			// 王家 answers on the phone.
			wang := mustBrowser(t, vp)
			wstep, wtext := steps(t, wang)
			wstep("王家 opens the survey from the list", append(login(a, "wangjia", "survey together 2026 冬至", ""),
				chromedp.Navigate(a.url+"/surveys"),
				chromedp.WaitVisible(chromedp.CSS(`#survey-`+surveyID)),
				shot(t, vp, "survey-03-list"),
				press(`#survey-`+surveyID+` a`),
				chromedp.WaitVisible(chromedp.CSS(`#form-answer`)),
				shot(t, vp, "survey-04-form"))...)
			wstep("answer all but the last scale question",
				fill,
				chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](`(document.querySelectorAll('#form-answer .survey-scale')[4].querySelectorAll('input').forEach(i => i.checked = false), true)`)(ctx, tg)
					return err
				}),
				press(`#submit-answer`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "survey-05-missing"))
			if s := wtext(`.error-summary`); !strings.Contains(s, "第 8 题必答") {
				t.Errorf("the missing answer: %q", s)
			}
			wstep("answer it and submit",
				fill,
				press(`#submit-answer`),
				chromedp.WaitVisible(chromedp.CSS(`#answered`)),
				shot(t, vp, "survey-06-answered"))
			if s := wtext(`#responses`); !strings.Contains(s, "6") {
				t.Errorf("responses after answering: %q", s)
			}

			// Staff close the survey; the results.
			sstep("staff close the survey",
				chromedp.Navigate(a.url+"/surveys/"+surveyID),
				chromedp.WaitVisible(chromedp.CSS(`#close-survey`)),
				press(`#close-survey`),
				chromedp.WaitVisible(chromedp.CSS(`#perception-index`)),
				chromedp.WaitVisible(chromedp.CSS(`.analytics-chart.drawn`)))
			noLayoutFaults(t, staff, "the survey's results") // before a shot's resize redraws the charts
			sstep("the results' shot", shot(t, vp, "survey-07-results"))
			if s := stext(`#results-responses`); !strings.Contains(s, "6") {
				t.Errorf("results: %q", s)
			}

			// 李家's answer from the page left open: refused, nothing changed.
			lstep("李家 submits after the closing",
				fill,
				press(`#submit-answer`),
				chromedp.WaitVisible(chromedp.CSS(`.error-summary`)),
				shot(t, vp, "survey-08-closed"))
			if s := ltext(`.error-summary`); !strings.Contains(s, "问卷已截止") {
				t.Errorf("an answer after the closing: %q", s)
			}
			if got, err := a.st.Survey(bg, sys, sv.ID); err != nil || got.Responses != 6 {
				t.Errorf("responses after a refused answer: %d %v", got.Responses, err)
			}

			// The perception trend of the community.
			sstep("the perception trend",
				chromedp.Navigate(a.url+"/surveys/perception"),
				chromedp.WaitVisible(chromedp.CSS(`#trend-table`)),
				chromedp.WaitVisible(chromedp.CSS(`#chart-trend.drawn`)),
				chromedp.Sleep(1500*time.Millisecond)) // the lines' animation
			noLayoutFaults(t, staff, "the perception trend")
			sstep("the trend's shot", shot(t, vp, "survey-09-trend"))
			if s := stext(`#trend-table`); !strings.Contains(s, "第一网格") || !strings.Contains(s, "6 份") {
				t.Errorf("trend table: %q", s)
			}
		})
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}
