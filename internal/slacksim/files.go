package slacksim

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// File uploads, the way slack-go's UploadFileContext does them:
//
//  1. files.getUploadURLExternal (filename, length) hands out a file id and
//     an upload URL on the emulator (/upload/v1/{id}/{secret}).
//  2. The client POSTs the bytes there, raw or as a multipart form.
//  3. files.completeUploadExternal (files=[{id,title}], channel_id or
//     channels, initial_comment, thread_ts) shares the file: the bot posts a
//     message carrying it into each conversation.
//
// GET /control/files/{id}/download serves a file's bytes; it is also the
// url_private the Web API reports, and it asks for no token (the emulator
// only listens on loopback).

// maxFileBytes is the largest file the emulator accepts. Slack's limit is
// 1 GB; the emulator keeps files in memory and in its state file.
const maxFileBytes = 10 << 20

// upload is a file between files.getUploadURLExternal and its sharing.
// Guarded by Server.mu.
type upload struct {
	ID        string
	Name      string
	Length    int // as announced to getUploadURLExternal
	Secret    string
	Content   []byte
	Uploaded  bool
	Completed bool // completed without being shared into a conversation
	User      string
	Created   int64
	URL       string // url_private
}

// sharedFile is a file as it hangs off a message in a conversation.
type sharedFile struct {
	ID      string
	Name    string
	Title   string
	Size    int
	Content []byte
	User    string
	Created int64
	URL     string // url_private, on the emulator
}

// File is a file the bot shared into a conversation, as the control API
// shows it (GET /control/conversations/{channel}/files and Message.Files).
type File struct {
	// ID is the file id handed out by files.getUploadURLExternal.
	ID string `json:"id"`
	// Name is the filename given to files.getUploadURLExternal.
	Name string `json:"name"`
	// Title is the title given to files.completeUploadExternal, or Name.
	Title string `json:"title"`
	// Size is the number of bytes uploaded.
	Size int `json:"size"`
	// Content is the bytes uploaded.
	Content []byte `json:"content"`
	// Channel and TS identify the message that carries the file.
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// User is who shared it: the bot user.
	User string `json:"user"`
}

func (s *Server) fileRoutes() {
	s.mux.HandleFunc("POST /upload/v1/{id}/{secret}", s.serveUpload)
	s.mux.HandleFunc("GET /control/files/{id}/download", s.serveFileDownload)
}

