package slacksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// fileBytes is content that only survives a byte-exact path: NUL, invalid
// UTF-8, CR LF and a multipart-looking boundary line.
var fileBytes = append([]byte("week,answers\r\n--boundary\r\n\x00\xff\xfe"), bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 300)...)

// TestUploadFileToDM uploads with slack-go's UploadFileContext into a DM
// opened with conversations.open and finds the file everywhere it should be.
func TestUploadFileToDM(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	im, _, _, err := e.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{DemoAda}})
	if err != nil {
		t.Fatalf("OpenConversation: %v", err)
	}
	sum, err := e.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(fileBytes), FileSize: len(fileBytes), Filename: "report.csv",
		Title: "Weekly report", InitialComment: "Here is this week's report", Channel: im.ID,
	})
	if err != nil {
		t.Fatalf("UploadFileContext: %v", err)
	}
	if !strings.HasPrefix(sum.ID, "F") || sum.Title != "Weekly report" {
		t.Errorf("UploadFileContext = %+v, want an F… id and the title", sum)
	}

	files, err := e.ctl.Files(ctx, im.ID)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if len(files) != 1 {
		t.Fatalf("Files(%s) = %d files, want 1", im.ID, len(files))
	}
	f := files[0]
	if f.ID != sum.ID || f.Name != "report.csv" || f.Title != "Weekly report" || f.Size != len(fileBytes) ||
		f.Channel != im.ID || f.TS == "" || f.User != e.srv.cfg.BotUserID {
		t.Errorf("file = id %q name %q title %q size %d channel %q ts %q user %q", f.ID, f.Name, f.Title, f.Size, f.Channel, f.TS, f.User)
	}
	if !bytes.Equal(f.Content, fileBytes) {
		t.Errorf("file content differs: got %d bytes %q…, want %d bytes", len(f.Content), head(f.Content), len(fileBytes))
	}
	// The person's id means their DM, as for Messages.
	if byUser, err := e.ctl.Files(ctx, DemoAda); err != nil || len(byUser) != 1 || byUser[0].ID != sum.ID {
		t.Errorf("Files(%s) = %s, %v", DemoAda, describeFiles(byUser), err)
	}

	msgs, err := e.ctl.Messages(ctx, im.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want the file share alone", len(msgs))
	}
	m := msgs[0]
	if m.BotID != e.srv.cfg.BotID || m.User != e.srv.cfg.BotUserID || m.Text != "Here is this week's report" || m.TS != f.TS {
		t.Errorf("message = ts %q user %q bot %q text %q, want the bot's %q at %s", m.TS, m.User, m.BotID, m.Text, "Here is this week's report", f.TS)
	}
	if len(m.Files) != 1 || m.Files[0].ID != sum.ID || m.Files[0].Title != "Weekly report" || !bytes.Equal(m.Files[0].Content, fileBytes) {
		t.Errorf("message files = %s", describeFiles(m.Files))
	}

	// The bot sees the file in history and can download it with slack-go.
	h, err := e.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: im.ID})
	if err != nil || len(h.Messages) != 1 || len(h.Messages[0].Files) != 1 {
		t.Fatalf("history: %v, want one message with one file", err)
	}
	hf := h.Messages[0].Files[0]
	if hf.ID != sum.ID || hf.Name != "report.csv" || hf.Title != "Weekly report" || hf.Size != len(fileBytes) || hf.Mimetype == "" {
		t.Errorf("history file = id %q name %q title %q size %d mimetype %q", hf.ID, hf.Name, hf.Title, hf.Size, hf.Mimetype)
	}
	var buf bytes.Buffer
	if err := e.api.GetFileContext(ctx, hf.URLPrivateDownload, &buf); err != nil || !bytes.Equal(buf.Bytes(), fileBytes) {
		t.Errorf("GetFile(%s) = %d bytes, %v", hf.URLPrivateDownload, buf.Len(), err)
	}

	// The download endpoint the sandbox page links to.
	resp, err := http.Get(e.srv.URL() + "/control/files/" + url.PathEscape(sum.ID) + "/download")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, fileBytes) || params["filename"] != "report.csv" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d, %d bytes, Content-Disposition %q", resp.StatusCode, len(body), resp.Header.Get("Content-Disposition"))
	}
	if resp, err := http.Get(e.srv.URL() + "/control/files/F0NOPE/download"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("download of an unknown file: %v %v, want 404", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}

	calls, _ := e.ctl.Calls(ctx, "files.completeUploadExternal")
	if len(calls) != 1 || !calls[0].OK || calls[0].Channel != im.ID {
		t.Errorf("call log = %+v", calls)
	}
}

