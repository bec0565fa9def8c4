package checkins

// MaxAnswerText is maxAnswerText, for the tests of package checkins_test.
const MaxAnswerText = maxAnswerText
