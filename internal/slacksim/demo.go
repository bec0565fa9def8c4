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
// half an hour off the hour, Noor on vacation for five days) and #team with
// all of them and the bot. It is idempotent: people and channels that exist
// are left as they are.
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
	s.mu.Lock()
	_, exists := s.ws.convs[DemoTeam]
	s.mu.Unlock()
	if exists {
		return
	}
	if _, err := s.addChannel(DemoTeam, NewChannel{Name: "team", Members: ids}, false); err != nil {
		s.log.Error("slacksim: seed #team", "err", err)
		return
	}
	s.mu.Lock()
	s.ws.convs[DemoTeam].IsGeneral = true
	s.mu.Unlock()
}
