package demo

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"time"

	"gongzhi/internal/model"
	"gongzhi/internal/store"
)

// The units' five joint activities in the demo city (issue 9 item 5): every active unit gets two
// or three records over the last three months, the five categories turning from unit to unit so
// that every area shows all five; about one unit in nine has recorded nothing for two months
// (the coverage page's attention list shows them); one hardship record in seven carries a case,
// in each of its states; the records of the first units carry a photo, drawn here (no image
// file is committed) and stored as uploads are, through model.CheckPhoto. Everything is built in
// memory from two reads and loaded with multi-row INSERTs, the counters recounted once
// (store.LoadUnitActivities): at 1M households (~66,000 units) a few hundred thousand rows.

var activityTexts = map[model.ActivityCategory][]string{
	model.ActivityEnvironment: {"清理楼道杂物，疏通消防通道", "单元门前绿化带除草、捡拾垃圾", "集中清运楼顶堆放的旧家具", "清洗楼道扶手和信报箱"},
	model.ActivitySafety:      {"夜间巡逻一圈，检查单元门禁", "排查电动车楼道充电隐患", "检查楼道灭火器压力，提醒更换", "雨季前查看屋顶排水和围墙"},
	model.ActivityHardship:    {"看望独居老人，帮忙买菜、量血压", "为行动不便的住户代办医保续费", "帮困难户修理漏水的水管", "陪同残疾住户到社区办理补贴"},
	model.ActivityProsperity:  {"组织住户参加社区招聘会", "分享网店开店经验，帮邻居上架土特产", "联系驻区企业提供零工岗位", "请农技员讲解阳台种菜"},
	model.ActivityCivility:    {"组织邻里百家宴，倡导文明节俭", "开展垃圾分类宣传，挨户发放指南", "评选本单元“好邻居”", "重阳节给老人过集体生日"},
}

// demoPhotos are the photos the demo records carry: small pictures of a stairwell, drawn.
func demoPhotos() ([]*model.Photo, error) {
	var out []*model.Photo
	for i := range 6 {
		img := image.NewRGBA(image.Rect(0, 0, 480, 360))
		wall := color.RGBA{uint8(200 + i*8), uint8(196 + i*5), uint8(186 - i*6), 255} // #nosec G115 -- i < 6: 200–240, 196–221, 156–186
		for y := range 360 {
			for x := range 480 {
				c := wall
				switch {
				case y > 250: // the floor
					c = color.RGBA{150, uint8(140 + i*6), 120, 255}
				case x > 180+i*10 && x < 300+i*10 && y > 80: // a doorway
					c = color.RGBA{120, 84, uint8(50 + i*10), 255}
				case (x/40+y/40)%7 == i%7 && y < 60: // a poster
					c = color.RGBA{200, 22, 29, 255}
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 70}); err != nil {
			return nil, err
		}
		p, err := model.CheckPhoto("photo", buf.Bytes())
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// UnitActivities loads the joint activities of the active units that have none yet (Generate
// calls it for the units it formed; the command, after it forms the unit leader account's unit);
// it returns how many records.
func UnitActivities(ctx context.Context, st *store.Store, opts Options) (int, error) {
	if err := opts.fill(); err != nil {
		return 0, err
	}
	units, err := st.UnitsWithoutActivities(ctx)
	if err != nil || len(units) == 0 {
		return 0, err
	}
	photos, err := demoPhotos()
	if err != nil {
		return 0, err
	}
	today := opts.Today
	month0 := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []store.LoadActivity
	for i, u := range units {
		if len(u.Households) == 0 {
			continue
		}
		r := seedFor(opts.Seed, fmt.Sprintf("unit-activity-%d", u.ID))
		n := 2 + r.IntN(2)
		idle := i%9 == 4 // nothing for two months: only a record three months back
		for k := range n {
			back := k // this month, last month, the one before
			if idle {
				back = 2 + k
			}
			first := month0.AddDate(0, -back, 0)
			last := first.AddDate(0, 1, -1)
			if last.After(today) {
				last = today
			}
			day := first.AddDate(0, 0, r.IntN(last.Day()-first.Day()+1))
			cat := model.ActivityCategories[(i+k)%len(model.ActivityCategories)]
			texts := activityTexts[cat]
			a := store.LoadActivity{UnitID: u.ID, CommunityID: u.CommunityID, Path: u.Path, Category: cat, Date: day.Format(time.DateOnly),
				Description: texts[r.IntN(len(texts))], Households: pickHouseholds(r, u.Households), At: day.Add(12 * time.Hour)}
			if cat == model.ActivityHardship && i%7 == 2 {
				demoCase(&a, u.Households[r.IntN(len(u.Households))], i/7, day, today)
			}
			if i < 60 && k == 0 {
				a.Photos = []*model.Photo{photos[(i+k)%len(photos)]}
			}
			out = append(out, a)
		}
	}
	return len(out), st.LoadUnitActivities(ctx, out)
}

// pickHouseholds is up to five of the unit's households, at least one, in their order.
func pickHouseholds(r *rand.Rand, hs []int64) []int64 {
	n := 1 + r.IntN(min(5, len(hs)))
	start := r.IntN(len(hs) - n + 1)
	return append([]int64(nil), hs[start:start+n]...)
}

// demoCase gives a hardship record a case: reported, helping or resolved, turn by turn.
func demoCase(a *store.LoadActivity, household int64, turn int, day, today time.Time) {
	a.CaseHouseholdID = household
	at := day.Add(12 * time.Hour)
	if latest := today.Add(-60 * time.Hour); at.After(latest) {
		at = latest // the steps below stay in the past
	}
	a.CaseNotes = []model.CaseNote{{To: model.CaseReported, Note: "上报", At: at}}
	a.CaseStatus = model.CaseReported
	if turn%3 >= 1 {
		a.CaseNotes = append(a.CaseNotes, model.CaseNote{From: model.CaseReported, To: model.CaseHelping, Note: "社区已对接，网格员每周走访", At: at.Add(24 * time.Hour)})
		a.CaseStatus = model.CaseHelping
	}
	if turn%3 == 2 {
		a.CaseNotes = append(a.CaseNotes, model.CaseNote{From: model.CaseHelping, To: model.CaseResolved, Note: "已申请临时救助，问题解决", At: at.Add(72 * time.Hour)})
		a.CaseStatus = model.CaseResolved
	}
}
