package flows

import "fmt"

// msg is a key into the text catalog.
type msg string

// vi is the Vietnamese catalog, the default language. Every user-facing
// text of the conversations is here, so that wording is reviewed in one place.
var vi = map[msg]string{
	"consent": "Xin chào! Đây là kênh lấy ý kiến cha mẹ học sinh về nhà trường của %s.\n\n" +
		"Trước khi bắt đầu, xin anh/chị đọc:\n" +
		"• Chúng tôi hỏi trường, khối lớp của con và các câu trả lời khảo sát. Không hỏi tên anh/chị hay tên con.\n" +
		"• Mục đích: đánh giá và cải thiện chất lượng giáo dục. Kết quả chỉ công bố dưới dạng số liệu tổng hợp.\n" +
		"• Câu trả lời được lưu theo một mã ẩn danh, không kèm tài khoản của anh/chị, và được xoá sau %d tháng.\n" +
		"• Anh/chị có quyền xem, rút lại sự đồng ý và yêu cầu xoá dữ liệu của mình bất cứ lúc nào.\n" +
		"(Theo Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15.)\n\n" +
		"Anh/chị có đồng ý tham gia không?",
	"consent.yes":      "✅ Đồng ý",
	"consent.no":       "Không đồng ý",
	"consent.given":    "✅ Anh/chị đã đồng ý lúc %s.",
	"consent.refused":  "Anh/chị đã không đồng ý. Không có thông tin nào được lưu. Nếu đổi ý, anh/chị gõ /start.",
	"consent.already":  "Anh/chị đã đồng ý trước đó.",
	"group.private":    "Em chỉ trò chuyện với phụ huynh trong tin nhắn riêng. Anh/chị bấm vào tên của em và chọn «Nhắn tin» nhé.",
	"menu":             "Anh/chị muốn làm gì?\n\nTrường: %s",
	"menu.noschool":    "Anh/chị muốn làm gì?",
	"menu.survey":      "📝 Làm khảo sát",
	"menu.resurvey":    "📝 Trả lời lại khảo sát",
	"menu.resume":      "📝 Tiếp tục khảo sát",
	"menu.school":      "🏫 Đổi trường",
	"menu.help":        "❓ Hướng dẫn",
	"help":             "Em là trợ lý khảo sát sự hài lòng của cha mẹ học sinh.\n\n• Bấm các nút để trả lời; khi cần gõ, em sẽ nói rõ.\n• ◀ Quay lại: sửa câu trước.\n• /start: bắt đầu hoặc tiếp tục.\n• /cancel: huỷ lượt khảo sát đang làm dở.\n• /help: xem hướng dẫn này.\n\nCâu trả lời chỉ được tổng hợp thành số liệu, không ai biết anh/chị là ai.",
	"level":            "Con anh/chị đang học cấp nào?\n\n(Hoặc gõ mã trường in dưới mã QR của trường.)",
	"school":           "Chọn trường của con (%s, trang %d/%d):\n\n(Hoặc gõ mã trường in dưới mã QR của trường.)",
	"school.none":      "Chưa có trường %s nào trong danh sách. Anh/chị chọn cấp khác nhé.",
	"school.prev":      "◀ Trước",
	"school.next":      "Sau ▶",
	"school.levels":    "⬅ Chọn cấp khác",
	"school.unknown":   "Em không tìm thấy trường có mã «%s». Anh/chị kiểm tra lại mã in dưới mã QR, hoặc chọn trường bằng các nút.",
	"school.set":       "🏫 Trường: %s.",
	"grade":            "Con anh/chị học lớp nào ở %s?",
	"survey.intro":     "📝 Khảo sát %s\nTrường: %s · %s\n\nGồm %d câu, khoảng 3 phút. Bấm ◀ Quay lại để sửa câu trước; gõ /cancel để dừng. Câu trả lời được lưu khi anh/chị bấm Gửi ở cuối.",
	"survey.again":     "Anh/chị đã trả lời đợt này cho trường này ngày %s. Lần trả lời mới sẽ thay thế lần trước.",
	"survey.closed":    "Hiện chưa có đợt khảo sát nào đang mở.",
	"survey.next":      "Đợt tiếp theo «%s» mở từ ngày %s.",
	"survey.resume":    "Chào mừng anh/chị trở lại! Mình tiếp tục từ câu %d/%d nhé.",
	"question":         "Câu %d/%d\n\n%s",
	"question.number":  "\n\n(Gõ một số từ %d đến %d.)",
	"question.text":    "\n\n(Gõ góp ý, tối đa %d ký tự.)",
	"back":             "◀ Quay lại",
	"skip":             "Bỏ qua",
	"confirm":          "Anh/chị xem lại câu trả lời:\n\n%s\n\nBấm «Gửi» để lưu.",
	"confirm.send":     "✅ Gửi câu trả lời",
	"confirm.redo":     "🔄 Làm lại từ đầu",
	"skipped":          "(bỏ qua)",
	"saved":            "✅ Đã ghi nhận câu trả lời của anh/chị cho đợt «%s» (%s). Cảm ơn anh/chị đã dành thời gian!",
	"wave.ended":       "Đợt khảo sát «%s» đã kết thúc nên câu trả lời này không được ghi nhận. Cảm ơn anh/chị.",
	"cancelled":        "Đã huỷ. Các câu trả lời chưa gửi đã được xoá.",
	"nothing":          "Không có việc gì đang làm dở.",
	"expired":          "Lượt khảo sát trước đã hết hạn vì không có hoạt động trong %s; các câu trả lời chưa gửi đã được xoá.",
	"stale":            "Nút đó thuộc một tin nhắn cũ. Đây là câu hỏi hiện tại:",
	"stale.notice":     "Nút này đã cũ",
	"press":            "Anh/chị vui lòng bấm một nút bên dưới nhé.",
	"press.numbered":   "Anh/chị vui lòng gõ số thứ tự của một lựa chọn nhé.",
	"number.bad":       "Anh/chị vui lòng gõ một số từ %d đến %d (ví dụ: %d), hoặc bấm «Không biết».",
	"text.long":        "Góp ý dài %d ký tự, quá giới hạn %d ký tự. Anh/chị rút gọn giúp em nhé.",
	"text.empty":       "Anh/chị gõ góp ý, hoặc bấm «Bỏ qua».",
	"too.long":         "Tin nhắn dài quá nên em không đọc được.",
	"other":            "Em chỉ đọc được chữ và các nút bấm, chưa xem được %s.",
	"other.sticker":    "nhãn dán",
	"other.photo":      "ảnh",
	"other.voice":      "tin nhắn thoại",
	"other.video":      "video",
	"other.document":   "tệp",
	"other.location":   "vị trí",
	"other.contact":    "danh bạ",
	"other.other":      "loại tin nhắn này",
	"edited":           "Em không xử lý lại tin nhắn đã sửa. Muốn đổi câu trả lời, anh/chị bấm ◀ Quay lại.",
	"unknown.command":  "Em không biết lệnh /%s.",
	"error":            "Xin lỗi, em gặp sự cố khi xử lý tin nhắn này. Anh/chị thử lại sau ít phút nhé.",
	"grade.mn.nt":      "Nhà trẻ",
	"grade.mn.mam":     "Lớp Mầm (3–4 tuổi)",
	"grade.mn.choi":    "Lớp Chồi (4–5 tuổi)",
	"grade.mn.la":      "Lớp Lá (5–6 tuổi)",
	"grade.n":          "Lớp %s",
	"duration.hours":   "%d giờ",
	"duration.minutes": "%d phút",
}

// T formats a catalog text.
func T(key msg, args ...any) string {
	s, ok := vi[key]
	if !ok {
		// A missing key is a bug; show the key rather than nothing.
		return string(key)
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// ErrorText is the fixed apology a user sees when handling their input
// failed; the error itself is logged, never shown.
func ErrorText() string { return T("error") }
