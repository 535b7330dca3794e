package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// TestStudyQuiz: a member logs in, opens 我的学习, sees the course assigned to their branch with
// its due-date reminder, reads the lesson, answers the quiz wrongly, then rightly, and sees it
// passed and the course completed — at phone and at desktop size.
func TestStudyQuiz(t *testing.T) {
	t.Parallel()
	for _, vp := range sizes(Phone) {
		t.Run(vp.name, func(t *testing.T) {
			a := mustApp(t)
			stair := mustCommunity(t, a)
			bg := context.Background()
			sys := authz.System()
			u, err := a.st.CreateUser(bg, sys, store.UserInput{Username: "lixuexi", DisplayName: "李学习", Password: "study the charter 2026 秋",
				Role: model.RoleMember, ScopeID: stair.ID})
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Now().UTC()
			var org, member int64
			if err := a.st.DB().QueryRow(`INSERT INTO party_orgs (kind, name, territory_id, path, created_at, updated_at) VALUES ('building_group', '一单元党小组', ?, ?, ?, ?) RETURNING id`,
				stair.ID, stair.Path, ts, ts).Scan(&org); err != nil {
				t.Fatal(err)
			}
			if err := a.st.DB().QueryRow(`INSERT INTO party_members (name, org_id, path, status, category, user_id, created_at, updated_at) VALUES ('李学习', ?, ?, 'full', 'retired', ?, ?, ?) RETURNING id`,
				org, stair.Path, u.ID, ts, ts).Scan(&member); err != nil {
				t.Fatal(err)
			}
			c, err := a.st.CreateCourse(bg, sys, model.CourseInput{Title: "学党章 守党规", TerritoryID: stair.ID, PassMark: 100,
				Lessons: []model.LessonInput{{Title: "第一课 总纲", Body: "中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。"}},
				Questions: []model.QuestionInput{
					{Text: "预备党员的预备期为多长时间？", Options: []model.OptionInput{{Text: "半年"}, {Text: "一年", Correct: true}, {Text: "两年"}}},
					{Text: "“三会”是指哪些？", Multiple: true, Options: []model.OptionInput{{Text: "支部党员大会", Correct: true}, {Text: "支部委员会", Correct: true}, {Text: "党小组会", Correct: true}, {Text: "居民代表大会"}}},
				}})
			if err != nil {
				t.Fatal(err)
			}
			due := time.Now().In(model.Shanghai).AddDate(0, 0, 3).Format(time.DateOnly)
			if _, err := a.st.AssignCourse(bg, sys, model.AssignmentInput{CourseID: c.ID, OrgID: org, DueOn: due}); err != nil {
				t.Fatal(err)
			}
			full, err := a.st.Course(bg, sys, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			q1, q2 := full.Questions[0], full.Questions[1]
			// pick ticks an option as a tap would; on the phone the sticky submit button and the tab
			// bar cover the bottom of the screen, so the tap (here and on 提交答案) is the element's own click.
			pick := func(q model.Question, i int) chromedp.Action[chromedp.Void] {
				sel := `input[name="q` + itoa(q.ID) + `"][value="` + itoa(q.Options[i].ID) + `"]`
				click := chromedp.Evaluate[bool](`(document.querySelector('` + sel + `').click(), true)`)
				// The option must be there first: after the lesson's form is sent, the old page's
				// button is gone before the new page has its quiz (seen under load).
				ready := chromedp.WaitReady(chromedp.CSS(sel))
				return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
					if _, err := ready(ctx, tg); err != nil {
						return chromedp.Void{}, err
					}
					_, err := click(ctx, tg)
					return chromedp.Void{}, err
				}
			}

			ctx := mustBrowser(t, vp)
			step, text := steps(t, ctx)
			step("log in and open 我的学习",
				chromedp.Navigate(a.url+"/login"),
				chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
				chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "lixuexi"),
				chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "study the charter 2026 秋"),
				chromedp.Submit(chromedp.CSS(`input[name=password]`)),
				chromedp.WaitNotPresent(chromedp.CSS(`input[name=password]`)),
				chromedp.Navigate(a.url+"/services"),
				chromedp.WaitVisible(chromedp.CSS(`a.tile[href="/party/study"]`)),
				// 办事 holds more tiles than a phone's screen since the orders' and the time bank's.
				tap(`a.tile[href="/party/study"]`),
				chromedp.WaitVisible(chromedp.CSS(`a.tile[href="/party/study/`+itoa(c.ID)+`"]`)),
				shot(t, vp, "study-01-my-courses"),
			)
			if s := text(`main`); !strings.Contains(s, "学党章 守党规") || !strings.Contains(s, "即将到期") {
				t.Errorf("我的学习 lacks the course or its reminder: %q", s)
			}
			step("read the lesson",
				chromedp.Click(chromedp.CSS(`a.tile[href="/party/study/`+itoa(c.ID)+`"]`)),
				chromedp.WaitVisible(chromedp.CSS(`form[action$="/read"] button`)),
				shot(t, vp, "study-02-lesson"),
				chromedp.Click(chromedp.CSS(`form[action$="/read"] button`)),
				chromedp.WaitNotPresent(chromedp.CSS(`form[action$="/read"] button`)),
			)
			step("answer wrongly",
				pick(q1, 0),
				pick(q2, 0),
				tap(`#form-quiz button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#quiz-result`)),
				shot(t, vp, "study-03-failed"),
			)
			if s := text(`#quiz-result`); !strings.Contains(s, "未达到及格线") {
				t.Errorf("after a wrong answer: %q", s)
			}
			step("answer rightly",
				chromedp.Navigate(a.url+"/party/study/"+itoa(c.ID)),
				chromedp.WaitVisible(chromedp.CSS(`#form-quiz button[type=submit]`)),
				pick(q1, 1),
				pick(q2, 0),
				pick(q2, 1),
				pick(q2, 2),
				tap(`#form-quiz button[type=submit]`),
				chromedp.WaitVisible(chromedp.CSS(`#form-quiz legend .tag-green`)),
				shot(t, vp, "study-04-passed"),
			)
			if s := text(`#quiz-result`); !strings.Contains(s, "通过测验") || !strings.Contains(s, "本课程已完成") {
				t.Errorf("after the right answers: %q", s)
			}
			mine, err := a.st.MyCourses(bg, authz.ForUser(u))
			if err != nil || len(mine) != 1 || !mine[0].Completed || mine[0].State != model.DueDone {
				t.Fatalf("my courses after passing = %+v, %v", mine, err)
			}
		})
	}
}
