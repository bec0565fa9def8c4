// Package csvsafe keeps what people typed harmless in a CSV export that a
// spreadsheet opens: a cell a spreadsheet would run as a formula is
// prefixed with a quote (docs/text.md). Every export of every capability
// writes its text cells through Cell. It depends on nothing of Trellis.
package csvsafe

import "strings"

// formulaStarts are the characters a spreadsheet reads as the start of a
// formula, with their full-width forms (some locales accept those too).
const formulaStarts = "=+-@＝＋－＠"

// Cell defuses formula injection: a spreadsheet runs a cell starting with
// = + - @ as a formula, also after leading spaces, tabs or line breaks,
// and a tab or carriage return can start one. Such a cell gets a leading
// quote; the text after it is the person's, unchanged.
func Cell(s string) string {
	if Risky(s) {
		return "'" + s
	}
	return s
}

// Risky reports whether a spreadsheet could run s as a formula: what Cell
// prefixes.
func Risky(s string) bool {
	if s == "" {
		return false
	}
	rest := []rune(strings.TrimLeft(s, " \t\r\n"))
	return strings.ContainsRune("\t\r\n", rune(s[0])) || len(rest) > 0 && strings.ContainsRune(formulaStarts, rest[0])
}
