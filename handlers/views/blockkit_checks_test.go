package views_test

import "github.com/trellis-bot/trellis/internal/blockkit/blockkittest"

// The Block Kit checks this package's tests share with every package that
// builds Block Kit (internal/blockkit/blockkittest).
var (
	checkModalLimits = blockkittest.CheckModalLimits
	submit           = blockkittest.Submit
	checkBlockLimits = blockkittest.CheckBlockLimits
	checkDM          = blockkittest.CheckDM
	blockJSON        = blockkittest.BlockJSON
	blockByID        = blockkittest.BlockByID
	elements         = blockkittest.Elements
	mrkdwnOf         = blockkittest.MrkdwnOf
	reportBlocks     = blockkittest.ReportBlocks
	reportMrkdwn     = blockkittest.ReportMrkdwn
	str              = blockkittest.Str
)
