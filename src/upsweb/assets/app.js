// upsweb: live values from the JSON API and SVG history charts.
// No framework, no inline script (the CSP forbids it); the page is complete
// without this file and only gets fresher with it.
"use strict";

(function () {
  const body = document.body;
  const page = body.dataset.page;
  const every = Math.max(2, parseInt(body.dataset.refresh || "10", 10)) * 1000;
  const SVG = "http://www.w3.org/2000/svg";

  function runtimeText(v) {
    if (typeof v !== "number") return "–";
    const s = Math.max(0, Math.floor(v));
    const pad = (n) => String(n).padStart(2, "0");
    if (s >= 3600) return Math.floor(s / 3600) + " h " + pad(Math.floor((s % 3600) / 60)) + " min";
    if (s >= 60) return Math.floor(s / 60) + " min " + pad(s % 60) + " s";
    return s + " s";
  }

  function timeText(t) {
    if (!t) return "never";
    return new Date(t * 1000).toLocaleString();
  }

  function withUnit(v, unit) {
    if (v === undefined || v === null || v === "") return "–";
    return String(v) + " " + unit;
  }

  function setText(card, field, text) {
    const el = card.querySelector('[data-field="' + field + '"]');
    if (el && el.textContent !== text) el.textContent = text;
  }

  function updateCard(card, u) {
    const s = u.summary || {};
    for (const cls of ["sev-ok", "sev-warn", "sev-crit", "sev-unknown"]) card.classList.remove(cls);
    card.classList.add("sev-" + u.severity);
    setText(card, "status_text", u.status_text);
    setText(card, "ups.alarm", u.reachable && s["ups.alarm"] ? String(s["ups.alarm"]) : "");
    setText(card, "battery.charge", withUnit(s["battery.charge"], "%"));
    const meter = card.querySelector('[data-field="charge_meter"]');
    if (meter) meter.value = typeof s["battery.charge"] === "number" ? s["battery.charge"] : 0;
    setText(card, "battery.runtime", runtimeText(s["battery.runtime"]));
    setText(card, "ups.load", withUnit(s["ups.load"], "%"));
    setText(card, "input.voltage", withUnit(s["input.voltage"], "V"));
    setText(card, "output.voltage", withUnit(s["output.voltage"], "V"));
    setText(card, "status_since", timeText(u.status_since));
    setText(card, "last_poll", timeText(u.last_poll));
  }

  function cardsById() {
    const map = new Map();
    for (const card of document.querySelectorAll("article[data-ups]")) map.set(card.dataset.ups, card);
    return map;
  }

  function stamp(ok) {
    const el = document.getElementById("updated");
    if (el) el.textContent = ok ? new Date().toLocaleString() : el.textContent.replace(/ \(offline\)$/, "") + " (offline)";
  }

  async function getJSON(url) {
    const r = await fetch(url, { cache: "no-store", credentials: "same-origin" });
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }

  async function refreshOverview() {
    try {
      const data = await getJSON("/api/v1/ups");
      const cards = cardsById();
      for (const u of data.ups) {
        const card = cards.get(u.id);
        if (card) updateCard(card, u);
      }
      stamp(true);
    } catch (e) {
      stamp(false);
    }
  }

  function updateVars(vars) {
    const rows = new Map();
    for (const tr of document.querySelectorAll("#vars tbody tr[data-var]")) rows.set(tr.dataset.var, tr);
    for (const v of vars) {
      const tr = rows.get(v.name);
      if (!tr) continue;
      const cell = tr.querySelector("td.val");
      if (cell && !cell.querySelector("form") && cell.textContent !== v.value) cell.textContent = v.value;
    }
  }

  function svgEl(name, attrs, text) {
    const el = document.createElementNS(SVG, name);
    for (const k in attrs) el.setAttribute(k, attrs[k]);
    if (text !== undefined) el.textContent = text;
    return el;
  }

  function drawChart(svg, points, idx, fmt) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const W = 400, H = 150, L = 44, R = 8, T = 10, B = 22;
    const pts = points.filter((p) => p[idx + 1] !== null);
    svg.appendChild(svgEl("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }));
    svg.appendChild(svgEl("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
    if (pts.length === 0) {
      svg.appendChild(svgEl("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "no data yet"));
      return;
    }
    const t0 = pts[0][0], t1 = Math.max(pts[pts.length - 1][0], t0 + 1);
    let lo = Math.min(...pts.map((p) => p[idx + 1])), hi = Math.max(...pts.map((p) => p[idx + 1]));
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
    const y = (v) => H - B - ((v - lo) / (hi - lo)) * (H - B - T);
    const d = pts.map((p) => x(p[0]).toFixed(1) + "," + y(p[idx + 1]).toFixed(1)).join(" ");
    svg.appendChild(svgEl("polyline", { points: d, class: "line" }));
    if (pts.length === 1) svg.appendChild(svgEl("circle", { cx: x(pts[0][0]), cy: y(pts[0][idx + 1]), r: 3, class: "line" }));
    svg.appendChild(svgEl("text", { x: L - 4, y: T + 8, "text-anchor": "end" }, fmt(hi)));
    svg.appendChild(svgEl("text", { x: L - 4, y: H - B, "text-anchor": "end" }, fmt(lo)));
    const short = t1 - t0 < 3600;
    const hm = (t) => new Date(t * 1000).toLocaleTimeString([], short
      ? { hour: "2-digit", minute: "2-digit", second: "2-digit" } : { hour: "2-digit", minute: "2-digit" });
    svg.appendChild(svgEl("text", { x: L, y: H - 6 }, hm(t0)));
    svg.appendChild(svgEl("text", { x: W - R, y: H - 6, "text-anchor": "end" }, hm(t1)));
  }

  async function refreshUps() {
    const main = document.querySelector("main[data-ups]");
    if (!main) return;
    const id = encodeURIComponent(main.dataset.ups);
    try {
      const u = await getJSON("/api/v1/ups/" + id);
      const card = main.querySelector("article[data-ups]");
      if (card) updateCard(card, u);
      updateVars(u.variables || []);
      const h = await getJSON("/api/v1/ups/" + id + "/history");
      const num = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1));
      for (let k = 0; k < h.series.length; k++) {
        const svg = document.getElementById("chart-" + k);
        if (svg) drawChart(svg, h.points, k, num);
      }
      stamp(true);
    } catch (e) {
      stamp(false);
    }
  }

  const refresh = page === "overview" ? refreshOverview : page === "ups" ? refreshUps : null;
  if (refresh) {
    refresh();
    setInterval(refresh, every);
  }
})();