func (s *Server) filesGetUploadURLExternal(c *apiCall) (map[string]any, *apiError) {
	name := c.a.str("filename")
	lengthArg := c.a.str("length")
	var missing []string
	if strings.TrimSpace(name) == "" {
		missing = append(missing, "[ERROR] missing required field: filename")
	}
	if lengthArg == "" {
		missing = append(missing, "[ERROR] missing required field: length")
	}
	if len(missing) > 0 {
		return nil, fail("invalid_arguments", missing...)
	}
	length, err := strconv.Atoi(lengthArg)
	switch {
	case err != nil || length < 0:
		return nil, fail("invalid_arguments", "[ERROR] length must be a positive integer")
	case length == 0:
		// Slack: "Typically only occurs when the length provided is 0."
		return nil, fail("missing_argument")
	case length > maxFileBytes:
		return nil, fail("file_upload_size_restricted")
	}
	base := s.baseURL(c.r)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.ws.nextID("F")
	u := &upload{
		ID: id, Name: path.Base(strings.ReplaceAll(name, `\`, "/")), Length: length, Secret: rand.Text(),
		User: s.cfg.BotUserID, Created: c.now.Unix(),
		URL: base + "/control/files/" + url.PathEscape(id) + "/download",
	}
	if u.Name == "/" || u.Name == "." {
		u.Name = name
	}
	s.ws.uploads[id] = u
	return map[string]any{
		"upload_url": base + "/upload/v1/" + url.PathEscape(id) + "/" + url.PathEscape(u.Secret),
		"file_id":    id,
	}, nil
}

// serveUpload takes a file's bytes at its upload URL: a multipart form (the
// first part with a filename, else the part named "file"), or the raw body.
// It answers like Slack: 200 "OK - <size>".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id, secret := r.PathValue("id"), r.PathValue("secret")
	s.mu.Lock()
	u, ok := s.ws.uploads[id]
	valid := ok && !u.Completed && subtle.ConstantTimeCompare([]byte(u.Secret), []byte(secret)) == 1
	s.mu.Unlock()
	if !valid {
		http.Error(w, "upload URL not found or already used", http.StatusNotFound)
		return
	}
	content, err := readUpload(r)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("file larger than %d bytes", maxFileBytes), http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	if u.Completed {
		s.mu.Unlock()
		http.Error(w, "upload URL not found or already used", http.StatusNotFound)
		return
	}
	u.Content, u.Uploaded = content, true
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = fmt.Fprintf(w, "OK - %d", len(content))
}

func readUpload(r *http.Request) ([]byte, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFileBytes+1<<20) // room for multipart framing
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		b, err := io.ReadAll(r.Body)
		if err == nil && len(b) > maxFileBytes {
			err = &http.MaxBytesError{Limit: maxFileBytes}
		}
		return b, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, fmt.Errorf("bad multipart body: %w", err)
	}
	var named []byte
	haveNamed := false
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bad multipart body: %w", err)
		}
		isFile := p.FileName() != ""
		if !isFile && (p.FormName() != "file" || haveNamed) {
			continue
		}
		b, err := readPart(p)
		if err != nil {
			return nil, err
		}
		if isFile {
			return b, nil
		}
		named, haveNamed = b, true
	}
	if !haveNamed {
		return nil, errors.New("multipart body has no file part")
	}
	return named, nil
}

func readPart(p *multipart.Part) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(p, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read file part: %w", err)
	}
	if len(b) > maxFileBytes {
		return nil, &http.MaxBytesError{Limit: maxFileBytes}
	}
	return b, nil
}

func (s *Server) filesCompleteUploadExternal(c *apiCall) (map[string]any, *apiError) {
	raw, ok := c.a.json("files")
	if !ok {
		return nil, fail("invalid_arguments", "[ERROR] missing required field: files")
	}
	var want []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		return nil, fail("invalid_arguments", "[ERROR] files must be an array of {id, title} objects")
	}
	if len(want) == 0 {
		return nil, fail("invalid_arguments", "[ERROR] files must not be empty")
	}
	for _, f := range want {
		if f.ID == "" {
			return nil, fail("invalid_arguments", "[ERROR] missing required field: files[].id")
		}
	}
	var chans []string
	if ch := strings.TrimSpace(c.a.str("channel_id")); ch != "" {
		chans = append(chans, ch)
	}
	for ch := range strings.SplitSeq(c.a.str("channels"), ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			chans = append(chans, ch)
		}
	}
	// initial_comment wins over blocks, as on Slack.
	body := args{vals: map[string]string{}, raw: map[string]json.RawMessage{}}
	if t, ok := c.a.vals["initial_comment"]; ok && t != "" {
		body.vals["text"] = t
	} else if b, ok := c.a.json("blocks"); ok {
		body.raw["blocks"] = b
	}

	s.mu.Lock()
	ups := make([]*upload, len(want))
	for i, f := range want {
		u := s.ws.uploads[f.ID]
		if u == nil || !u.Uploaded || u.Completed {
			s.mu.Unlock()
			return nil, fail("file_not_found")
		}
		ups[i] = u
	}
	var convs []*conversation
	for _, ch := range chans {
		conv, aerr := s.postable(c, ch)
		if aerr != nil {
			s.mu.Unlock()
			return nil, aerr
		}
		convs = append(convs, conv)
	}
	content, aerr := s.ws.parseContent(body)
	if aerr != nil {
		s.mu.Unlock()
		return nil, aerr
	}
	files := make([]sharedFile, len(want))
	out := make([]any, len(want))
	for i, u := range ups {
		title := want[i].Title
		if title == "" {
			title = u.Name
		}
		files[i] = sharedFile{
			ID: u.ID, Name: u.Name, Title: title, Size: len(u.Content), Content: u.Content,
			User: u.User, Created: u.Created, URL: u.URL,
		}
		out[i] = fileJSON(&files[i])
		if len(convs) == 0 {
			u.Completed = true // private: kept for download only
		} else {
			delete(s.ws.uploads, u.ID) // now lives on its messages
		}
	}
	var echoes []map[string]any
	for _, conv := range convs {
		m := &message{
			TS: s.ws.newTS(c.now), User: s.cfg.BotUserID, BotID: s.cfg.BotID,
			Text: content.text, Blocks: content.blocks, Files: files,
		}
		if tts := c.a.str("thread_ts"); tts != "" {
			m.ThreadTS = tts
			if _, parent := conv.find(tts); parent != nil && parent.ThreadTS != "" {
				m.ThreadTS = parent.ThreadTS
			}
		}
		conv.Messages = append(conv.Messages, m)
		if conv.Kind == "im" {
			ev := s.ws.messageEvent(conv, m)
			ev["subtype"] = "file_share"
			echoes = append(echoes, ev)
		}
	}
	s.mu.Unlock()
	for _, ev := range echoes {
		s.emitEvent(ev)
	}
	return map[string]any{"files": out}, nil
}

// fileJSON renders f as Slack's API shows a file object.
func fileJSON(f *sharedFile) map[string]any {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(f.Name), "."))
	mt := mime.TypeByExtension(path.Ext(f.Name))
	if mt == "" {
		mt = "application/octet-stream"
	}
	filetype := ext
	if filetype == "" {
		filetype = "binary"
	}
	return map[string]any{
		"id": f.ID, "created": f.Created, "timestamp": f.Created, "name": f.Name, "title": f.Title,
		"mimetype": mt, "filetype": filetype, "pretty_type": strings.ToUpper(filetype), "user": f.User,
		"editable": false, "size": f.Size, "mode": "hosted", "is_external": false, "external_type": "",
		"is_public": false, "public_url_shared": false, "display_as_bot": false, "username": "",
		"url_private": f.URL, "url_private_download": f.URL, "file_access": "visible",
	}
}

// controlFiles renders m's files for the control API.
func controlFiles(channel string, m *message) []File {
	if len(m.Files) == 0 {
		return nil
	}
	out := make([]File, len(m.Files))
	for i, f := range m.Files {
		out[i] = File{
			ID: f.ID, Name: f.Name, Title: f.Title, Size: f.Size, Content: f.Content,
			Channel: channel, TS: m.TS, User: f.User,
		}
	}
	return out
}

// ctlFiles lists the files shared into a conversation, oldest first.
func (s *Server) ctlFiles(r *http.Request) (any, error) {
	now := s.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ws.resolveChannel(r.PathValue("id"), now)
	if c == nil {
		return nil, bad("no conversation %q", r.PathValue("id"))
	}
	out := []File{}
	for _, m := range c.Messages {
		out = append(out, controlFiles(c.ID, m)...)
	}
	return map[string]any{"channel": c.ID, "files": out}, nil
}

// findFile returns the file with the given id, shared or not. Call with
// s.mu held.
func (w *workspace) findFile(id string) (name string, content []byte, ok bool) {
	for _, cid := range w.sortedConvIDs() {
		for _, m := range w.convs[cid].Messages {
			for _, f := range m.Files {
				if f.ID == id {
					return f.Name, f.Content, true
				}
			}
		}
	}
	if u := w.uploads[id]; u != nil && u.Completed {
		return u.Name, u.Content, true
	}
	return "", nil, false
}

// serveFileDownload serves a shared file's bytes as an attachment.
func (s *Server) serveFileDownload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	name, content, ok := s.ws.findFile(r.PathValue("id"))
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no file %q", r.PathValue("id"))})
		return
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	cd := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if cd == "" {
		cd = "attachment"
	}
	w.Header().Set("Content-Disposition", cd)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(content))
}
