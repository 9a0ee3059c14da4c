// /apps and /apps/{slug} stay live: deployment events (GET /events/apps[/{slug}], Server-Sent
// Events, team-scoped) update statuses, commits and durations, and add new deployments, without a
// reload. Rows are built with the DOM and textContent only.
(function () {
  "use strict";
  var R = window.Rhone;
  var source = document.querySelector("[data-events]");
  if (!source || !window.EventSource) return;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text != null) e.textContent = text;
    return e;
  }

  function badge(d) {
    var b = el("span");
    R.setBadge(b, d.status);
    return b;
  }

  // Same shape as layout.ftlh's commit macro.
  function commit(d) {
    if (!d.shortSha) return el("span", "mono sha muted", "branch head");
    if (d.commitUrl) {
      var a = el("a", "mono sha", d.shortSha);
      a.href = d.commitUrl;
      return a;
    }
    return el("span", "mono sha", d.shortSha);
  }

  // Same as layout.ftlh's duration macro: a timer while it runs.
  function duration(d) {
    if (d.running && d.startedIso) {
      var t = el("span", "timer");
      t.dataset.since = d.startedIso;
      return t;
    }
    return document.createTextNode(d.duration || "");
  }

  function deploymentLink(d) {
    return "/apps/" + encodeURIComponent(d.app) + "/deployments/" + d.id;
  }

  function fill(cell) {
    var children = Array.prototype.slice.call(arguments, 1);
    while (cell.firstChild) cell.removeChild(cell.firstChild);
    children.forEach(function (c) {
      if (c == null) return;
      cell.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
  }

  // ---- /apps: one row per app with its latest deployment
  function appsRow(d) {
    var row = source.querySelector("tr[data-app=\"" + CSS.escape(d.app) + "\"]");
    if (!row || Number(row.dataset.deployment) > d.id) return;
    row.dataset.deployment = d.id;
    var link = el("a");
    link.href = deploymentLink(d);
    link.appendChild(badge(d));
    fill(row.querySelector(".latest"), link, " ", commit(d), " ", el("span", "message", d.commitMessage));
    row.querySelector(".latest").classList.remove("muted");
    fill(row.querySelector(".duration"), duration(d));
    fill(row.querySelector(".when"), R.timeElement(d.createdIso));
  }

  // ---- /apps/{slug}: the deployments table, and the latest successful build
  function deploymentRow(d) {
    var tr = el("tr");
    tr.dataset.id = d.id;
    var id = el("a", null, String(d.id));
    id.href = deploymentLink(d);
    var cells = [
      [id], [badge(d)], [d.trigger], [commit(d), " ", el("span", "message", d.commitMessage)],
      [d.commitAuthor || ""], [duration(d)], [R.timeElement(d.createdIso)]
    ];
    cells.forEach(function (content, i) {
      var td = el("td", i === 5 ? "duration" : (i === 6 ? "muted" : null));
      fill.apply(null, [td].concat(content));
      tr.appendChild(td);
    });
    return tr;
  }

  function appRow(d) {
    var body = source.tBodies[0];
    var existing = body.querySelector("tr[data-id=\"" + d.id + "\"]");
    var row = deploymentRow(d);
    if (existing) {
      body.replaceChild(row, existing);
    } else {
      var newest = body.rows.length ? Number(body.rows[0].dataset.id) : 0;
      if (d.id < newest) return; // an older deployment not on this page
      row.classList.add("fresh");
      body.insertBefore(row, body.firstChild);
      source.hidden = false;
      var none = document.getElementById("no-deployments");
      if (none) none.hidden = true;
    }
    latestBuilt(d);
  }

  function latestBuilt(d) {
    var box = document.getElementById("latest-built");
    if (!box || d.status !== "built" || Number(box.dataset.id) > d.id) return;
    box.dataset.id = d.id;
    box.hidden = false;
    var link = box.querySelector(".deployment-link");
    link.href = deploymentLink(d);
    box.querySelector(".deployment-id").textContent = String(d.id);
    fill(box.querySelector(".commit"), commit(d));
    box.querySelector(".message").textContent = d.commitMessage || "";
    fill(box.querySelector(".when"), R.timeElement(d.createdIso));
    R.showImage(document.getElementById("latest-image"), d.imageTag, d.imageDigest, d.imageSizeBytes);
  }

  var onEvent = source.id === "apps" ? appsRow : appRow;
  // Opened again after a refusal from the last change it saw (an event's id is that time).
  var since = source.dataset.eventsSince;
  R.liveStream(function () {
    return source.dataset.events + "?since=" + encodeURIComponent(since);
  }, function (stream) {
    stream.addEventListener("deployment", function (e) {
      if (e.lastEventId) since = e.lastEventId;
      onEvent(JSON.parse(e.data));
      R.tick();
    });
  });
})();
