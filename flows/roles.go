package flows

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Role is what a user is to hailong.
type Role int

// Roles, least to most.
const (
	RoleParent Role = iota
	RolePrincipal
	RoleOffice
	RoleAdmin
)

func (r Role) String() string {
	return [...]string{"parent", "principal", "office", "admin"}[r]
}

// Actor is who sent an input and what they may act on, decided from the
// configuration and the stored principal bindings at the moment of use.
type Actor struct {
	ID      string // "channel:user"
	Role    Role
	Schools []string // the schools whose complaints and reports they may see
	Offices []string
	Group   bool // acting from an office's group chat
}

// Principal is a user bound to a school by an invite.
type Principal struct {
	ID     string    `json:"id"` // "channel:user"
	School string    `json:"school"`
	Name   string    `json:"name,omitempty"` // as the channel showed it when they redeemed
	Since  time.Time `json:"since"`
	Issuer string    `json:"issuer,omitempty"`
}

// Invite is a one-time code that binds its redeemer to a school as its
// principal. Only its hash is stored.
type Invite struct {
	Hash    string    `json:"hash"`
	School  string    `json:"school"`
	Issuer  string    `json:"issuer"`
	Expires time.Time `json:"expires"`
	Used    bool      `json:"used,omitempty"`
}

// InviteDays is how long an invite stays valid.
const InviteDays = 7

// InviteHash is how an invite code is stored: never the code itself.
func InviteHash(code string) string {
	sum := sha256.Sum256([]byte("hailong invite:" + strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))))
	return hex.EncodeToString(sum[:16])
}

// NewInviteCode turns random bytes into a code a person can type: ten
// letters and digits in two groups.
func NewInviteCode(random []byte) string {
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(random)
	if len(s) < 10 {
		s += strings.Repeat("A", 10-len(s))
	}
	return s[:5] + "-" + s[5:10]
}

// AuditEntry records one staff action.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // "channel:user" or "channel:group chat"
	Role   string    `json:"role"`
	Action string    `json:"action"`
	Record string    `json:"record"`        // a complaint code, a school, a principal
	Via    string    `json:"via,omitempty"` // "web": done on the dashboard; "": in a chat
}

// actor works out who the sender is.
func (e *Engine) actor(env Envelope, look Lookup) Actor {
	id := env.Channel + ":" + env.User
	if env.Input.Group {
		if o, ok := e.dir.OfficeByChat(env.Channel, env.Chat); ok {
			return Actor{ID: env.Channel + ":" + env.Chat, Role: RoleOffice, Offices: []string{o.ID}, Group: true,
				Schools: e.dir.UnderCodes(o.ID)}
		}
		return Actor{ID: id}
	}
	if slices.Contains(e.dir.Admins, id) {
		return Actor{ID: id, Role: RoleAdmin, Offices: slices.Clip(e.dir.allOffices), Schools: slices.Clip(e.dir.allCodes)}
	}
	schools, offices := e.dir.Scope(id)
	if school, ok := look.PrincipalOf(id); ok && !slices.Contains(schools, school) {
		schools = append(schools, school)
	}
	a := Actor{ID: id, Schools: schools, Offices: offices}
	switch {
	case len(offices) > 0:
		a.Role = RoleOffice
	case len(schools) > 0:
		a.Role = RolePrincipal
	}
	return a
}

// ScopeUnit is the unit whose subtree an actor's reports and dashboard
// cover, so that they sum its units one level down: a group's unit or the
// one unit a staff member is staff of, an admin's single top unit; "" for
// a principal, for staff of several units (their schools are not one
// subtree) and for an admin over several top units. The chat's /baocao and
// the dashboard both ask it.
func (e *Engine) ScopeUnit(a Actor) string {
	switch {
	case a.Role == RoleAdmin:
		if top := e.dir.Children(""); len(top) == 1 {
			return top[0].ID
		}
	case a.Role == RoleOffice && len(a.Offices) == 1:
		return a.Offices[0]
	}
	return ""
}

// DefaultPeriod is the days a report covers when none are asked for, from
// the chat's /baocao, the dashboard and `hailong export` alike: the wave
// open now, up to today; between waves, the latest wave, whole; before any
// wave, the last week. to is exclusive (the day after the last).
func (e *Engine) DefaultPeriod(now time.Time) (from, to time.Time) {
	now = now.In(e.loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, e.loc)
	w, ok := e.dir.LatestWave(now)
	switch {
	case ok && w.Contains(now):
		return w.Start, today.AddDate(0, 0, 1)
	case ok:
		return w.Start, w.End
	}
	return today.AddDate(0, 0, -7), today.AddDate(0, 0, 1)
}

