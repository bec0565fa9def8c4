package calendar

// DefaultDailyBudget is how many proactive DMs a person gets per local day
// until their workspace's admin or the person sets another number.
const DefaultDailyBudget = 3
