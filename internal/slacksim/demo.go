package slacksim

import "time"

// Fixed ids of the demo workspace, so what the bot stored about them still
// matches after a restart.
const (
	DemoAda    = "U0DEMOADA"
	DemoRavi   = "U0DEMORAVI"
	DemoMei    = "U0DEMOMEI"
	DemoCarlos = "U0DEMOCARL"
	DemoJordan = "U0DEMOJORD"
	DemoNoor   = "U0DEMONOOR"
	DemoTeam   = "C0DEMOTEAM"
	// DemoManagers is #managers: Ada, Carlos and Jordan, the demo's
	// managers whose working afternoons meet.
	DemoManagers = "C0DEMOMGRS"
)

type demoPerson struct {
	id string
	NewPerson
	vacation bool
}

func demoPeople() []demoPerson {
	return []demoPerson{
		{id: DemoAda, NewPerson: NewPerson{Name: "ada", RealName: "Ada Lovelace", TZ: "Europe/London", IsAdmin: true, IsOwner: true}},
		{id: DemoRavi, NewPerson: NewPerson{Name: "ravi", RealName: "Ravi Iyer", TZ: "Asia/Kolkata"}},
		{id: DemoMei, NewPerson: NewPerson{Name: "mei", RealName: "Mei Tanaka", TZ: "Asia/Tokyo"}},
		{id: DemoCarlos, NewPerson: NewPerson{Name: "carlos", RealName: "Carlos Silva", TZ: "America/Sao_Paulo"}},
		{id: DemoJordan, NewPerson: NewPerson{Name: "jordan", RealName: "Jordan Lee", TZ: "America/Los_Angeles"}},
		{id: DemoNoor, NewPerson: NewPerson{Name: "noor", RealName: "Noor Haddad", TZ: "Europe/Berlin"}, vacation: true},
	}
}

// SeedDemo adds the demo people (six people in six time zones, one of them
// half an hour off the hour, Noor on vacation for five days), #team with
// all of them and the bot, and #managers with Ada, Carlos, Jordan and the
// bot. It is idempotent: people and channels that exist are left as they
// are, and a workspace kept from before #managers existed gets it.
func (s *Server) SeedDemo() {
	var ids []string
	for _, d := range demoPeople() {
		ids = append(ids, d.id)
		s.mu.Lock()
		_, exists := s.ws.people[d.id]
		s.mu.Unlock()
		if exists {
			continue
		}
		if d.vacation {
			d.StatusText, d.StatusEmoji = "Vacationing", ":palm_tree:"
			d.StatusExpiration = s.clock.Now().Add(5 * 24 * time.Hour).Unix()
		}
		if _, err := s.addPerson(d.id, d.NewPerson); err != nil {
			s.log.Error("slacksim: seed demo person", "id", d.id, "err", err)
		}
	}
	s.seedDemoChannel(DemoTeam, "team", ids, true)
	s.seedDemoChannel(DemoManagers, "managers", []string{DemoAda, DemoCarlos, DemoJordan}, false)
}

// seedDemoChannel adds a demo channel with members and the bot, unless a
// conversation with its id exists.
func (s *Server) seedDemoChannel(id, name string, members []string, general bool) {
	s.mu.Lock()
	_, exists := s.ws.convs[id]
	s.mu.Unlock()
	if exists {
		return
	}
	if _, err := s.addChannel(id, NewChannel{Name: name, Members: members}, false); err != nil {
		s.log.Warn("slacksim: seed demo channel", "channel", name, "err", err)
		return
	}
	if general {
		s.mu.Lock()
		s.ws.convs[id].IsGeneral = true
		s.mu.Unlock()
	}
}
