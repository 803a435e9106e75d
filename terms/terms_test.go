package terms

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func top(comments []string, n int) []Term {
	var c Counter
	for _, s := range comments {
		c.Add(s)
	}
	return c.Top(n)
}

func show(ts []Term) string {
	var parts []string
	for _, t := range ts {
		parts = append(parts, fmt.Sprintf("%s:%d", t.Text, t.Count))
	}
	return strings.Join(parts, ", ")
}

func TestTop(t *testing.T) {
	comments := []string{
		"Nhà vệ sinh dơ quá, các cháu không dám đi.",
		"Nhà vệ sinh cần sạch hơn. Nhà vệ sinh thiếu xà phòng!",
		"nha ve sinh ban, thieu xa phong", // typed without diacritics
		"Học thêm nhiều quá, các cháu mệt. Cảm ơn nhà trường.",
		"Giáo viên ép học thêm buổi tối",
		"Thu chi chưa công khai rõ ràng",
		"Các khoản thu chi không được công khai",
		"Sân trường ngập nước khi mưa",
		"Lớp dơ, nhà vệ sinh hôi",
	}
	got := show(top(comments, 30))
	want := "nhà vệ sinh:4, thiếu xà phòng:2, công khai:2, học thêm:2, thu chi:2, dơ:2"
	if got != want {
		t.Errorf("Top =\n %s\nwant\n %s", got, want)
	}
}

// TestTopRules: each rule of what is counted, one at a time.
func TestTopRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		comments []string
		want     string
	}{
		{"counted once per comment", []string{"bẩn bẩn bẩn bẩn", "sạch"}, ""},
		{"one comment is not a topic", []string{"căn tin"}, ""},
		{"stop words are no terms and break phrases", []string{"rất là đẹp", "rất là đẹp"}, "đẹp:2"},
		{"a phrase does not cross punctuation", []string{"mưa, ngập", "mưa. ngập"}, "mưa:2, ngập:2"},
		{"folded stop words typed without diacritics", []string{"khong co nuoc uong", "không có nước uống"}, "nước uống:2"},
		{"dơ is not do", []string{"lớp do mưa dơ", "dơ"}, "dơ:2"},
		{"the spelling with diacritics wins", []string{"hoc them", "hoc them", "học thêm"}, "học thêm:3"},
		{"decomposed text reads as composed", []string{norm.NFD.String("Học thêm"), "học thêm"}, "học thêm:2"},
		{"numbers alone are no terms", []string{"lớp 45 em", "lớp 45 em"}, "lớp 45:2"},
		{"the commonest phrases say nothing", []string{"Cảm ơn nhà trường, phụ huynh", "cảm ơn nhà trường phụ huynh"}, ""},
		{"a chance meeting is no phrase", []string{"học thêm buổi tối", "học thêm buổi tối", "học thêm nhiều", "học thêm nhiều", "học thêm", "học thêm"},
			"học thêm:6, thêm buổi tối:2, nhiều:2"},
		{"mostly inside a longer phrase", []string{"nhà vệ sinh", "nhà vệ sinh", "nhà vệ sinh", "nhà vệ sinh bẩn", "về nhà muộn"},
			"nhà vệ sinh:4"},
		{"a shorter phrase seen apart stays", []string{"nhà vệ sinh", "vệ sinh lớp học", "nhà vệ sinh"}, "vệ sinh:3, nhà vệ sinh:2"},
	} {
		if got := show(top(tc.comments, 5)); got != tc.want {
			t.Errorf("%s: Top = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTopLimit(t *testing.T) {
	var c Counter
	for i := range 20 {
		c.Add(fmt.Sprintf("chủđề%d chủđề%d", i, i))
		c.Add(fmt.Sprintf("chủđề%d", i))
	}
	got := c.Top(5)
	if len(got) != 5 {
		t.Errorf("Top(5) gave %d terms", len(got))
	}
	for _, term := range got {
		if term.Count != 2 { // in two comments, twice in one of them
			t.Errorf("%q counted in %d comments, want 2", term.Text, term.Count)
		}
	}
	var empty Counter
	if got := empty.Top(5); len(got) != 0 {
		t.Errorf("an empty counter gives %v", got)
	}
}

// BenchmarkCount counts 10,000 comments of a school-year's size.
func BenchmarkCount(b *testing.B) {
	base := []string{
		"Nhà vệ sinh dơ quá, các cháu không dám đi.",
		"Học thêm nhiều quá, các cháu mệt. Cảm ơn nhà trường.",
		"Thu chi chưa công khai rõ ràng, phụ huynh không được biết các khoản",
		"Sân trường ngập nước khi mưa, cần sửa lại hệ thống thoát nước",
	}
	for b.Loop() {
		var c Counter
		for i := range 10_000 {
			c.Add(base[i%len(base)] + fmt.Sprintf(" lớp %d", i%40))
		}
		c.Top(30)
	}
}