// ScopeName names what an actor acts for, as reports, announcements and
// the dashboard title it: a group's unit, the units a staff member is
// staff of (every one: staff of two units announce as both), all of them
// for an admin, else the schools a principal heads.
func (e *Engine) ScopeName(a Actor) string {
	if a.Role == RoleAdmin {
		return T("report.all")
	}
	var names []string
	for _, id := range a.Offices {
		if o, ok := e.dir.Office(id); ok {
			names = append(names, o.Name)
		}
	}
	if len(names) == 0 {
		for _, code := range a.Schools {
			names = append(names, e.schoolName(code))
		}
	}
	return strings.Join(names, ", ")
}

// mayInvite reports whether the actor may issue invites for a school: an
// admin, or staff of a unit at or above the one that runs it.
func (e *Engine) mayInvite(a Actor, sc *School) bool {
	if a.Role == RoleAdmin {
		return true
	}
	if a.Role != RoleOffice {
		return false
	}
	return slices.ContainsFunc(a.Offices, func(o string) bool { return e.dir.Within(sc, o) })
}

// Commands is the command menu of a role, as the channel lists it.
func Commands(r Role) [][2]string {
	parent := [][2]string{
		{"start", T("cmd.start")}, {"phananh", T("cmd.phananh")}, {"phananhcuatoi", T("cmd.phananhcuatoi")},
		{"thongtin", T("cmd.thongtin")}, {"dulieu", T("cmd.dulieu")}, {"xoadulieu", T("cmd.xoadulieu")}, {"stop", T("cmd.stop")},
		{"cancel", T("cmd.cancel")}, {"lang", T("cmd.lang")}, {"help", T("cmd.help")},
	}
	staff := [][2]string{{"danhsach", T("cmd.danhsach")}, {"baocao", T("cmd.baocao")}, {"xuat", T("cmd.xuat")},
		{"gopy", T("cmd.gopy")}, {"thongbao", T("cmd.thongbao")}, {"web", T("cmd.web")}, {"cancel", T("cmd.cancel")}}
	switch r {
	case RolePrincipal:
		return staff
	case RoleOffice:
		return append(staff, [2]string{"invite", T("cmd.invite")}, [2]string{"hieutruong", T("cmd.hieutruong")})
	case RoleAdmin:
		return append(staff, [2]string{"invite", T("cmd.invite")}, [2]string{"hieutruong", T("cmd.hieutruong")}, [2]string{"nhatky", T("cmd.nhatky")})
	}
	return parent
}

// GroupCommands is the command menu of an office's group chat.
func GroupCommands() [][2]string {
	return [][2]string{{"danhsach", T("cmd.danhsach")}, {"baocao", T("cmd.baocao")}, {"xuat", T("cmd.xuat")}, {"gopy", T("cmd.gopy")}}
}

// Menus lists every staff chat with its role's menu: the configured
// principals, office staff and admins, the principals bound by invites
// (bound), and the office group chats (role RoleOffice, Group set).
func (e *Engine) Menus(bound []Principal) []Actor {
	var out []Actor
	seen := map[string]bool{}
	add := func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		a := e.actor(Envelope{Channel: strings.SplitN(id, ":", 2)[0], User: strings.SplitN(id+":", ":", 3)[1]}, &boundLookup{bound: bound})
		if a.Role > RoleParent {
			out = append(out, a)
		}
	}
	for _, id := range e.dir.Admins {
		add(id)
	}
	for _, o := range e.dir.Offices {
		for _, id := range o.Staff {
			add(id)
		}
		if o.Chat != "" {
			out = append(out, Actor{ID: o.Chat, Role: RoleOffice, Offices: []string{o.ID}, Group: true})
		}
	}
	for _, sc := range e.dir.Schools {
		for _, id := range sc.Principals {
			add(id)
		}
	}
	for _, p := range bound {
		add(p.ID)
	}
	return out
}

// boundLookup answers PrincipalOf from a list, for Menus; it has nothing
// else stored.
type boundLookup struct {
	NoRecords
	bound []Principal
}

func (b *boundLookup) PrincipalOf(id string) (string, bool) {
	for _, p := range b.bound {
		if p.ID == id {
			return p.School, true
		}
	}
	return "", false
}
