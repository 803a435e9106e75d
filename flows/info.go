package flows

// The information menu: questions and answers, the plan, policies, the
// hotlines and public services, per language.
//
//	ℹ️ Thông tin, /thongtin ──▶ [Hỏi đáp] ──▶ questions, 5 a page ──▶ an
//	   answer; [Kế hoạch] [Chính sách] [Đường dây nóng] [Dịch vụ công]

import (
	"fmt"
	"strconv"
	"strings"
)

// Info is what parents can read in the information menu (seed plan
// III.2.d, IV.2.c): questions and answers about the indices, the office's
// plan, policies, the hotline and the online public services.
type Info struct {
	FAQ      []QA
	Plan     string
	Policies string
	Services string
	Hotline  []string // "UBND phường …: 0277 …", one a line
}

// QA is one question and its answer.
type QA struct{ Q, A string }

// DefaultInfo is the information menu's content when the configuration
// gives none.
func DefaultInfo() Info {
	return Info{
		FAQ: []QA{
			{"Chỉ số hài lòng là gì?", "Là tỷ lệ cha mẹ học sinh hài lòng (mức 4 hoặc 5 trên thang 5) với dịch vụ giáo dục công: tiếp cận dịch vụ, cơ sở vật chất, môi trường giáo dục, hoạt động giáo dục và kết quả giáo dục. Cơ quan quản lý giáo dục dùng chỉ số này để biết trường nào cần cải thiện điều gì."},
			{"Các câu hỏi có/không trong khảo sát để làm gì?", "Đó là 9 chỉ số thành phần về giáo dục công lập (mầm non, tiểu học, trung học cơ sở): lớp học là nhà kiên cố; nhà vệ sinh sạch sẽ; học sinh có nước sạch để uống; sĩ số lớp không vượt quy định của Điều lệ trường; không có lớp học ca ba; giáo viên không ưu ái học sinh học thêm với mình; giáo viên có trình độ sư phạm tốt; phụ huynh được giáo viên phản hồi thường xuyên; phụ huynh được thông tin đầy đủ về thu, chi. Ở trường mầm non, em không hỏi về học ca ba và học thêm, và sĩ số được so với quy định cho từng độ tuổi. {owner} rà soát từng chỉ số ở mỗi trường."},
			{"Ai biết tôi đã trả lời gì?", "Không ai. Câu trả lời được lưu theo một mã ẩn danh, không kèm tài khoản của anh/chị; nhà trường và cơ quan quản lý giáo dục chỉ thấy số liệu tổng hợp, và không thấy tỷ lệ của nhóm dưới 5 người trả lời."},
			{"Tôi có thể trả lời lại không?", "Có. Trong cùng một đợt khảo sát, lần trả lời sau thay cho lần trước."},
			{"Phản ánh của tôi được xử lý thế nào?", "Phản ánh được chuyển tới hiệu trưởng của trường, hoặc tới {unit} khi trường chưa có hiệu trưởng dùng kênh này. Khi anh/chị gửi xong, em cho biết ai tiếp nhận, hạn tiếp nhận và hạn giải quyết (hoặc cho biết nếu chưa có ai nhận); quá hạn thì {unit} được báo. Mỗi thay đổi em đều báo anh/chị, và anh/chị cho biết vấn đề đã được giải quyết chưa."},
		},
		Plan: "Kế hoạch cải thiện Chỉ số cải cách hành chính và Chỉ số hài lòng của người dân trong lĩnh vực giáo dục:\n" +
			"• Tuyên truyền để cha mẹ học sinh hiểu các chỉ số và những việc nhà trường đang làm.\n" +
			"• Rà soát 9 chỉ số thành phần ở từng trường; cải thiện cơ sở vật chất, nhà vệ sinh, nước uống.\n" +
			"• Công khai thu, chi theo quy định; kiểm tra việc dạy thêm, học thêm.\n" +
			"• Tăng cường liên hệ giữa nhà trường và cha mẹ học sinh; tiếp nhận, xử lý phản ánh, kiến nghị.\n" +
			"• Khảo sát sự hài lòng của cha mẹ học sinh, so sánh hiệu quả với năm trước.",
		Policies: "Chính sách hỗ trợ người học: miễn, giảm học phí; hỗ trợ chi phí học tập; hỗ trợ bữa ăn bán trú cho trẻ mầm non, học sinh phổ thông, người khuyết tật theo quy định hiện hành. Anh/chị hỏi nhà trường hoặc {unit} về hồ sơ và thời hạn.",
		Services: "Thủ tục hành chính về giáo dục (tuyển sinh, chuyển trường, văn bằng…) có thể nộp trực tuyến trên Cổng dịch vụ công quốc gia (dichvucong.gov.vn) hoặc cổng dịch vụ công của tỉnh, và nhận kết quả qua bưu chính công ích.",
	}
}

