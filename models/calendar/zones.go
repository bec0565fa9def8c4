package calendar

import (
	"sync"
	"time"
)

// zoneCache holds every *time.Location loaded so far. Locations are
// immutable and the set of IANA names is small, so entries are never evicted.
var zoneCache sync.Map // string → *time.Location

// LoadLocation is time.LoadLocation with a cache: loading a zone parses the
// tz database, and the time rules ask for the same few zones constantly.
func LoadLocation(name string) (*time.Location, error) {
	if loc, ok := zoneCache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, loc)
	return loc, nil
}
