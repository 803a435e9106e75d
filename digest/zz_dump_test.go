package digest

import (
	"os"
	"testing"
)

func TestZZDump(t *testing.T) {
	r := renderSampleReport()
	b, _ := Workbook(r)
	os.WriteFile("/tmp/i19a-x/new.xlsx", b, 0o644)
	c, _ := CSV(r)
	os.WriteFile("/tmp/i19a-x/new.csv", c, 0o644)
}