// TestUploadRawBodyIntoThread does the three steps by hand, sending the
// bytes as a raw body, and shares the file as a thread reply in a channel.
func TestUploadRawBodyIntoThread(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)
	ch, err := e.ctl.CreateChannel(ctx, NewChannel{Name: "reports", Members: []string{DemoAda}})
	if err != nil {
		t.Fatal(err)
	}
	_, parent, err := e.api.PostMessageContext(ctx, ch.ID, slack.MsgOptionText("This week", false))
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "notes.txt", FileSize: len(fileBytes)})
	if err != nil {
		t.Fatalf("GetUploadURLExternal: %v", err)
	}
	if !strings.HasPrefix(u.UploadURL, e.srv.URL()+"/") || u.FileID == "" {
		t.Fatalf("upload URL %q, file %q: want a URL on the emulator", u.UploadURL, u.FileID)
	}
	resp, err := http.Post(u.UploadURL, "application/octet-stream", bytes.NewReader(fileBytes))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "OK") {
		t.Fatalf("raw upload: %d %s", resp.StatusCode, body)
	}
	// A wrong secret is not an upload URL.
	if resp, err := http.Post(u.UploadURL[:len(u.UploadURL)-3]+"xyz", "text/plain", strings.NewReader("evil")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("upload to a wrong secret: %v, %v; want 404", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	done, err := e.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
		Files: []slack.FileSummary{{ID: u.FileID}}, Channel: ch.ID, ThreadTimestamp: parent,
	})
	if err != nil {
		t.Fatalf("CompleteUploadExternal: %v", err)
	}
	if len(done.Files) != 1 || done.Files[0].ID != u.FileID || done.Files[0].Title != "notes.txt" {
		t.Errorf("completed files = %+v, want the id and the filename as title", done.Files)
	}
	msgs, err := e.ctl.Messages(ctx, ch.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	last := msgs[len(msgs)-1]
	if last.ThreadTS != parent || len(last.Files) != 1 || last.Files[0].Name != "notes.txt" || !bytes.Equal(last.Files[0].Content, fileBytes) {
		t.Errorf("thread reply = thread_ts %q (want %s), files %s", last.ThreadTS, parent, describeFiles(last.Files))
	}
	// The upload URL is spent, and the id cannot be completed twice.
	if resp, err := http.Post(u.UploadURL, "text/plain", strings.NewReader("again")); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("upload after completion: %v, %v; want 404", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	_, err = e.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: u.FileID}}, Channel: ch.ID})
	if slackErr(err) != "file_not_found" {
		t.Errorf("second completion: %v, want file_not_found", err)
	}
	if files, _ := e.ctl.Files(ctx, ch.ID); len(files) != 1 {
		t.Errorf("channel files = %s, want 1", describeFiles(files))
	}
}

// apiForm calls a Web API method with form arguments and returns its
// error code ("" when ok).
func apiForm(t *testing.T, e *testEnv, method string, form url.Values) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.APIURL()+method, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+e.srv.cfg.BotToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: decode: %v", method, err)
	}
	if out.OK != (out.Error == "") {
		t.Errorf("%s: ok %v with error %q", method, out.OK, out.Error)
	}
	return out.Error
}

func TestUploadErrors(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := testCtx(t)

	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no filename", url.Values{"length": {"3"}}, "invalid_arguments"},
		{"no length", url.Values{"filename": {"a.txt"}}, "invalid_arguments"},
		{"no arguments", url.Values{}, "invalid_arguments"},
		{"length not a number", url.Values{"filename": {"a.txt"}, "length": {"three"}}, "invalid_arguments"},
		{"zero length", url.Values{"filename": {"a.txt"}, "length": {"0"}}, "missing_argument"},
		{"ok", url.Values{"filename": {"a.txt"}, "length": {"3"}}, ""},
	} {
		if got := apiForm(t, e, "files.getUploadURLExternal", tt.form); got != tt.want {
			t.Errorf("getUploadURLExternal %s: error %q, want %q", tt.name, got, tt.want)
		}
	}

	// An id that was handed out but never uploaded, and one never handed out.
	pending, err := e.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "late.txt", FileSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{pending.FileID, "F0NEVER"} {
		_, err := e.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: id}}, Channel: DemoTeam})
		if slackErr(err) != "file_not_found" {
			t.Errorf("complete %s: %v, want file_not_found", id, err)
		}
	}
	if got := apiForm(t, e, "files.completeUploadExternal", url.Values{"channel_id": {DemoTeam}}); got != "invalid_arguments" {
		t.Errorf("complete without files: %q, want invalid_arguments", got)
	}
	if got := apiForm(t, e, "files.completeUploadExternal", url.Values{"files": {"not json"}, "channel_id": {DemoTeam}}); got != "invalid_arguments" {
		t.Errorf("complete with bad files: %q, want invalid_arguments", got)
	}
	if got := apiForm(t, e, "files.completeUploadExternal", url.Values{"files": {"[]"}, "channel_id": {DemoTeam}}); got != "invalid_arguments" {
		t.Errorf("complete with no files: %q, want invalid_arguments", got)
	}

	// Unknown channel, and a channel the bot is not in.
	if _, err := e.ctl.CreateChannel(ctx, NewChannel{Name: "quiet", Members: []string{DemoAda}, WithoutBot: true}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ channel, want string }{{"C0NOPE", "channel_not_found"}, {"#quiet", "not_in_channel"}} {
		_, err := e.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Content: "hello", FileSize: 5, Filename: "hello.txt", Channel: tt.channel,
		})
		if slackErr(err) != tt.want {
			t.Errorf("upload to %s: %v, want %s", tt.channel, err, tt.want)
		}
	}
	// A failed share shares nothing, anywhere.
	for _, ch := range []string{DemoTeam, "#quiet"} {
		msgs, err := e.ctl.Messages(ctx, ch, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if len(m.Files) > 0 {
				t.Errorf("%s has a file after failed uploads: %s", ch, describeFiles(m.Files))
			}
		}
	}
	if _, err := e.ctl.Files(ctx, "C0NOPE"); err == nil {
		t.Error("Files of an unknown conversation: no error")
	}
}

// describeFiles lists files without their content.
func describeFiles(files []File) string {
	var parts []string
	for _, f := range files {
		parts = append(parts, fmt.Sprintf("{%s %q %q %d bytes in %s at %s}", f.ID, f.Name, f.Title, len(f.Content), f.Channel, f.TS))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func head(b []byte) []byte {
	if len(b) > 16 {
		return b[:16]
	}
	return b
}
