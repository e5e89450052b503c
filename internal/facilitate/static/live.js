// Live room view: listens to the server's events and redraws. Every number
// arrives already suppressed; a hidden count is null and shown as such.
(function () {
  "use strict";
  var body = document.body;
  var t = body.dataset;
  var waiting = document.getElementById("waiting");
  var questions = document.getElementById("questions");
  var total = document.getElementById("total");
  var note = document.getElementById("note");
  var next = document.getElementById("next");
  var done = false;
  var updates = 0;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fill(tmpl, n) { return tmpl.replace("%d", String(n)); }
  // A count as shown: "≈ 12" when the release has noise added (DP).
  var mode = "";
  function num(n) { return mode === "dp" ? fill(t.tNoisy, n) : String(n); }

  function render(s) {
    mode = s.mode || "";
    note.textContent = s.status === "closed" ? t.tClosed : "";
    // The next release: counts change only with one.
    // A DP consultation's releases follow a calendar: the time of the
    // next one, never a count of responses still needed.
    if (s.next_at) {
      var when = new Date(s.next_at);
      next.textContent = t.tNextAt.replace("%s", when.toLocaleString(document.documentElement.lang || undefined,
        { dateStyle: "medium", timeStyle: "short" }));
    } else if (s.on_close) {
      next.textContent = t.tOnClose;
    } else {
      next.textContent = (s.pending === undefined || s.pending === null) ? "" :
        (s.pending > 0 ? fill(t.tNext, s.pending) : t.tSoon);
    }
    if (!s.ready) {
      waiting.hidden = false;
      questions.replaceChildren();
      total.textContent = "";
      body.dataset.state = "waiting";
      return;
    }
    waiting.hidden = true;
    total.textContent = (s.completed === null || s.completed === undefined ? "" : fill(t.tResponses, num(s.completed)) + " · ") +
      fill(t.tRelease, s.release);
    var blocks = [];
    (s.questions || []).forEach(function (q) {
      var box = el("section", "question");
      box.dataset.question = q.id;
      box.appendChild(el("h2", "", q.text));
      box.appendChild(el("p", "answered", q.answered === null ? t.tHidden : fill(t.tAnswered, num(q.answered))));
      var max = 0;
      q.options.forEach(function (o) { if (o.count !== null && o.count > max) max = o.count; });
      q.options.forEach(function (o) {
        var row = el("div", "opt");
        row.dataset.option = o.id;
        row.appendChild(el("span", "label", o.label));
        var c = el("span", o.count === null ? "count hidden" : "count", o.count === null ? t.tHidden : num(o.count));
        row.appendChild(c);
        var track = el("div", "track");
        var pct = (o.count === null || max === 0) ? 0 : Math.round(o.count * 20 / max) * 5;
        track.appendChild(el("div", "bar w" + pct));
        row.appendChild(track);
        box.appendChild(row);
      });
      blocks.push(box);
    });
    questions.replaceChildren.apply(questions, blocks);
    body.dataset.state = "ready";
  }

  var es = new EventSource(t.events + location.search);
  es.addEventListener("summary", function (e) {
    note.textContent = "";
    try { render(JSON.parse(e.data)); } catch (err) { note.textContent = t.tReconnecting; }
    // How many updates were drawn: lets a test know the page is current.
    body.dataset.updates = String(++updates);
  });
  es.addEventListener("expired", function () {
    done = true;
    es.close();
    questions.replaceChildren();
    waiting.hidden = false;
    waiting.textContent = t.tExpired;
    body.dataset.state = "expired";
  });
  es.onerror = function () {
    if (done) return;
    if (es.readyState === EventSource.CLOSED) {
      // The server refused to reconnect: the link expired or access ended.
      questions.replaceChildren();
      waiting.hidden = false;
      waiting.textContent = t.tExpired;
      body.dataset.state = "expired";
    } else {
      note.textContent = t.tReconnecting;
    }
  };
})();
