package calendar

// Holiday is a named day off: a public holiday of a region, or a day a
// workspace declared off for everyone.
type Holiday struct {
	Date Date
	Name string
}
