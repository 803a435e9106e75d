package flows

// Baseline is an earlier result imported from outside the bot (a report of
// the year before it ran): one indicator of one school in one period, as a
// share, or as counts from which the share follows.
type Baseline struct {
	School string `json:"school"`
	// Period is a wave's id, a school year ("2025-2026", September to
	// August) or a calendar year ("2025").
	Period string `json:"period"`
	// Indicator is a scored question's id, or IndexID for the
	// satisfaction index.
	Indicator string `json:"indicator"`
	// Pct is the share of good answers in percent, when only the share is
	// known; with counts it is computed from them.
	Pct         float64 `json:"pct,omitempty"`
	Good        int     `json:"good,omitempty"`
	Bad         int     `json:"bad,omitempty"`
	Respondents int     `json:"respondents,omitempty"`
	Source      string  `json:"source"`
}

// Counted reports whether the baseline has counts, not only a share.
func (b Baseline) Counted() bool { return b.Good+b.Bad > 0 }

// Share is the baseline's share of good answers in percent, and whether it
// may be shown: counts of fewer than min judged answers, or a share of
// fewer than min respondents, may not.
func (b Baseline) Share(min int) (float64, bool) {
	if b.Counted() {
		return Tally{Good: b.Good, Bad: b.Bad}.Pct(min)
	}
	return b.Pct, b.Respondents == 0 || b.Respondents >= min
}
