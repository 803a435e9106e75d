// Package pdfdoc starts the PDF documents hailong prints (the posters, the
// published summaries): A4 in millimetres, the Liberation fonts, which
// cover Vietnamese, registered once under the names the callers use, and
// who made the document and when.
package pdfdoc

import (
	"time"

	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

// The font families New registers: Sans in "" and "B" styles, Mono in ""
// when asked.
const (
	Sans = "sans"
	Mono = "mono"
)

// Creator is the program a document says made it.
const Creator = "hailong"

// Meta is what a document says of itself.
type Meta struct {
	Title  string
	Author string    // the office; "" for none
	Made   time.Time // its creation and modification time; zero: now
	// Mono registers Mono too (each font registered costs a parse of it
	// and, when used, its subset in the file).
	Mono bool
}

// New starts an A4 document, "P" portrait or "L" landscape, in mm, with the
// fonts registered and the metadata set. Text given to it should be NFC
// (Text): a name typed with combining marks would print them apart.
func New(orientation string, m Meta) *fpdf.Fpdf {
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.SetTitle(Text(m.Title), true)
	pdf.SetCreator(Creator, true)
	if m.Author != "" {
		pdf.SetAuthor(Text(m.Author), true)
	}
	if !m.Made.IsZero() {
		pdf.SetCreationDate(m.Made)
		pdf.SetModificationDate(m.Made)
	}
	pdf.AddUTF8FontFromBytes(Sans, "", liberationsansregular.TTF)
	pdf.AddUTF8FontFromBytes(Sans, "B", liberationsansbold.TTF)
	if m.Mono {
		pdf.AddUTF8FontFromBytes(Mono, "", liberationmonoregular.TTF)
	}
	return pdf
}

// Text is s as the fonts set it: precomposed letters (NFC).
func Text(s string) string { return norm.NFC.String(s) }
