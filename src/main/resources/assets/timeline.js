// The deployment page's timeline: bars for Rhone's phases and BuildKit's steps on one time axis.
// The server renders it; this script moves the bars as `step` events arrive on the log stream
// (deployment.js hands them over), reads the phases again when the status changes, and shows a
// step's lines when it is clicked. Text only ever goes in through textContent; positions are SVG
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
  // Once the build ended, bars without an end stop growing: they ran until then.
  var endedAt = section.dataset.finished === "true" ? Number(section.dataset.axisEnd) || R.now() : 0;

  function rows(list) { return Array.prototype.slice.call((list || section).querySelectorAll("li.tl-row")); }

  function percent(v) { return Math.max(0, Math.min(100, v)).toFixed(2) + "%"; }

  function tickLabel(ms) {
    if (ms === 0) return "0";
    if (ms < 1000) return ms + " ms";
    var s = Math.floor(ms / 1000);
    if (s < 60) return s + " s";
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
    document.getElementById("timeline-summary").textContent = parts.join(" \u00b7 ");
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

  // One step as the stream or the /steps answer carries it (Timeline.Step's JSON).
  function step(s) {
    if (s.attempt < attempt) return; // an earlier claim's step, arriving late
    if (s.attempt > attempt) { // the build was claimed again: its steps start over
      attempt = s.attempt;
      rows(steps).forEach(function (r) { steps.removeChild(r); });
      document.getElementById("error-step").hidden = true;
    }
    var key = "step-" + s.vertex;
    var li = steps.querySelector("li[data-key='" + key + "']");
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
    if (s.exit_code != null) li.dataset.exitCode = String(s.exit_code); else delete li.dataset.exitCode;
    var name = li.querySelector(".tl-name");
    name.textContent = s.name;
    name.title = s.name;
    setDuration(li, s.duration_ms, s.cached);
    if (s.status === "error") showFailure(s);
    if (li.classList.contains("selected")) show(li);
    section.hidden = false;
    later();
  }

  function phase(p) {
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

  // The whole timeline as the server has it now: phases move with the status, and a step change
  // stored after the stream ended still shows.
  function refresh() {
    return fetch(section.dataset.steps, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (t) {
        if (t.attempt < attempt) return;
        if (t.attempt > attempt) {
          rows(phases).forEach(function (r) { phases.removeChild(r); });
        }
        t.phases.forEach(phase);
        t.steps.forEach(step);
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

  window.RhoneTimeline = { step: step, refresh: refresh, finish: finish };
})();
