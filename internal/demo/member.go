package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"gongzhi/internal/authz"
	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The demo's party members (issue 8, item 3) and dues (item 7): every resident whose record says
// 中共党员 or 预备党员 is on the roster of the grid branch where they live (so the records and the
// roster agree; about 7 % of residents, most of them adults), retired, unemployed and outflowing
// members together the majority, as the source document says of real communities; about one in
// four in-work members is registered elsewhere and reports here (双报到: the reporting list, some
// not yet reported). Registered members declared an income and paid their dues for the twelve
// months up to Today's month, month by month, some with arrears, a few paid by a family member
// (代缴).

var homeOrgs = []string{"市教育局机关党委", "市人民医院党委", "县供电公司党支部", "市税务局机关党支部", "农商银行党委", "市第一中学党总支"}
var servicePosts = []string{"政策宣传岗", "环境卫生监督岗", "邻里纠纷调解岗", "关爱老人服务岗", "文明劝导岗", "平安巡逻岗"}

// partyMembers registers the party residents of every community and their dues, all in one
// store.Bulk (rows in batches, the residents' status and the orgs' counts once at the end); it
// returns the number of members put on a roster. Members are drawn community by community in
// resident order, each from its own seed, so the roster is the same for a seed however it is
// written.
func partyMembers(ctx context.Context, st *store.Store, opts Options, communities []*model.Territory) (int, error) {
	sc := authz.System()
	var people []store.UnrosteredPartyResident
	for _, c := range communities {
		p, err := st.UnrosteredPartyResidents(ctx, sc, c.ID)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", c.Name, err)
		}
		people = append(people, p...)
	}
	total := 0
	err := st.Bulk(ctx, func(b *store.Bulk) error {
		for _, p := range people {
			if p.OrgID == 0 {
				continue
			}
			r := seedFor(opts.Seed, "member "+strconv.FormatInt(p.ResidentID, 10))
			in, income := demoMember(r, p, opts.AsOf)
			in.Name, in.Gender = p.Name, p.Gender
			if !p.Birth.IsZero() {
				in.BirthDate = p.Birth.Format(time.DateOnly)
			}
			m := store.BulkMember{In: in}
			if in.List != model.ListReporting { // dues are paid where the member is registered
				m.Declared, m.IncomeFen, m.Subsistence = true, income, r.IntN(40) == 0
				m.Payments = demoDues(r, in, model.MonthlyDues(in.Category, income, m.Subsistence), opts.Today)
			}
			if err := b.AddMember(&m); err != nil {
				return fmt.Errorf("member of resident %d: %w", p.ResidentID, err)
			}
			total++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// demoMember draws a member's roster entry and monthly income (fen) from the resident's age.
func demoMember(r *rand.Rand, p store.UnrosteredPartyResident, asOf time.Time) (model.MemberInput, int64) {
	age := asOf.Year() - p.Birth.Year()
	in := model.MemberInput{ResidentID: p.ResidentID, OrgID: p.OrgID, Status: model.MemberFull, Mobility: model.MobilityNone,
		Education: model.Educations[r.IntN(len(model.Educations))]}
	if p.Status == model.StatusProbationary {
		in.Status = model.MemberProbationary
		in.JoinedOn = asOf.AddDate(0, 0, -30-r.IntN(300)).Format(time.DateOnly)
	} else {
		adult := p.Birth.AddDate(18+r.IntN(12), 0, 0)
		if latest := asOf.AddDate(-2, 0, 0); adult.After(latest) {
			adult = latest
		}
		joined := adult.AddDate(0, 0, r.IntN(int(asOf.AddDate(-2, 0, 0).Sub(adult).Hours()/24)+1))
		if eighteen := p.Birth.AddDate(18, 0, 0); joined.Before(eighteen) {
			joined = eighteen
		}
		in.JoinedOn = joined.Format(time.DateOnly)
		if full := joined.AddDate(1, 0, 0); full.After(asOf) {
			// Too young to have served a year's probation: probationary on the roster, and so
			// on the resident record (CreateMember makes them agree).
			in.Status = model.MemberProbationary
		} else {
			in.FullOn = full.Format(time.DateOnly)
		}
	}
	if j, _ := time.Parse(time.DateOnly, in.JoinedOn); j.Before(p.Birth.AddDate(18, 0, 0)) {
		in.JoinedOn = p.Birth.AddDate(18, 0, 0).Format(time.DateOnly)
	}
	var income int64
	switch n := r.IntN(100); {
	case age >= 60:
		in.Category = model.CategoryRetired
		income = int64(1800+r.IntN(4200)) * 100
	case age < 23 && n < 60:
		in.Category = model.CategoryStudent
	case n < 22:
		in.Category = model.CategoryUnemployed
		income = int64(r.IntN(1500)) * 100
	default:
		in.Category = model.CategoryInWork
		income = int64(2200+r.IntN(9800))*100 + int64(r.IntN(100))
		in.Workplace = pick(r, partTimeUnits)
	}
	if in.Category != model.CategoryRetired && r.IntN(100) < 28 {
		in.Mobility = model.MobilityOutflow // registered here, working away
	}
	if in.Category == model.CategoryInWork && in.Mobility == model.MobilityNone && r.IntN(4) == 0 {
		// Registered with the employer's org, reporting here where they live.
		in.List, in.ReportingKind, in.HomeOrg, in.Mobility = model.ListReporting, model.ReportingInWork, pick(r, homeOrgs), model.MobilityNone
		if r.IntN(4) != 0 {
			in.ReportedOn = asOf.AddDate(0, -r.IntN(18), -r.IntN(28)).Format(time.DateOnly)
			in.ServicePost = pick(r, servicePosts)
		}
	}
	return in, income
}

// demoDues draws the payments of a member whose monthly dues are a fen for the twelve months up
// to today's month: most members paid every month (this month's on or before today), about one
// in six stopped one to six months before (arrears); a member who joined within those months pays
// from the month of joining; some payments were made by family (代缴). The same today and
// random source give the same payments.
func demoDues(r *rand.Rand, in model.MemberInput, a int64, today time.Time) []store.BulkPayment {
	if a == 0 {
		return nil
	}
	current := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	first := current.AddDate(0, -11, 0)
	stop := 0 // months left unpaid at the end
	if r.IntN(6) == 0 {
		stop = 1 + r.IntN(6)
	}
	if j, err := time.Parse(time.DateOnly, in.JoinedOn); err == nil {
		if jm := time.Date(j.Year(), j.Month(), 1, 0, 0, 0, 0, time.UTC); jm.After(first) {
			first = jm
		}
	}
	var out []store.BulkPayment
	for mo := first; !mo.After(current.AddDate(0, -stop, 0)); mo = mo.AddDate(0, 1, 0) {
		paid := mo.AddDate(0, 0, 4+r.IntN(20))
		if paid.After(today) {
			paid = today
		}
		p := store.BulkPayment{Month: mo.Format("2006-01"), AmountFen: a, PaidOn: paid}
		if r.IntN(12) == 0 {
			p.PaidBy = "家属"
		}
		out = append(out, p)
	}
	return out
}
