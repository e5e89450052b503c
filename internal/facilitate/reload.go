package facilitate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/baraza/baraza/bot"
	"github.com/baraza/baraza/dialogs"
)

// ErrMeaningChanged is wrapped by the error Reload returns when a new
// version would change what existing counts mean.
var ErrMeaningChanged = errors.New("facilitate: a new script version changes the meaning of counted answers")

// CountersFunc reads a consultation's raw counters (store.Store.Counters).
type CountersFunc func(ctx context.Context, consultation string) (map[string]int64, error)

// Reloader re-reads the scripts folder into the catalog.
//
// The folder is one release: a reload either swaps in every script of the
// folder at once or changes nothing. It changes nothing when a file does
// not load or validate (the error lists the validator's findings, each with
// file, line, offending text and hint), or when a consultation that has
// started collecting responses (it has any counter at all: someone started
// or declined) would change the meaning of what was counted. Counters are
// keyed by question and option ids, so once collection has started:
//
//   - an option may not be removed, and its label in the default language
//     may not change beyond case, spacing and punctuation;
//   - a question may not be removed or change its type;
//   - the consultation itself may not be removed (close it instead: its
//     results stay readable).
//
// New questions, new options, new languages and reworded question texts
// are fine. To ask something different, use a new option or question id,
// or a new consultation id.
//
// Sessions in progress continue: the router checks each session against
// the script it finds at its next step.
type Reloader struct {
	dir      string
	fsys     fs.FS
	catalog  *bot.Catalog
	counters CountersFunc
	log      *slog.Logger

	mu    sync.Mutex // one reload at a time
	stamp string     // fingerprint of the files last read
}

// NewReloader returns a Reloader of the folder dir into catalog. Build it
// right after loading catalog from dir: Watch reloads when the files differ
// from what they were then. counters reads a consultation's raw counters
// (store.Store.Counters); logger may be nil.
func NewReloader(dir string, catalog *bot.Catalog, counters CountersFunc, logger *slog.Logger) *Reloader {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{dir: dir, fsys: os.DirFS(dir), catalog: catalog, counters: counters,
		log: logger.With("component", "reload")}
	// What is running was loaded from the folder as it is now; when the
	// folder cannot be read, Watch reloads at its first look.
	r.stamp, _ = r.fingerprint()
	return r
}

// Reload reads the folder again and, when every script in it is valid and
// no meaning changes, replaces the catalog's scripts. Otherwise the catalog
// is unchanged and the error says why: it wraps the loader's
// dialogs.ValidationErrors (errors.As finds them) or ErrMeaningChanged with
// a dialogs.ValidationErrors describing each change.
func (r *Reloader) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	stamp, err := r.fingerprint()
	if err != nil {
		return err
	}
	r.stamp = stamp
	return r.reload(ctx)
}

func (r *Reloader) reload(ctx context.Context) error {
	scripts, err := dialogs.LoadFS(r.fsys)
	if err != nil {
		r.log.Warn("scripts refused", "dir", r.dir, "err", err)
		return fmt.Errorf("facilitate: reload %s: the running scripts are unchanged: %w", r.dir, err)
	}
	if len(scripts) == 0 {
		err := fmt.Errorf("facilitate: reload %s: no script found; the running scripts are unchanged", r.dir)
		r.log.Warn("scripts refused", "dir", r.dir, "err", err)
		return err
	}
	if err := r.checkMeaning(ctx, scripts); err != nil {
		r.log.Warn("scripts refused", "dir", r.dir, "err", err)
		return fmt.Errorf("facilitate: reload %s: the running scripts are unchanged: %w", r.dir, err)
	}
	r.catalog.Replace(scripts)
	r.log.Info("scripts reloaded", "dir", r.dir, "scripts", len(scripts))
	return nil
}

// meaningError joins ErrMeaningChanged and the changes found.
type meaningError struct{ changes dialogs.ValidationErrors }

func (e *meaningError) Error() string {
	return "counted answers would change meaning (counts are kept by question and option id, " +
		"so keep each id's meaning once responses exist; use a new id for a new meaning):\n" + e.changes.Error()
}

func (e *meaningError) Unwrap() []error { return []error{ErrMeaningChanged, e.changes} }

// checkMeaning compares every running script with its new version and,
// where something counted would change meaning, reads the counters: the
// change is refused when the consultation has any counter at all. The
// refusal and its words are the same whatever the counts, so it tells an
// admin nothing a hidden count (1 to k-1 completed) would hide.
func (r *Reloader) checkMeaning(ctx context.Context, scripts []*dialogs.Script) error {
	byID := make(map[string]*dialogs.Script, len(scripts))
	for _, s := range scripts {
		byID[s.ID] = s
	}
	var all dialogs.ValidationErrors
	for _, old := range r.catalog.All() {
		changes := MeaningChanges(old, byID[old.ID])
		if len(changes) == 0 {
			continue
		}
		c, err := r.counters(ctx, old.ID)
		if err != nil {
			return fmt.Errorf("counters of %s: %w", old.ID, err)
		}
		if !anyCounted(c) {
			continue // nothing counted yet: any change is fine
		}
		for i := range changes {
			changes[i].Msg += " while " + old.ID + " has started collecting responses"
		}
		all = append(all, changes...)
	}
	if len(all) > 0 {
		return &meaningError{changes: all}
	}
	return nil
}

