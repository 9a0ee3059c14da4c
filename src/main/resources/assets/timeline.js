// The deployment page's timeline: bars for Rhone's phases and BuildKit's steps on one time axis.
// The server renders it; this script moves the bars as `step` and `phases` events arrive on the log
// stream (deployment.js hands them over), reads the whole timeline again when the build ends or
// its steps were reset (deleted), and shows a step's lines when it is clicked. The axis starts at
// the claim: the wait in the queue is a figure in the summary, not a bar. Text only ever goes in through textContent; positions are SVG
// attributes (the pages' policy allows no style attributes).
(function () {
  "use strict";
  var R = window.Rhone;
  var section = document.getElementById("timeline");
  if (!section) return;
  var SVG = "http://www.w3.org/2000/svg";
  var SLOWEST = 3;
  var phases = document.getElementById("tl-phases");
  var steps = document.getElementById("tl-steps");
  var axis = section.querySelector(".tl-axis svg");
  var detail = document.getElementById("step-detail");
  var attempt = Number(section.dataset.attempt) || 0;
  var scheduled = false;
  // The wait in the queue (ms), shown in the summary; the latest reset point the stream announced.
  var queued = section.dataset.queued ? Number(section.dataset.queued) : null;
  var resetPoint = 0, resetting = false;
  // Once the build ended, bars without an end stop growing: they ran until then.
  var endedAt = section.dataset.finished === "true" ? Number(section.dataset.axisEnd) || R.now() : 0;

  function rows(list) { return Array.prototype.slice.call((list || section).querySelectorAll("li.tl-row")); }

  function percent(v) { return Math.max(0, Math.min(100, v)).toFixed(2) + "%"; }

  function tickLabel(ms) {
    if (ms === 0) return "0";
    if (ms < 1000) return ms + " ms";
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + " s";
    if (s >= 3600) {
      var min = Math.floor(s / 60) % 60;
      return Math.floor(s / 3600) + " h" + (min ? " " + min + " min" : "");
    }
    return s % 60 === 0 ? Math.floor(s / 60) + " min" : Math.floor(s / 60) + " min " + (s % 60) + " s";
  }
  var TICKS = [100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000, 900000,
    1800000, 3600000, 7200000];

  function drawAxis(span) {
    var step = TICKS[TICKS.length - 1];
    for (var i = 0; i < TICKS.length; i++) { if (span / TICKS[i] <= 8) { step = TICKS[i]; break; } }
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    for (var at = 0; at <= span; at += step) {
      var x = percent(at * 100 / span);
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", x); line.setAttribute("x2", x); line.setAttribute("y1", "11"); line.setAttribute("y2", "16");
      var text = document.createElementNS(SVG, "text");
      text.setAttribute("x", x); text.setAttribute("y", "10");
      text.textContent = tickLabel(at);
      axis.appendChild(line); axis.appendChild(text);
    }
  }

  // The three longest finished steps that ran (not cached, not BuildKit's own) are emphasised.
  function markSlowest(all) {
    var ran = all.filter(function (r) {
      return !r.classList.contains("cached") && !r.classList.contains("internal") && Number(r.dataset.duration) > 0;
    });
    ran.sort(function (a, b) { return Number(b.dataset.duration) - Number(a.dataset.duration); });
    all.forEach(function (r) { r.classList.remove("slow"); });
    ran.slice(0, SLOWEST).forEach(function (r) { r.classList.add("slow"); });
  }

  function summary() {
    var counted = 0, cached = 0, parts = [];
    rows(steps).forEach(function (r) {
      if (r.classList.contains("internal")) return;
      counted++;
      if (r.classList.contains("cached")) cached++;
    });
    if (counted > 0) parts.push(cached + " of " + counted + (counted === 1 ? " step" : " steps") + " cached");
    ["build", "push"].forEach(function (name) {
      var row = phases.querySelector("li[data-key='phase-" + name + "']");
      if (row && row.dataset.duration) parts.push(name + " " + R.duration(Number(row.dataset.duration)));
    });
    if (queued != null) parts.push("queued " + waited(queued));
    document.getElementById("timeline-summary").textContent = parts.join(" \u00b7 ");
  }

  // A wait, as TimelineView.waited writes it: "3 min 12 s", "5 h 20 min", "2 d 3 h".
  function waited(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 60) return R.duration(ms);
    var hours = Math.floor(minutes / 60);
    return hours < 24 ? hours + " h " + (minutes % 60) + " min" : Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  // Every bar again on the axis that now spans them all (a running bar reaches to now).
  function rescale() {
    scheduled = false;
    var all = rows(), now = endedAt || R.now(), start = Infinity, end = -Infinity;
    all.forEach(function (r) {
      var s = Number(r.dataset.start), e = Number(r.dataset.end) || now;
      if (s < start) start = s;
      if (e > end) end = e;
    });
    document.getElementById("timeline-empty").hidden = all.length > 0;
    if (!all.length) return;
    end = Math.max(end, start + 1000);
    var span = end - start;
    all.forEach(function (r) {
      var s = Number(r.dataset.start), e = Math.max(s, Number(r.dataset.end) || end);
      var x = (s - start) * 100 / span, w = Math.max(0.2, (e - s) * 100 / span);
      var rect = r.querySelector("rect");
      rect.setAttribute("x", percent(x));
      rect.setAttribute("width", percent(Math.min(w, 100 - x)));
    });
    drawAxis(span);
    markSlowest(rows(steps));
    summary();
  }

  function later() {
    if (scheduled) return;
    scheduled = true;
    setTimeout(rescale, 30);
  }

  function ms(iso) { return iso ? Date.parse(iso) : 0; }

  // A row as the template writes it (deployment.ftlh's bar macro).
  function newRow(key, clickable) {
    var li = document.createElement("li");
    li.dataset.key = key;
    var name = document.createElement(clickable ? "button" : "span");
    if (clickable) name.type = "button";
    name.className = "tl-name";
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("class", "tl-bar");
    svg.setAttribute("width", "100%");
    svg.setAttribute("height", "14");
    var rect = document.createElementNS(SVG, "rect");
    rect.setAttribute("y", "1");
    rect.setAttribute("height", "12");
    svg.appendChild(rect);
    var dur = document.createElement("span");
    dur.className = "tl-dur";
    li.appendChild(name); li.appendChild(svg); li.appendChild(dur);
    return li;
  }

  function setDuration(li, durationMs, cached) {
    var dur = li.querySelector(".tl-dur");
    dur.textContent = durationMs != null && !cached ? R.duration(durationMs) : "";
    if (cached) {
      var tag = document.createElement("span");
      tag.className = "tl-tag";
      tag.textContent = "cached";
      dur.appendChild(document.createTextNode(" "));
      dur.appendChild(tag);
    }
    if (durationMs != null) li.dataset.duration = String(durationMs); else delete li.dataset.duration;
  }

  // Inserted where its vertex number puts it.
  function place(li, vertex) {
    var after = null;
    rows(steps).some(function (r) {
      if (Number(r.dataset.vertex) > vertex) { after = r; return true; }
      return false;
    });
    steps.insertBefore(li, after);
  }

  function showFailure(s) {
    document.getElementById("error-step-name").textContent = s.name;
    document.getElementById("error-step-lines").textContent = (s.last_lines || []).join("\n");
    document.getElementById("error-step").hidden = false;
  }

  // The failed step's lines under the error sentence, or nothing when no step shown failed.
  function syncFailure() {
    var failed = steps.querySelector("li.tl-row[data-status='error']");
    if (failed) {
      showFailure({ name: failed.querySelector(".tl-name").textContent,
        last_lines: failed.dataset.lastLines ? failed.dataset.lastLines.split("\n") : [] });
    } else {
      document.getElementById("error-step").hidden = true;
    }
  }

  function clearSteps() {
    rows(steps).forEach(function (r) { steps.removeChild(r); });
    document.getElementById("error-step").hidden = true;
    detail.hidden = true;
  }

  // One step as the stream or the /steps answer carries it (Timeline.Step's JSON).
  function step(s) {
    if (s.attempt < attempt) return; // an earlier claim's step, arriving late
    if (s.attempt > attempt) { // the build was claimed again: its steps start over
      attempt = s.attempt;
      clearSteps();
    }
    var key = "step-" + s.vertex;
    var li = steps.querySelector("li[data-key='" + key + "']");
    // An older state of the step (a /steps answer read before the stream's last change) is dropped.
    if (li && Number(li.dataset.seq) > (s.change_seq || 0)) return;
    if (!li) {
      li = newRow(key, true);
      place(li, s.vertex);
    }
    var classes = ["tl-row", "step", s.status];
    if (s.cached) classes.push("cached");
    if (s.internal) classes.push("internal");
    if (li.classList.contains("slow")) classes.push("slow");
    if (li.classList.contains("selected")) classes.push("selected");
    li.className = classes.join(" ");
    li.dataset.vertex = String(s.vertex);
    li.dataset.status = s.status;
    li.dataset.stage = s.stage || "";
    li.dataset.start = String(ms(s.started_at));
    li.dataset.end = String(ms(s.ended_at));
    li.dataset.error = s.error || "";
    li.dataset.lastLines = (s.last_lines || []).join("\n");
    li.dataset.lineCount = String(s.line_count || 0);
    li.dataset.seq = String(s.change_seq || 0);
    if (s.exit_code != null) li.dataset.exitCode = String(s.exit_code); else delete li.dataset.exitCode;
    var name = li.querySelector(".tl-name");
    name.textContent = s.name;
    name.title = s.name;
    setDuration(li, s.duration_ms, s.cached);
    if (s.status === "error") showFailure(s); else if (li.dataset.wasError) syncFailure();
    if (s.status === "error") li.dataset.wasError = "1"; else delete li.dataset.wasError;
    if (li.classList.contains("selected")) show(li);
    section.hidden = false;
    later();
  }

  function phase(p) {
    if (p.phase === "queued") { // a figure in the summary, not a bar (the axis starts at the claim)
      queued = p.duration_ms != null ? p.duration_ms : null;
      return;
    }
    var key = "phase-" + p.phase;
    var li = phases.querySelector("li[data-key='" + key + "']");
    if (!li) {
      li = newRow(key, false);
      phases.appendChild(li);
    }
    li.className = "tl-row phase " + (p.ended_at ? "done" : "running");
    li.dataset.start = String(ms(p.started_at));
    li.dataset.end = String(ms(p.ended_at));
    li.querySelector(".tl-name").textContent = p.phase;
    setDuration(li, p.duration_ms, false);
  }

  // The phases, in full: rows the list does not have go (their attempt was deleted).
  function setPhases(list) {
    var keep = {};
    queued = null;
    list.forEach(function (p) { keep["phase-" + p.phase] = true; phase(p); });
    rows(phases).forEach(function (r) { if (!keep[r.dataset.key]) phases.removeChild(r); });
    if (list.length) section.hidden = false;
    later();
  }

  // A `phases` event: the latest attempt's phases as the server read them.
  function phasesEvent(d) {
    if (d.phases.length && d.attempt < attempt && !resetting) return; // an earlier claim's, late
    if (d.attempt > attempt) {
      attempt = d.attempt;
      clearSteps();
    }
    setPhases(d.phases);
  }

  // A `reset` event: steps this page shows may have been deleted. Read them all again; whatever
  // the answer does not have (and the stream did not send after the reset) goes.
  function reset(d) {
    resetPoint = Math.max(resetPoint, Number(d && d.change) || 0);
    resetting = true;
    return refresh();
  }

  // The whole timeline as the server has it now, reconciled with the page: rows missing from the
  // answer go, unless the stream sent them after the answer was read (a newer change than any in
  // it and than the last reset point).
  function refresh() {
    return fetch(section.dataset.steps, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (t) {
        var wasReset = resetting;
        resetting = false;
        if (t.attempt < attempt && !wasReset) return;
        if (t.attempt !== attempt) { // claimed again (or, after a reset, that claim's rows are gone)
          attempt = t.attempt;
          clearSteps();
        }
        setPhases(t.phases);
        var keep = {}, newest = 0;
        t.steps.forEach(function (s) {
          keep["step-" + s.vertex] = true;
          newest = Math.max(newest, s.change_seq || 0);
          step(s);
        });
        var bound = Math.max(newest, resetPoint);
        rows(steps).forEach(function (r) {
          if (!keep[r.dataset.key] && (Number(r.dataset.seq) <= bound || !t.steps.length)) {
            if (r.classList.contains("selected")) detail.hidden = true;
            steps.removeChild(r);
          }
        });
        syncFailure();
        // Shown once there is something to show: an empty box would only push the log down.
        if (t.phases.length || t.steps.length) section.hidden = false;
        later();
      })
      .catch(function () { /* the stream goes on; the next change reads again */ });
  }

  // ---- a step's lines: what was stored with it, and its lines among those the page loaded
  function show(li) {
    rows(steps).forEach(function (r) { if (r !== li) r.classList.remove("selected"); });
    li.classList.add("selected");
    var d = li.dataset;
    document.getElementById("step-detail-name").textContent = li.querySelector(".tl-name").textContent;
    var facts = [d.status];
    if (d.duration) facts.push(R.duration(Number(d.duration)));
    if (d.exitCode) facts.push("exit code " + d.exitCode);
    if (d.stage) facts.push("stage " + d.stage);
    facts.push(d.lineCount + (d.lineCount === "1" ? " line" : " lines") + " of output");
    document.getElementById("step-detail-facts").textContent = facts.join(" \u00b7 ");
    var error = document.getElementById("step-detail-error");
    error.textContent = d.error || "";
    error.hidden = !d.error;
    document.getElementById("step-detail-last").textContent = d.lastLines || "(none)";
    var prefix = "#" + d.vertex + " ", found = [];
    Array.prototype.forEach.call(document.querySelectorAll("#log .line .msg"), function (msg) {
      var text = msg.textContent;
      if (text.lastIndexOf(prefix, 0) === 0 && found.length < 2000) found.push(text);
    });
    document.getElementById("step-detail-count").textContent = String(found.length);
    document.getElementById("step-detail-log").textContent = found.join("\n");
    detail.hidden = false;
  }

  steps.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.tl-name") : null;
    if (button) show(button.parentNode);
  });

  // The build ended: what still runs on the page stops where it is.
  function finish() {
    if (!endedAt) endedAt = R.now();
    return refresh();
  }

  // Running bars grow with the clock.
  setInterval(function () {
    if (!endedAt && section.querySelector("li.tl-row[data-end='0']")) later();
  }, 1000);
  later();

  window.RhoneTimeline = { step: step, phases: phasesEvent, reset: reset, refresh: refresh, finish: finish };
})();
