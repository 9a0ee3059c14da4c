// The deployment page: the live log (Server-Sent Events), its viewer (search, links to lines,
// wrap, folded BuildKit progress) and the facts that change while the build runs (status,
// commit, timer, image). Log text is only ever set with textContent.
(function () {
  "use strict";
  var R = window.Rhone;
  var log = document.getElementById("log");
  var viewer = document.getElementById("log-viewer");
  var first = Number(log.dataset.first), end = Number(log.dataset.end);
  // The stream's cursor has two parts: lines sent, and the last build step change sent.
  var timeline = document.getElementById("timeline");
  var change = timeline ? Number(timeline.dataset.change) || 0 : 0;
  function cursor(id) {
    var parts = String(id).split(".");
    end = Number(parts[0]) || end;
    if (parts.length > 1) change = Math.max(change, Number(parts[1]) || 0);
  }
  var MAX_LINES = 5000;
  var MAX_MATCHES = 10000;

  // BuildKit's progress noise: each step's vertex digest (docker's plain output prints one per
  // step), a layer's transfer or extraction counting up, and the build context's transfer
  // repeating. The final "... done" line of a transfer stays visible.
  var NOISE = [
    /^#\d+ sha256:[0-9a-f]{64}$/,
    /^#\d+ sha256:[0-9a-f]{6,}\s+[\d.]+\s*[kMGT]?i?B\s*\/\s*[\d.]+\s*[kMGT]?i?B\s+[\d.]+s$/,
    /^#\d+ extracting sha256:[0-9a-f]{6,}\s+[\d.]+s$/,
    /^#\d+ transferring [\w.-]+:\s+[\d.]+\s*[kMGT]?i?B\s+[\d.]+s$/
  ];
  var ANSI = /\u001b\[([0-9;]*)m/g;
  var noiseCount = 0;

  function isNoise(text) {
    var plain = text.replace(ANSI, "");
    return NOISE.some(function (re) { return re.test(plain); });
  }

  // One line: a link to itself (#L<n>), its time, and its text with SGR colours as spans.
  function render(line, n) {
    var div = document.createElement("div");
    div.className = "line";
    div.id = "L" + n;
    var ln = document.createElement("a");
    ln.className = "ln";
    ln.href = "#L" + n;
    ln.dataset.n = n;
    div.appendChild(ln);
    var stamp = /^\d{4}-\d\d-\d\dT(\d\d:\d\d:\d\d)\S*Z /.exec(line);
    if (stamp) {
      var t = document.createElement("span");
      t.className = "t";
      t.title = stamp[0].trim();
      t.textContent = stamp[1] + " ";
      div.appendChild(t);
      line = line.slice(stamp[0].length);
    }
    var msg = document.createElement("span");
    msg.className = "msg";
    var classes = [], at = 0, m;
    function text(s) {
      if (!s) return;
      var span = document.createElement("span");
      span.textContent = s;
      if (classes.length) span.className = classes.join(" ");
      msg.appendChild(span);
    }
    ANSI.lastIndex = 0;
    while ((m = ANSI.exec(line)) !== null) {
      text(line.slice(at, m.index));
      at = ANSI.lastIndex;
      (m[1] || "0").split(";").forEach(function (c) {
        c = Number(c);
        if (c === 0) classes = [];
        else if (c === 1) classes.push("a-bold");
        else if ((c >= 30 && c <= 37) || (c >= 90 && c <= 97)) {
          classes = classes.filter(function (k) { return k === "a-bold"; });
          classes.push("a-" + c);
        }
      });
    }
    text(line.slice(at));
    div.appendChild(msg);
    if (isNoise(line)) {
      div.classList.add("noise");
      noiseCount++;
    }
    return div;
  }

  function lines() { return log.querySelectorAll(".line"); }

  // ---- folding, wrapping
  var noiseToggle = document.getElementById("log-noise");
  var noiseCountEl = document.getElementById("log-noise-count");
  function showNoiseCount() { noiseCountEl.textContent = String(noiseCount); }
  noiseToggle.addEventListener("change", function () {
    log.classList.toggle("show-noise", noiseToggle.checked);
    search(true);
  });
  var wrap = document.getElementById("log-wrap");
  try { wrap.checked = localStorage.getItem("rhone.log.wrap") !== "off"; } catch (e) { /* storage off */ }
  function applyWrap() {
    log.classList.toggle("nowrap", !wrap.checked);
    try { localStorage.setItem("rhone.log.wrap", wrap.checked ? "on" : "off"); } catch (e) { /* storage off */ }
  }
  wrap.addEventListener("change", applyWrap);
  applyWrap();

  // ---- the lines rendered with the page
  Array.prototype.forEach.call(lines(), function (old, i) {
    log.replaceChild(render(old.textContent, first + i + 1), old);
  });
  showNoiseCount();

  function atBottom() { return log.scrollTop + log.clientHeight >= log.scrollHeight - 24; }
  var earlier = document.getElementById("earlier");
  function trim() {
    var extra = log.childElementCount - MAX_LINES;
    for (var i = 0; i < extra; i++) {
      if (log.firstElementChild.classList.contains("noise")) noiseCount--;
      log.removeChild(log.firstElementChild);
      first++;
    }
    if (extra > 0) earlier.hidden = false;
  }

  function loadEarlier() {
    earlier.disabled = true;
    return fetch(log.dataset.lines + "?before=" + first, { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (page) {
        var frag = document.createDocumentFragment();
        page.lines.forEach(function (line, i) { frag.appendChild(render(line, page.first + i + 1)); });
        log.insertBefore(frag, log.firstChild);
        first = page.first;
        earlier.hidden = first === 0;
        showNoiseCount();
        search(true);
      })
      .catch(function (e) {
        earlier.textContent = "Could not load earlier lines: reload the page";
        throw e;
      })
      .finally(function () { earlier.disabled = false; });
  }
  earlier.addEventListener("click", function () { loadEarlier().catch(function () { /* shown */ }); });

  // ---- links to lines: #L123 scrolls there and marks it, also after a reload
  var targeted = null, wanted = 0;
  function goToLine(n) {
    if (!n) return;
    if (n <= first) {
      // Not loaded yet: fetch earlier pages until it is (a few at most for a capped log).
      loadEarlier().then(function () { goToLine(n); }, function () { /* shown */ });
      return;
    }
    var line = document.getElementById("L" + n);
    if (!line) { wanted = n; return; } // still to come from the stream
    wanted = 0;
    if (targeted) targeted.classList.remove("target");
    line.classList.add("target");
    targeted = line;
    line.scrollIntoView({ block: "center" });
  }
  function hashLine() {
    var m = /^#L(\d+)$/.exec(location.hash);
    return m ? Number(m[1]) : 0;
  }
  window.addEventListener("hashchange", function () { goToLine(hashLine()); });

  // ---- search
  var input = document.getElementById("log-search");
  var countEl = document.getElementById("log-count");
  var matches = [], current = -1;
  var highlights = window.CSS && CSS.highlights && window.Highlight ? CSS.highlights : null;

  function rangeOf(msg, start, stop) {
    var walker = document.createTreeWalker(msg, NodeFilter.SHOW_TEXT), node, at = 0;
    var range = document.createRange(), started = false;
    while ((node = walker.nextNode())) {
      var len = node.nodeValue.length;
      if (!started && start < at + len) { range.setStart(node, start - at); started = true; }
      if (started && stop <= at + len) { range.setEnd(node, stop - at); return range; }
      at += len;
    }
    return null;
  }

  function clearMatches() {
    matches.forEach(function (m) { m.line.classList.remove("has-match", "current-match"); });
    matches = [];
    if (highlights) { highlights.delete("log-search"); highlights.delete("log-current"); }
  }

  function visible(line) {
    return !line.classList.contains("noise") || log.classList.contains("show-noise") || line === targeted;
  }

  // keep: lines were added or shown; stay on the same match rather than jumping back to the first.
  function search(keep) {
    var previous = keep && matches[current] ? matches[current] : null;
    clearMatches();
    current = -1;
    var query = input.value.toLowerCase();
    if (!query) { countEl.textContent = ""; return; }
    var all = lines();
    for (var i = 0; i < all.length && matches.length < MAX_MATCHES; i++) {
      if (!visible(all[i])) continue;
      var msg = all[i].querySelector(".msg");
      var text = msg.textContent.toLowerCase(), from = 0, at;
      while ((at = text.indexOf(query, from)) >= 0 && matches.length < MAX_MATCHES) {
        matches.push({ line: all[i], msg: msg, start: at, stop: at + query.length });
        all[i].classList.add("has-match");
        from = at + query.length;
      }
    }
    if (highlights && matches.length) {
      var found = new Highlight();
      matches.forEach(function (m) {
        var range = rangeOf(m.msg, m.start, m.stop);
        if (range) found.add(range);
      });
      highlights.set("log-search", found);
    }
    if (!matches.length) { countEl.textContent = "no matches"; return; }
    var index = 0;
    if (previous) {
      for (var k = 0; k < matches.length; k++) {
        if (matches[k].line === previous.line && matches[k].start === previous.start) { index = k; break; }
      }
    }
    select(index, !keep);
  }

  function select(index, scroll) {
    if (!matches.length) return;
    if (matches[current]) matches[current].line.classList.remove("current-match");
    current = (index + matches.length) % matches.length;
    var m = matches[current];
    m.line.classList.add("current-match");
    if (highlights) {
      var r = rangeOf(m.msg, m.start, m.stop);
      if (r) { var one = new Highlight(); one.add(r); highlights.set("log-current", one); }
    }
    countEl.textContent = (current + 1) + " of " + matches.length + (matches.length >= MAX_MATCHES ? "+" : "");
    if (scroll) m.line.scrollIntoView({ block: "center" });
  }

  var typing = null;
  input.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { search(false); }, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    e.preventDefault();
    clearTimeout(typing);
    if (!matches.length || current < 0) { search(false); return; }
    select(current + (e.shiftKey ? -1 : 1), true);
  });
  document.getElementById("log-next").addEventListener("click", function () { select(current + 1, true); });
  document.getElementById("log-prev").addEventListener("click", function () { select(current - 1, true); });

  // ---- what the build reports as it goes
  var badge = document.getElementById("status");
  var facts = document.getElementById("facts");
  var noLog = document.getElementById("no-log");

  function showCommit(s) {
    if (!s.commit_sha) return;
    var holder = document.getElementById("commit");
    var short = s.commit_sha.slice(0, 12), node;
    if (facts.dataset.commitUrl) {
      node = document.createElement("a");
      node.href = facts.dataset.commitUrl.replace("{sha}", s.commit_sha);
    } else {
      node = document.createElement("span");
    }
    node.className = "mono sha";
    node.textContent = short;
    while (holder.firstChild) holder.removeChild(holder.firstChild);
    holder.appendChild(node);
    document.getElementById("commit-message").textContent = s.commit_message || "";
    document.getElementById("commit-author").textContent = s.commit_author || "";
    document.getElementById("commit-author-part").hidden = !s.commit_author;
  }

  function showElapsed(s) {
    var part = document.getElementById("elapsed-part");
    var label = document.getElementById("elapsed-label");
    var elapsed = document.getElementById("elapsed");
    var since = null;
    if (s.finished) {
      label.textContent = "took";
      elapsed.textContent = R.duration(s.duration_ms);
    } else if (s.status === "pending" || s.status === "awaiting_approval") {
      label.textContent = s.status === "pending" ? "queued for" : "waiting for";
      since = s.created_at;
    } else {
      label.textContent = "running for";
      since = s.build_started_at;
    }
    if (since) {
      elapsed.dataset.since = since;
      elapsed.className = "timer";
    } else {
      delete elapsed.dataset.since;
      elapsed.className = "";
    }
    part.hidden = !since && !elapsed.textContent;
    R.tick();
  }

  function showStatus(s) {
    R.setBadge(badge, s.status);
    document.getElementById("cancel").hidden = s.finished;
    document.getElementById("retry").hidden = !(s.finished && s.status !== "built");
    document.getElementById("approve").hidden = s.status !== "awaiting_approval";
    var awaiting = document.getElementById("awaiting-note");
    if (awaiting) awaiting.hidden = s.status !== "awaiting_approval";
    if (s.approved_by && document.getElementById("approved-by")) {
      document.getElementById("approved-by").textContent = s.approved_by;
      document.getElementById("approved-part").hidden = false;
    }
    var error = document.getElementById("error");
    error.hidden = !s.error;
    error.textContent = s.error || "";
    showCommit(s);
    showElapsed(s);
    R.showImage(document.getElementById("image"), s.image_tag, s.image_digest, s.image_size_bytes);
  }

  function showEmptyLog(s) {
    if (end > 0 || !s.empty_log) return;
    noLog.textContent = s.empty_log;
    noLog.hidden = false;
    viewer.hidden = true;
  }

  // ---- start: where the address points, else the end of the log; then the live stream
  if (hashLine()) {
    goToLine(hashLine());
  } else {
    log.scrollTop = log.scrollHeight;
  }
  if (viewer.hidden) return; // a finished deployment without a log: nothing more will come

  var T = window.RhoneTimeline;
  var stop = R.liveStream(function () {
    return log.dataset.stream + "?after=" + end + (change ? "." + change : "");
  }, function (source) {
    source.addEventListener("log", function (e) {
      var follow = atBottom();
      var frag = document.createDocumentFragment();
      var from = end;
      e.data.split("\n").forEach(function (line, i) { frag.appendChild(render(line, from + i + 1)); });
      log.appendChild(frag);
      cursor(e.lastEventId);
      showNoiseCount();
      // Only while following the end: a reader scrolled up (or reading earlier lines) keeps them.
      if (follow) {
        trim();
        log.scrollTop = log.scrollHeight;
      }
      if (wanted && wanted <= end) goToLine(wanted);
      if (input.value) search(true);
    });
    source.addEventListener("step", function (e) {
      cursor(e.lastEventId);
      if (T) T.step(JSON.parse(e.data));
    });
    // The phases come in full whenever they change (read once per node, not per viewer).
    source.addEventListener("phases", function (e) {
      if (T) T.phases(JSON.parse(e.data));
    });
    // Steps this page shows were deleted (the build was claimed again, or BuildKit ran again):
    // the timeline reads them all again; the stream goes on after the reset point.
    source.addEventListener("reset", function (e) {
      cursor(e.lastEventId);
      if (T) T.reset(JSON.parse(e.data));
    });
    source.addEventListener("status", function (e) {
      showStatus(JSON.parse(e.data));
    });
    source.addEventListener("complete", function (e) {
      var s = JSON.parse(e.data);
      showStatus(s);
      showEmptyLog(s);
      stop();
      if (T) T.finish();
    });
  });
})();