// anyCounted reports whether any counter of a consultation is above zero.
func anyCounted(c map[string]int64) bool {
	for _, n := range c {
		if n > 0 {
			return true
		}
	}
	return false
}

// MeaningChanges lists what in next would change the meaning of counts
// made under old: removed options or questions, option labels changed in
// old's default language (beyond case, spacing and punctuation), changed
// question types, and the script's removal (next nil). Each entry names
// next's file and line where there is one.
func MeaningChanges(old, next *dialogs.Script) dialogs.ValidationErrors {
	var out dialogs.ValidationErrors
	if next == nil {
		out = append(out, dialogs.ValidationError{File: old.File, Field: "id", Snippet: old.ID,
			Msg:  "consultation " + old.ID + " was removed",
			Hint: "put the script back and close the consultation instead; its results stay readable"})
		return out
	}
	lang := ""
	if len(old.Languages) > 0 {
		lang = old.Languages[0]
	}
	nextQ := make(map[string]int, len(next.Questions))
	for i := range next.Questions {
		nextQ[next.Questions[i].ID] = i
	}
	for _, oq := range old.Questions {
		i, ok := nextQ[oq.ID]
		if !ok {
			out = append(out, dialogs.ValidationError{File: next.File, Field: "questions", Snippet: oq.ID,
				Msg:  "question " + strconv.Quote(oq.ID) + " was removed",
				Hint: "keep the question; make it optional or move it if it should no longer be asked first"})
			continue
		}
		nq := &next.Questions[i]
		field := "questions[" + strconv.Itoa(i) + "]"
		if nq.Type != oq.Type {
			out = append(out, dialogs.ValidationError{File: next.File, Line: nq.Line, Field: field + ".type", Snippet: nq.Type,
				Msg:  "question " + strconv.Quote(oq.ID) + " changed type from " + oq.Type + " to " + nq.Type,
				Hint: "add a new question with a new id for the new type"})
			continue
		}
		nextOpt := make(map[string]int, len(nq.Options))
		for j, o := range nq.Options {
			nextOpt[o.ID] = j
		}
		for _, oo := range oq.Options {
			j, ok := nextOpt[oo.ID]
			if !ok {
				out = append(out, dialogs.ValidationError{File: next.File, Line: nq.Line, Field: field + ".options", Snippet: oo.ID,
					Msg:  "option " + strconv.Quote(oo.ID) + " of question " + strconv.Quote(oq.ID) + " was removed",
					Hint: "keep the option so its counts stay labelled"})
				continue
			}
			was, now := old.Text(oo.Label, lang), next.Text(nq.Options[j].Label, lang)
			if sameMeaning(was, now) {
				continue
			}
			out = append(out, dialogs.ValidationError{File: next.File, Line: nq.Line,
				Field: field + ".options[" + strconv.Itoa(j) + "].label", Snippet: now,
				Msg: "option " + strconv.Quote(oo.ID) + " of question " + strconv.Quote(oq.ID) +
					" changed its " + lang + " label from " + strconv.Quote(was),
				Hint: "keep the label, or give the new answer a new option id"})
		}
	}
	return out
}

// sameMeaning is true when two labels differ only in case, spacing or
// punctuation ("north " and "North." are the same answer).
func sameMeaning(a, b string) bool {
	norm := func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsPunct(r)
		}), " ")
	}
	return norm(a) == norm(b)
}

// Watch polls the folder every interval (default 2 s) and reloads when a
// script file was added, removed or changed (name, size, modification
// time). A refused version is logged and kept out until the files change
// again. Watch returns when ctx is done.
func (r *Reloader) Watch(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		r.poll(ctx)
	}
}

func (r *Reloader) poll(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.fingerprint()
	if err != nil {
		r.log.Warn("scripts folder unreadable", "dir", r.dir, "err", err)
		return
	}
	if st == r.stamp {
		return
	}
	r.stamp = st
	_ = r.reload(ctx) // reload logs its outcome; Watch has nobody to return it to
}

// fingerprint names every script file with its size and modification time.
func (r *Reloader) fingerprint() (string, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return "", fmt.Errorf("facilitate: read %s: %w", r.dir, err)
	}
	parts := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		lower := strings.ToLower(name)
		if e.IsDir() || strings.HasPrefix(name, ".") ||
			!(strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") || strings.HasSuffix(lower, ".xlsx")) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while listing
			}
			return "", fmt.Errorf("facilitate: stat %s: %w", name, err)
		}
		parts = append(parts, name+"\x00"+strconv.FormatInt(info.Size(), 10)+"\x00"+strconv.FormatInt(info.ModTime().UnixNano(), 10))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n"), nil
}

// Problems collects every dialogs.ValidationError in err's tree (a
// refused Reload joins one list per file; errors.As finds only the first),
// for an API or a CLI to show them all.
func Problems(err error) dialogs.ValidationErrors {
	var out dialogs.ValidationErrors
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case nil:
		case dialogs.ValidationErrors:
			out = append(out, x...)
		case dialogs.ValidationError:
			out = append(out, x)
		case *dialogs.ValidationError:
			out = append(out, *x)
		case interface{ Unwrap() []error }:
			for _, u := range x.Unwrap() {
				walk(u)
			}
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		}
	}
	walk(err)
	return out
}
