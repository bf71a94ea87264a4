// brandpulse live page: polls /api/live every 5 s and draws, per brand, the volume by
// sentiment (stacked bars) and the average sentiment per minute with uPlot, the recent
// scored mentions, and the latest alert events. No build step; all text from mentions is
// set with textContent, never as HTML.
"use strict";

(function () {
  const REFRESH_MS = 5000;
  const COLORS = { positive: "#2e9d5b", neutral: "#9aa4ad", negative: "#d64545", line: "#3b6fb6" };
  const LABELS = ["positive", "neutral", "negative"];

  const statusEl = document.getElementById("status");
  const alertsEl = document.getElementById("alerts");
  const emergingEl = document.getElementById("emerging");
  const campaignsEl = document.getElementById("campaigns");
  // `?brand=acme` (the Alertmanager notification's link) shows that brand's events only.
  const onlyBrand = new URLSearchParams(window.location.search).get("brand");
  const brandsEl = document.getElementById("brands");
  const windowNote = document.getElementById("window-note");

  // brand id -> { section, totals, vol, sent, mentions }
  const brands = new Map();

  // el("td", { class: "num" }, "text", childNode, ...): strings become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  const fmtInt = new Intl.NumberFormat("en-US");
  function fmtTime(iso) {
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  }
  function fmtScore(s) {
    return (s >= 0 ? "+" : "") + Number(s).toFixed(2);
  }

  function chartWidth(section) {
    return Math.max(300, section.clientWidth - 24);
  }

  // Marks each chart with how many points (non-null values over its series) it drew, and
  // the status with how many charts drew data: the headless browser test reads these.
  function markDrawn(u) {
    let n = 0;
    for (let s = 1; s < u.data.length; s++) {
      for (const v of u.data[s]) if (v !== null && v !== undefined) n++;
    }
    u.root.parentElement.dataset.drawn = String(n);
    const drawn = document.querySelectorAll('.chart[data-drawn]:not([data-drawn="0"])').length;
    statusEl.dataset.drawn = String(drawn);
  }

  function volumeChart(container, width) {
    const raw = { positive: [], neutral: [], negative: [] };
    const rawValue = (label) => (u, v, si, idx) => (idx == null || raw[label][idx] == null ? "--" : fmtInt.format(raw[label][idx]));
    const bars = uPlot.paths.bars({ size: [0.85, 40], gap: 0 });
    const u = new uPlot(
      {
        width,
        height: 170,
        cursor: { points: { show: false } },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, max * 1.1)] } },
        axes: [{}, { size: 60 }],
        // Drawn in order, each over the previous: total (positive on top), then
        // neutral + negative, then negative: a stacked bar per minute.
        series: [
          {},
          { label: "positive", stroke: COLORS.positive, fill: COLORS.positive, paths: bars, points: { show: false }, value: rawValue("positive") },
          { label: "neutral", stroke: COLORS.neutral, fill: COLORS.neutral, paths: bars, points: { show: false }, value: rawValue("neutral") },
          { label: "negative", stroke: COLORS.negative, fill: COLORS.negative, paths: bars, points: { show: false }, value: rawValue("negative") },
        ],
        hooks: { draw: [markDrawn] },
      },
      [[], [], [], []],
      container,
    );
    return {
      u,
      set(minutes, series) {
        raw.positive = series.positive;
        raw.neutral = series.neutral;
        raw.negative = series.negative;
        const neg = series.negative;
        const neuNeg = neg.map((n, i) => n + series.neutral[i]);
        const total = neuNeg.map((n, i) => n + series.positive[i]);
        // null, not 0: uPlot strokes a zero-height bar as a line.
        const gap = (v) => (v === 0 ? null : v);
        u.setData([minutes, total.map(gap), neuNeg.map(gap), neg.map(gap)]);
      },
    };
  }

  function sentimentChart(container, width) {
    const u = new uPlot(
      {
        width,
        height: 130,
        scales: { x: { time: true }, y: { range: [-1, 1] } },
        axes: [{}, { size: 60, splits: () => [-1, -0.5, 0, 0.5, 1], values: (u, ticks) => ticks.map((t) => t.toFixed(1)) }],
        series: [
          {},
          {
            label: "average sentiment",
            stroke: COLORS.line,
            width: 1.5,
            spanGaps: false,
            points: { show: true, size: 3 },
            value: (u, v) => (v == null ? "--" : fmtScore(v)),
          },
        ],
        hooks: { draw: [markDrawn] },
      },
      [[], []],
      container,
    );
    return {
      u,
      set(minutes, series) {
        u.setData([minutes, series.avg_score]);
      },
    };
  }

  function brandSection(id) {
    const totals = el("span", { class: "totals" });
    const volEl = el("div", { class: "chart volume", "data-brand": id });
    const sentEl = el("div", { class: "chart sentiment", "data-brand": id });
    const mentions = el("ul", { class: "mentions" });
    const inbox = el("ul", { class: "inbox mentions" });
    const section = el(
      "section",
      { class: "brand", id: "brand-" + id, "data-brand": id },
      el("h3", {}, id, totals),
      el("p", { class: "chart-title" }, "mentions per minute by sentiment"),
      volEl,
      el("p", { class: "chart-title" }, "average sentiment per minute (-1 .. +1)"),
      sentEl,
      el("p", { class: "chart-title" }, "needs a response (complaints and questions, highest priority first)"),
      inbox,
      el("p", { class: "chart-title" }, "recent scored mentions"),
      mentions,
    );
    brandsEl.append(section);
    const width = chartWidth(section);
    return { section, totals, vol: volumeChart(volEl, width), sent: sentimentChart(sentEl, width), mentions, inbox };
  }

  function renderInbox(ul, items) {
    const now = Date.now();
    const rows = (items || []).map((m) => {
      const ageMin = Math.max(0, Math.round((now - Date.parse(m.created_at)) / 60000));
      const who = m.author_handle ? `@${m.author_handle} · ` : "";
      // Only http(s) links: a mention's url is input, and a javascript: URL would run here.
      const link = typeof m.url === "string" && /^https?:\/\//i.test(m.url);
      const text = link ? el("a", { class: "text", href: m.url, rel: "noopener noreferrer" }, m.text) : el("span", { class: "text" }, m.text);
      // Answered items stay below the open ones for a few minutes, fading out.
      const answered = typeof m.answered_at === "string";
      const state = answered
        ? `answered after ${Math.max(0, Math.round((m.first_response_seconds || 0) / 60))} min`
        : `${ageMin} min ago`;
      return el(
        "li",
        { "data-id": m.id, "data-priority": String(m.priority), class: answered ? "answered" : "open" },
        el("span", { class: "label priority", title: "priority 0-100" }, `${m.priority} ${m.labels.join("+")}`),
        el("span", {}, text, el("span", { class: "meta" }, `${who}${state} · id ${m.id}`)),
      );
    });
    ul.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted" }, "nothing waiting")]));
    ul.dataset.items = String(rows.length);
    ul.dataset.answered = String((items || []).filter((m) => typeof m.answered_at === "string").length);
  }

  function renderMentions(ul, recent) {
    const items = recent.map((m) => {
      const label = LABELS.includes(m.label) ? m.label : "neutral";
      return el(
        "li",
        { "data-id": m.id },
        el("span", { class: "label " + label, title: "sentiment score" }, label + " " + fmtScore(m.score)),
        el(
          "span",
          {},
          el("span", { class: "text" }, m.text),
          el("span", { class: "meta" }, `${m.source} · ${m.lang} · ${fmtTime(m.created_at)} · reach ${fmtInt.format(m.reach)} · id ${m.id}`),
        ),
      );
    });
    ul.replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "none yet")]));
  }

  function renderBrands(data) {
    if (data.brands.length && brands.size === 0) brandsEl.replaceChildren();
    const minutes = data.minutes;
    for (const b of data.brands) {
      let view = brands.get(b.brand);
      if (!view) {
        view = brandSection(b.brand);
        brands.set(b.brand, view);
      }
      view.totals.textContent = `${fmtInt.format(b.in_window)} in the chart · ${fmtInt.format(b.total)} since start`;
      view.vol.set(minutes, b.series);
      view.sent.set(minutes, b.series);
      renderMentions(view.mentions, b.recent);
      renderInbox(view.inbox, b.inbox);
    }
    const span = minutes.length ? `last ${minutes.length} min of at most ${data.hours} h` : "";
    windowNote.textContent = span;
  }

  function renderDrivers(drivers) {
    return el(
      "ul",
      { class: "drivers" },
      ...(drivers || []).map((d) =>
        el(
          "li",
          { "data-term": d.term },
          el("strong", {}, d.term),
          el("span", { class: "muted" }, ` ${fmtInt.format(d.observed)} vs ~${Number(d.expected).toFixed(1)} usual · ${Math.round(d.explained * 100)}% of the extra`),
        ),
      ),
    );
  }

  function renderEmerging(events) {
    const shown = onlyBrand ? events.filter((e) => e.brand === onlyBrand) : events;
    if (!shown.length) {
      emergingEl.replaceChildren(el("p", { class: "muted" }, "No emerging terms yet."));
      return;
    }
    const items = shown.map((e) =>
      el(
        "li",
        { class: "emerging", "data-id": e.id },
        `new for ${e.brand}: `,
        el("strong", {}, `'${e.term}'`),
        ` ${Number(e.observed).toFixed(0)} in the last ${e.span_minutes} min, ~${Number(e.expected).toFixed(1)} usual`,
        el("span", { class: "muted" }, ` · ${fmtTime(e.window_end)}`),
      ),
    );
    emergingEl.replaceChildren(el("ul", { class: "emerging" }, ...items));
  }

  function renderCampaigns(events) {
    const shown = onlyBrand ? events.filter((e) => e.brand === onlyBrand) : events;
    if (!shown.length) {
      campaignsEl.replaceChildren(el("p", { class: "muted" }, "No campaigns recognised."));
      return;
    }
    const items = shown.map((e) =>
      el(
        "li",
        { class: "campaign", "data-id": e.id },
        `${e.brand}: ${fmtInt.format(e.authors)} accounts posting `,
        el("q", {}, e.first_text),
        ` · ${Math.round(Number(e.automated_share) * 100)}% look automated`,
        el("span", { class: "muted" }, ` · first ${fmtTime(e.first_seen)}, recognised ${fmtTime(e.detected_at)}, last ${fmtTime(e.last_seen)} · ${e.id}`),
      ),
    );
    campaignsEl.replaceChildren(el("ul", { class: "campaigns" }, ...items));
  }

  function renderAlerts(all) {
    const alerts = onlyBrand ? all.filter((a) => a.brand === onlyBrand) : all;
    if (!alerts.length) {
      alertsEl.replaceChildren(el("p", { class: "muted" }, "No alert events yet."));
      return;
    }
    const head = el(
      "tr",
      {},
      ...["brand", "kind", "severity", "state", "window", "observed / expected", "p-value", "drivers", "example mentions"].map((h) => el("th", {}, h)),
    );
    const rows = alerts.map((a) => {
      const ratio = a.expected > 0 ? ` (×${(a.observed / a.expected).toFixed(1)})` : "";
      const examples = el(
        "ul",
        { class: "examples" },
        ...(a.examples || []).map((x) =>
          el("li", {}, el("span", { class: "id" }, x.mention_id), " ", x.text, el("span", { class: "muted" }, ` · reach ${fmtInt.format(x.reach)}`)),
        ),
      );
      return el(
        "tr",
        { class: "alert", "data-id": a.id },
        el("td", {}, a.brand),
        el("td", {}, a.kind),
        el("td", {}, el("span", { class: "sev-" + a.severity }, a.severity)),
        el("td", {}, el("span", { class: "state-" + a.state }, a.state)),
        el("td", { class: "window" }, `${fmtTime(a.window_start)}–${fmtTime(a.window_end)}`, el("br"), el("span", { class: "muted" }, `since ${fmtTime(a.started_at)}`)),
        el("td", { class: "num" }, `${fmtInt.format(a.observed)} / ${Number(a.expected).toFixed(1)}${ratio}`),
        el("td", { class: "num" }, Number(a.p_value).toExponential(1)),
        el("td", {}, renderDrivers(a.drivers)),
        el("td", {}, examples),
      );
    });
    alertsEl.replaceChildren(el("table", { class: "alerts" }, el("thead", {}, head), el("tbody", {}, ...rows)));
  }

  async function refresh() {
    try {
      const res = await fetch("/api/live", { cache: "no-store" });
      if (!res.ok) throw new Error(`/api/live: HTTP ${res.status}`);
      const data = await res.json();
      renderAlerts(data.alerts);
      renderEmerging(data.emerging || []);
      renderCampaigns(data.campaigns || []);
      renderBrands(data);
      statusEl.dataset.state = "ok";
      statusEl.dataset.brands = String(data.brands.length);
      statusEl.dataset.alerts = String(data.alerts.length);
      statusEl.dataset.emerging = String((data.emerging || []).length);
      statusEl.dataset.campaigns = String((data.campaigns || []).length);
      statusEl.dataset.updated = data.generated_at;
      statusEl.textContent = `updated ${fmtTime(data.generated_at)} · ${data.brands.length} brands · ${data.alerts.length} alert events`;
    } catch (e) {
      statusEl.dataset.state = "error";
      statusEl.textContent = `cannot load /api/live: ${e.message}`;
    }
  }

  window.addEventListener("resize", () => {
    for (const v of brands.values()) {
      const w = chartWidth(v.section);
      v.vol.u.setSize({ width: w, height: 170 });
      v.sent.u.setSize({ width: w, height: 130 });
    }
  });

  refresh();
  setInterval(refresh, REFRESH_MS);
})();
