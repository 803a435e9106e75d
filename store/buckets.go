package store

// Every bucket of the database, its key layout and its value encoding, in
// one list: Open creates each of them, and docs/architecture.md's
// "Storage layout" table describes each (TestBucketsDocumented holds the
// two together). "0" in a key is a zero byte; "sealed" is seal.go's
// encryption under the secret; a respondent key is the 16-byte HMAC
// pseudonym (flows.RespondentKey), a recipient key the 16-byte HMAC of
// "recipient:channel:chat" (DB.recipientKey): no raw user or chat id is
// ever a key. Encodings only go forward (codec.go, TestCodesFrozen).
var (
	// The survey.

	// respondent key → sealed Session: compact binary (codec.go, version 2
	// idle, 3 mid-step), JSON while writing a complaint or an announcement.
	bSessions = []byte("sessions")
	// wave 0 school 0 respondent key (responseKey) → Response, compact
	// binary (codec.go); a free-text answer sealed inside it.
	bResponses = []byte("responses")
	// respondent key, wave 0 school (byKeyIndex) → nil: a parent's
	// responses, for /dulieu and /xoadulieu.
	bByKey = []byte("responses_by_key")
	// wave 0 school 0 question 0 bucket (aggKey) → uint64 count,
	// big-endian; question "#" counts respondents.
	bAggs = []byte("aggregates")
	// as aggregates → the counts of responses purged after the retention
	// period, which Recount adds back.
	bRetired = []byte("retired")
	// wave 0 school 0 time (unix ms, 8 bytes big-endian) respondent key
	// (commentKey) → nil: the responses that carry a comment (a free-text
	// answer), so that a school's comments are read newest first a page at
	// a time, and a report's period is one range of keys, without a look
	// at the responses that have none. The comment itself stays sealed in
	// its response (comments.go).
	bComments = []byte("comments")
	// period 0 school 0 indicator (baselineKey) → Baseline JSON: earlier
	// results imported from outside the bot (`hailong baseline import`);
	// aggregate figures of schools, not of anyone: not sealed.
	bBaselines = []byte("baselines")
	// wave 0 school 0 YYYY-MM-DD (dailyKey) → uint64 big-endian: responses
	// last submitted that day.
	bDaily = []byte("daily")
	// "office:ID|YYYY-MM-DD" or "school:CODE|YYYY-MM-DD" → the snapshot
	// (JSON) of the digest sent for the week ending then.
	bDigests = []byte("digests")

	// The outbox and the channels.

	// sequence (uint64 big-endian) → sealed Outgoing, compact binary
	// (codec.go; JSON rows of before still read).
	bOutbox = []byte("outbox")
	// outbox sequence → recipient key: the rows that go before digests
	// and announcements, read ahead of a backlog.
	bUrgent = []byte("outbox_urgent")
	// recipient key, sequence → nil: a chat's digests and announcements,
	// for Stop, withdraw and Migrate.
	bByChat = []byte("outbox_by_chat")
	// sequence → sealed Dead, JSON: updates and rows set aside.
	bDead = []byte("dead")
	// recipient key → time (MarshalBinary): chats that blocked the bot,
	// until they write again.
	bStopped = []byte("stopped")
	// "channel:old chat" → the supergroup's new chat id, as text.
	bMigrated = []byte("migrated")
	// "channel:message id" → time applied (MarshalBinary): the updates of
	// Batch.Once channels (Zalo), kept SeenFor so a repeat is recognised
	// (dedupe.go).
	bSeen = []byte("seen")
	// "cursor/<channel>" → offset and time; "local_secret",
	// "secret_check" (an HMAC of a constant under the secret), and the
	// marks of indexes built ("outbox_indexes_v3", "responses_by_key_v1",
	// "complaint_facts_v2", "comments_v1").
	bMeta = []byte("meta")

	// Complaints.

	// id (uint64 big-endian; the code is PA-%06d) → sealed Complaint
	// JSON, its history apart.
	bComplaint = []byte("complaints")
	// complaint id, sequence (historyKey) → sealed Event JSON, appended
	// once each.
	bHistory = []byte("complaint_history")
	// school 0 id (schoolIDKey) → what reports count of a complaint
	// (encodeFacts: version 1, status, times), unsealed: nothing a parent
	// wrote or who they are; written with the complaint, so that a
	// commune's report reads its own schools' alone.
	bFacts = []byte("complaint_facts")
	// respondent key, id → nil: a parent's complaints.
	bByParent = []byte("complaints_by_parent")
	// school 0 id (schoolIDKey) → nil: present while the complaint is open.
	bOpen = []byte("complaints_open")

	// Roles and rights.

	// "channel:user" → Principal JSON: bound by an invite.
	bPrincipals = []byte("principals")
	// hash of the code → Invite JSON (school, issuer, expiry, used).
	bInvites = []byte("invites")
	// sequence → AuditEntry JSON: staff actions.
	bAudit = []byte("audit")
	// recipient key → time (MarshalBinary): parents who said /stop.
	bOptOut = []byte("optout")
	// "channel:chat" → 1: a group that is no office's, told once to write
	// in private.
	bGroups = []byte("groups")
	// respondent key → "lang 0 school 0 unix seconds": what a user chose
	// before consenting, on a channel whose consent prompt cannot carry it
	// in buttons; removed at consent, refusal or erasure, and by the daily
	// purge after preFor (ForgetPre).
	bPre = []byte("preconsent")

	// Announcements. They reach the parents who have used the bot for a
	// school: the audience. A session holds no chat (the respondent key is
	// a pseudonym), so the store keeps, for each school a consented parent
	// chose, where to reach them — sealed, like every stored address — and
	// the language they read.

	// school 0 respondent key (audienceKey) → language byte (0 vi, 1 en),
	// then the sealed Address of the parent's chat.
	bAudience = []byte("audience")
	// id (uint64 big-endian; the code is TB-%06d) → sealed Announcement
	// JSON with its counts.
	bAnnounce = []byte("announcements")
	// outbox sequence → announcement id, until the row is delivered,
	// blocked or failed.
	bBcRows = []byte("broadcast_rows")

	// The dashboard's records: sign-in links asked for with /web, and the
	// sessions they opened. Both are keyed by the hash of their token; the
	// tokens themselves are only in the link and the browser's cookie.

	// WebTokenHash of a link's token → WebLink JSON.
	bWebLinks = []byte("web_links")
	// WebTokenHash of a session cookie's token → WebSession JSON.
	bWebSessions = []byte("web_sessions")
)

// buckets are all of the above, in the order Open creates them.
var buckets = [][]byte{
	bSessions, bResponses, bAggs, bOutbox, bMeta, bDead, bComplaint, bByParent, bOpen, bUrgent, bByChat, bByKey, bHistory, bFacts,
	bAudience, bAnnounce, bBcRows, bPre, bSeen,
	bStopped, bMigrated,
	bDaily, bDigests,
	bPrincipals, bInvites, bAudit, bOptOut, bRetired, bGroups,
	bComments, bBaselines,
	bWebLinks, bWebSessions,
}
