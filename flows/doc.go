// Package flows is the domain of hailong: the questionnaire, the parents'
// conversations and the scores, as pure functions of their inputs.
//
// It uses only the standard library and does no I/O: time arrives in the
// input, state arrives as a Session value and leaves as a new one, and every
// message to send leaves as an Outgoing value that a channel adapter renders.
package flows
