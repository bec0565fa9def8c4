// Package calendar holds the plain values a person's time is made of: dates,
// times of day, weekdays, working hours, time zones, a Slack status that says
// the person is away, named days off and the default daily budget of
// proactive messages.
//
// It imports no database driver and no ORM, so that the time rules
// (jobs/cadence, jobs/attention) built on it stay pure; the root package's
// layers_test.go keeps it so. Date's Value and Scan use only the standard
// library's database/sql/driver interfaces.
package calendar
