// Shared by every dashboard page: relative times, running timers, copy buttons, and the few
// formats the server also writes (web/Formats.java), so a live update reads like a fresh page.
// Text reaches the page only through textContent.
(function () {
  "use strict";

  // The page says when the server rendered it; timers count on the server's clock, not the
  // browser's (which may be minutes off).
  var rendered = Number(document.body.dataset.now);
  var skew = rendered > 0 ? Date.now() - rendered : 0;

  function now() { return Date.now() - skew; }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function exact(ms) {
    var d = new Date(ms);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " "
      + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + " UTC";
  }

  function ago(ms) {
    var s = Math.max(0, Math.floor((now() - ms) / 1000));
    if (s < 10) return "just now";
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.floor(s / 60) + " min ago";
    if (s < 86400) return Math.floor(s / 3600) + " h ago";
    if (s < 30 * 86400) { var days = Math.floor(s / 86400); return days === 1 ? "1 day ago" : days + " days ago"; }
    return exact(ms).slice(0, 10);
  }

  function duration(ms) {
    if (ms == null) return "";
    var minutes = Math.floor(ms / 60000);
    return minutes > 0 ? minutes + " min " + Math.floor((ms % 60000) / 1000) + " s" : (ms / 1000).toFixed(1) + " s";
  }

  // A running build's clock: whole seconds, like a stopwatch.
  function timer(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return s >= 60 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s";
  }

  function bytes(n) {
    if (n == null) return "";
    if (n < 1000) return n + " B";
    var units = ["kB", "MB", "GB", "TB"], value = n, unit = -1;
    while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
    return value.toFixed(1) + " " + units[unit];
  }

  // <time datetime="ISO" title="exact" data-ago>3 min ago</time>
  function timeElement(iso) {
    var t = document.createElement("time");
    if (!iso) return t;
    var ms = Date.parse(iso);
    t.dateTime = iso;
    t.title = exact(ms);
    t.dataset.ago = "";
    t.textContent = ago(ms);
    return t;
  }

  function tick() {
    Array.prototype.forEach.call(document.querySelectorAll("time[data-ago]"), function (t) {
      t.textContent = ago(Date.parse(t.dateTime));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-since]"), function (el) {
      el.textContent = timer(now() - Date.parse(el.dataset.since));
    });
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var text = source.textContent;
    function done() {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 1500);
    }
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); } finally { document.body.removeChild(area); }
      done();
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-copy]") : null;
    if (button) copy(button);
  });

  // A status badge as the server writes it.
  function label(status) {
    var spaced = status.replace(/_/g, " ");
    return spaced.charAt(0).toUpperCase() + spaced.slice(1);
  }

  function setBadge(badge, status) {
    badge.className = "badge " + status;
    badge.dataset.status = status;
    badge.textContent = label(status);
  }

  // The image facts of a <dl class="image"> (see layout.ftlh's image macro).
  function showImage(dl, tag, digest, sizeBytes) {
    if (!dl || !tag) return;
    dl.hidden = false;
    dl.querySelector(".image-tag").textContent = tag;
    dl.querySelector(".image-digest").textContent = digest || "";
    var size = dl.querySelector(".image-size");
    size.textContent = sizeBytes != null ? bytes(sizeBytes) : "unknown";
    if (sizeBytes != null) size.title = sizeBytes + " bytes"; else size.removeAttribute("title");
    var slash = tag.lastIndexOf("/"), colon = tag.lastIndexOf(":");
    var repository = colon > slash ? tag.slice(0, colon) : tag;
    dl.querySelector(".pull-command").textContent = digest ? "docker pull " + repository + "@" + digest : "";
  }

  // A live stream that comes back after a refusal. The browser reconnects by itself when an open
  // stream ends (after the server's "retry:" time), but not when the server answers with an
  // error: too many streams of this session, team or node (429 / 503), or a restart. Then it is
  // opened again after a pause that doubles, with jitter, from 5 s up to 5 minutes. url() is
  // asked at each opening (a log page resumes after the lines it has); listen(source) adds the
  // handlers. Returns a function that ends it for good.
  function liveStream(url, listen) {
    var pause = 5000;
    var source = null;
    var ended = false;
    function open() {
      if (ended) return;
      source = new EventSource(url());
      listen(source);
      source.addEventListener("open", function () { pause = 5000; });
      source.addEventListener("error", function () {
        if (source.readyState !== EventSource.CLOSED || ended) return; // the browser reconnects itself
        setTimeout(open, pause / 2 + Math.random() * pause / 2);
        pause = Math.min(pause * 2, 300000);
      });
    }
    open();
    return function () { ended = true; if (source) source.close(); };
  }

  window.Rhone = {
    now: now, exact: exact, ago: ago, duration: duration, timer: timer, bytes: bytes, label: label,
    timeElement: timeElement, setBadge: setBadge, showImage: showImage, tick: tick, liveStream: liveStream
  };

  tick();
  setInterval(tick, 1000);
})();