const faqPerPage = 5

// information shows the information menu.
func (t *turn) information() {
	t.send(Reply{Text: t.T("info.title"), Buttons: [][]Button{
		{{Label: t.T("info.faq"), Data: infoNData(infoFAQ, 0)}},
		{{Label: t.T("info.plan"), Data: infoData(infoPlan)}, {Label: t.T("info.policies"), Data: infoData(infoPolicies)}},
		{{Label: t.T("info.hotline"), Data: infoData(infoHotline)}, {Label: t.T("info.services"), Data: infoData(infoServices)}},
		{{Label: t.T("menu.back"), Data: menuData(menuMain)}},
	}})
}

// infoPage answers an information button: "i:f:PAGE" lists questions,
// "i:q:N" answers one, "i:p", "i:c", "i:h", "i:s" show a page.
func (t *turn) infoPage(p press) bool {
	info := t.e.info[t.lang()]
	var school string
	if t.s != nil {
		school = t.s.School
	}
	named := func(s string) string { return t.e.named(t.lang(), school, s) }
	back := []Button{{Label: t.T("info.back"), Data: menuData(menuInfo)}}
	page, n := p.arg(0), p.arg(1)
	two := len(p.args) == 2
	switch {
	case two && page == infoFAQ:
		page, _ := strconv.Atoi(n)
		pages := max(1, (len(info.FAQ)+faqPerPage-1)/faqPerPage)
		page = min(max(page, 0), pages-1)
		var rows [][]Button
		for i := page * faqPerPage; i < min(len(info.FAQ), (page+1)*faqPerPage); i++ {
			rows = append(rows, []Button{{Label: clip(named(info.FAQ[i].Q), 60), Data: infoNData(infoQuestion, i)}})
		}
		var nav []Button
		if page > 0 {
			nav = append(nav, Button{Label: t.T("school.prev"), Data: infoNData(infoFAQ, page-1)})
		}
		if page < pages-1 {
			nav = append(nav, Button{Label: t.T("school.next"), Data: infoNData(infoFAQ, page+1)})
		}
		if len(nav) > 0 {
			rows = append(rows, nav)
		}
		t.send(Reply{Text: t.T("info.faq.title", page+1, pages), Buttons: append(rows, back)})
	case two && page == infoQuestion:
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 || i >= len(info.FAQ) {
			t.stale()
			return true
		}
		t.send(Reply{Text: fmt.Sprintf("❓ %s\n\n%s", named(info.FAQ[i].Q), named(info.FAQ[i].A)),
			Buttons: [][]Button{{{Label: t.T("info.faq.back"), Data: infoNData(infoFAQ, i/faqPerPage)}}, back}})
	case !two && page == infoPlan:
		t.send(Reply{Text: "📄 " + named(info.Plan), Buttons: [][]Button{back}})
	case !two && page == infoPolicies:
		t.send(Reply{Text: "💰 " + named(info.Policies), Buttons: [][]Button{back}})
	case !two && page == infoServices:
		t.send(Reply{Text: "🌐 " + named(info.Services), Buttons: [][]Button{back}})
	case !two && page == infoHotline:
		t.send(Reply{Text: t.hotline(), Buttons: [][]Button{back}})
	default:
		t.stale()
	}
	return true
}

func (t *turn) hotline() string {
	hotline := t.e.info[t.lang()].Hotline
	if len(hotline) == 0 {
		return t.T("info.hotline.none")
	}
	var school string
	if t.s != nil {
		school = t.s.School
	}
	return t.T("info.hotline.title") + "\n" + t.e.named(t.lang(), school, strings.Join(hotline, "\n"))
}

// infos is the information menu by language: Vietnamese as configured,
// else the default; English as configured in English, else as configured
// in Vietnamese (the office's own words beat a generic translation), else
// the English default.
func infos(vi Info, tr map[Lang]Info) map[Lang]Info {
	return map[Lang]Info{
		Vietnamese: withDefaults(vi, DefaultInfo()),
		English:    withDefaults(withDefaults(tr[English], vi), defaultInfoEn()),
	}
}

// withDefaults fills the parts i leaves empty from d.
func withDefaults(i, d Info) Info {
	if len(i.Hotline) == 0 {
		i.Hotline = d.Hotline
	}
	if len(i.FAQ) == 0 {
		i.FAQ = d.FAQ
	}
	if i.Plan == "" {
		i.Plan = d.Plan
	}
	if i.Policies == "" {
		i.Policies = d.Policies
	}
	if i.Services == "" {
		i.Services = d.Services
	}
	return i
}

// showHotline answers /duongdaynong: the hotlines, with the way back.
func (t *turn) showHotline() {
	t.send(Reply{Text: t.hotline(), Buttons: [][]Button{{{Label: t.T("menu.back"), Data: menuData(menuMain)}}}})
}
