package flows

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestVerbsRoundTrip: every verb's data, as its constructor builds it, reads
// back as that verb with the same arguments, and no other verb of the
// table takes it.
func TestVerbsRoundTrip(t *testing.T) {
	n := func(action string) string { return "12:" + action }
	cases := []struct {
		data  string
		verb  string
		nonce string
		args  []string
	}{
		{menuData(menuSurvey), vMenu, "", []string{"s"}},
		{oldAnnounceData(), vOldAnn, "", []string{"s"}},
		{keepData(menuData(menuMine)), vKeep, "", []string{"m", "l"}},
		{infoData(infoPlan), vInfo, "", []string{"p"}},
		{infoNData(infoFAQ, 3), vInfo, "", []string{"f", "3"}},
		{langData(English, ""), vLang, "", []string{"en"}},
		{langData(Vietnamese, "TH-03"), vLang, "", []string{"vi", "TH-03"}},
		{agreeData("TH-03", Vietnamese), vAgree, "", []string{"TH-03"}},
		{agreeData("", English), vAgree, "", []string{"", "en"}},
		{refuseData(Vietnamese), vRefuse, "", nil},
		{refuseData(English), vRefuse, "", []string{"", "en"}},
		{addInfoData(42), vAddInfo, "", []string{"42"}},
		{followupData(42, followupDK), vFollowup, "", []string{"42", "dk"}},
		{staffData(staffRefer, 42), vStaff, "", []string{"refer", "42"}},
		{listData(), vList, "", []string{"list"}},
		{revokeData("telegram:778"), vRevoke, "", []string{"telegram:778"}},
		{commentsData("2026-1", "TH-03", 20), vComments, "", []string{"2026-1", "TH-03", "20"}},
		{schoolsData("2026-1", 8), vSchools, "", []string{"2026-1", "8"}},
		{digestData("2026-1"), vDigest, "", []string{"2026-1"}},
		{digestSchoolData("2026-1", "TH-03"), vDigest, "", []string{"2026-1", "TH-03"}},

		{n(levelAct("th")), vLevel, "12", []string{"th"}},
		{n(pageAct(2)), vPage, "12", []string{"2"}},
		{n(vLevels), vLevels, "12", nil},
		{n(schoolAct("TH-03")), vSchool, "12", []string{"TH-03"}},
		{n(gradeAct("3")), vGrade, "12", []string{"3"}},
		{n(answerAct("yes", "A1")), vAnswer, "12", []string{"yes", "A1"}},
		{n(vSkip), vSkip, "12", nil},
		{n(vBack), vBack, "12", nil},
		{n(editAct(4)), vEdit, "12", []string{"4"}},
		{n(vOK), vOK, "12", nil},
		{n(vOffer), vOffer, "12", nil},
		{n(vRedo), vRedo, "12", nil},
		{n(vErase), vErase, "12", nil},
		{n(categoryAct("food")), vCategory, "12", []string{"food"}},
		{n(vCancel), vCancel, "12", nil},
		{n(vOther), vOther, "12", nil},
		{n(vDone), vDone, "12", nil},
		{n(vAnon), vAnon, "12", nil},
		{n(vSend), vSend, "12", nil},
		{n(vRewrite), vRewrite, "12", nil},
		{n(annAct(annSend)), vAnnounce, "12", []string{"send"}},
	}
	covered := map[verb]bool{}
	for _, c := range cases {
		p, ok := readData(c.data)
		if !ok || p.verb != c.verb || p.nonce != c.nonce || !slices.Equal(p.args, c.args) {
			t.Errorf("%q read as %+v (%v), want verb %q nonce %q args %q", c.data, p, ok, c.verb, c.nonce, c.args)
		}
		var takers []string
		for _, v := range verbs {
			if takes(v, c.data) {
				takers = append(takers, v.name)
				covered[v] = true
			}
		}
		if len(takers) != 1 {
			t.Errorf("%q is taken by %d verbs %q, want exactly one", c.data, len(takers), takers)
		}
	}
	for _, v := range verbs {
		if !covered[v] {
			t.Errorf("verb %q (nonced %v) has no case here", v.name, v.nonced)
		}
	}
	// The two meanings of "a" are told apart by shape alone.
	if p, _ := readData("a:42"); p.verb != vAddInfo || p.nonce != "" {
		t.Errorf(`"a:42" read as %+v, want add information`, p)
	}
	if p, _ := readData("7:a:42"); p.verb != vAnswer || p.nonce != "7" {
		t.Errorf(`"7:a:42" read as %+v, want an answer`, p)
	}
	for _, bad := range []string{"", "x", "a:1:2", "m", "k:view", "12:zz", "12:back:1"} {
		if p, ok := readData(bad); ok {
			t.Errorf("%q read as %+v, want no verb", bad, p)
		}
	}
}

// takes says whether v alone, out of the table's order, accepts data.
func takes(v verb, data string) bool {
	fields := strings.Split(data, ":")
	if _, ok := nonceOf(data); ok != v.nonced {
		return false
	} else if ok {
		fields = fields[1:]
	}
	args := fields[1:]
	if v.tail && len(args) > v.max {
		args = args[:v.max]
	}
	return fields[0] == v.name && len(args) >= v.min && len(args) <= v.max
}

// TestVerbsInOneFile: no button data is spelled out in flows outside
// verbs.go: a string literal that starts as a verb's data, a Data: field
// or a nonced action given as a literal with a verb in it.
func TestVerbsInOneFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, v := range verbs {
		names[v.name] = true
	}
	// looksLike: "k:…", "12:a:…", ":n:" — a verb's name followed by ":".
	looksLike := func(s string) bool {
		if n, ok := nonceOf(s); ok {
			s = strings.TrimPrefix(s, n+":")
		}
		s = strings.TrimPrefix(s, ":")
		name, _, ok := strings.Cut(s, ":")
		return ok && names[name]
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if f == "verbs.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(node ast.Node) bool {
			switch x := node.(type) {
			case *ast.ImportSpec:
				return false
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && k.Name == "Data" {
					if lit, ok := x.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, _ := strconv.Unquote(lit.Value); strings.Contains(s, ":") || names[s] {
							t.Errorf("%s: Data: %s: build button data with verbs.go's constructors", fset.Position(lit.Pos()), lit.Value)
						}
					}
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "nonced" && len(x.Args) == 1 {
					if lit, ok := x.Args[0].(*ast.BasicLit); ok {
						t.Errorf("%s: nonced(%s): use verbs.go's verbs", fset.Position(lit.Pos()), lit.Value)
					}
				}
			case *ast.BasicLit:
				if x.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(x.Value); err == nil && looksLike(s) {
					t.Errorf("%s: %s looks like button data: declare it in verbs.go", fset.Position(x.Pos()), x.Value)
				}
			}
			return true
		})
	}
}

// TestStays: the messages that stay when pressed — a kept menu, an old
// announcement's, a digest's comments button — are named by their verbs'
// rows, and no other.
func TestStays(t *testing.T) {
	for data, want := range map[string]bool{
		keepData(menuData(menuSurvey)): true, oldAnnounceData(): true, digestData("w1"): true,
		digestSchoolData("w1", "TH-03"): true, menuData(menuSurvey): false, commentsData("w1", "TH-03", 5): false,
		staffData(staffAck, 1): false, "7:" + vOK: false, "garbage": false,
	} {
		if got := stays(data); got != want {
			t.Errorf("stays(%q) = %v, want %v", data, got, want)
		}
	}
}
