// The gallery's filter and sort row (joined in front of gallery.js, after ab.js): a text
// filter over prompts and params, status, rating and param-value filters, and the sort
// order. It only reads the model (tiles, ratings, params); the gallery arranges the tiles.

function reviewTools(model) {
  const tilesData = () => model.get("tiles") || [];
  const search = h("input", { class: "ltx-search", type: "search", placeholder: "filter prompt, params…", "aria-label": "filter" });
  const statusSel = h("select", { class: "ltx-fstatus", "aria-label": "status filter" });
  const ratingSel = h(
    "select",
    { class: "ltx-frating", "aria-label": "rating filter" },
    h("option", { value: "", text: "any rating" }),
    ...[5, 4, 3, 2, 1].map((n) => h("option", { value: String(n), text: `${"★".repeat(n)}${n < STARS ? " or more" : ""}` })),
    h("option", { value: "0", text: "unrated" }),
  );
  const paramSel = h("select", { class: "ltx-fparam", "aria-label": "param filter" });
  const sortSel = h("select", { class: "ltx-sort", "aria-label": "sort" });
  const count = h("span", { class: "ltx-count" });
  const abHint = h("span", { class: "ltx-ab-hint", text: "pick A and B on two tiles to compare" });
  const tools = h("div", { class: "ltx-tools" }, search, statusSel, ratingSel, paramSel, sortSel, count, abHint);

  function fillTools() {
    const tiles = tilesData();
    const keep = (sel) => sel.value;
    const was = { s: keep(statusSel), p: keep(paramSel), o: keep(sortSel) };
    const statuses = [...new Set(tiles.map((x) => x.status))];
    statusSel.replaceChildren(h("option", { value: "", text: "any status" }), ...statuses.map((s) => h("option", { value: s, text: s })));
    const params = model.get("params") || [];
    const opts = [h("option", { value: "", text: "any params" })];
    for (const name of params) {
      const values = [...new Set(tiles.map((x) => (x.params || {})[name] ?? "—"))];
      for (const v of values) opts.push(h("option", { value: JSON.stringify([name, v]), text: `${name.replace(/_/g, " ")}: ${v}` }));
    }
    paramSel.replaceChildren(...opts);
    paramSel.hidden = params.length === 0;
    sortSel.replaceChildren(
      h("option", { value: "grid", text: "sort: grid order" }),
      h("option", { value: "rating", text: "sort: rating ↓" }),
      h("option", { value: "newest", text: "sort: newest" }),
      h("option", { value: "oldest", text: "sort: oldest" }),
      h("option", { value: "status", text: "sort: status" }),
      ...params.map((p) => h("option", { value: `param:${p}`, text: `sort: ${p.replace(/_/g, " ")}` })),
    );
    statusSel.value = statuses.includes(was.s) ? was.s : "";
    paramSel.value = [...paramSel.options].some((o) => o.value === was.p) ? was.p : "";
    sortSel.value = [...sortSel.options].some((o) => o.value === was.o) ? was.o : "grid";
  }

  function matches(tile) {
    const ratings = model.get("ratings") || {};
    const q = search.value.trim().toLowerCase();
    if (q) {
      const hay = [tile.prompt, tile.heading, tile.stats, tile.request_id, ...Object.values(tile.params || {})].join(" ").toLowerCase();
      if (!q.split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    if (statusSel.value && tile.status !== statusSel.value) return false;
    if (ratingSel.value !== "") {
      const r = ratings[tile.key] || 0;
      const want = Number(ratingSel.value);
      if (want === 0 ? r !== 0 : r < want) return false;
    }
    if (paramSel.value) {
      const [name, value] = JSON.parse(paramSel.value);
      if (((tile.params || {})[name] ?? "—") !== value) return false;
    }
    return true;
  }

  function comparator() {
    const ratings = model.get("ratings") || {};
    const how = sortSel.value;
    const num = (s) => {
      const m = /^-?\d+(\.\d+)?/.exec(String(s));
      return m ? Number(m[0]) : NaN;
    };
    const byLabel = (x, y) => {
      const a = num(x);
      const b = num(y);
      return Number.isNaN(a) || Number.isNaN(b) ? String(x).localeCompare(String(y)) : a - b;
    };
    if (how === "rating") return (x, y) => (ratings[y.key] || 0) - (ratings[x.key] || 0) || x.id - y.id;
    if (how === "newest") return (x, y) => y.id - x.id;
    if (how === "oldest") return (x, y) => x.id - y.id;
    if (how === "status") return (x, y) => x.status.localeCompare(y.status) || x.id - y.id;
    if (how.startsWith("param:")) {
      const p = how.slice(6);
      return (x, y) => byLabel((x.params || {})[p] ?? "", (y.params || {})[p] ?? "") || x.id - y.id;
    }
    return (x, y) => x._order - y._order;
  }

  return { tools, search, statusSel, ratingSel, paramSel, sortSel, count, abHint, fillTools, matches, comparator };
}

// Up/down from *cur*: the nearest tile in the next row of the visual layout (the layout
// is whatever the output's width made of it, so rows are read from the page).
function nearestTile(tiles, cur, dy) {
  const r = cur.getBoundingClientRect();
  const cx = r.left + r.width / 2;
  let best = null;
  let bestScore = Infinity;
  for (const n of tiles) {
    const q = n.getBoundingClientRect();
    const gap = dy > 0 ? q.top - r.bottom : r.top - q.bottom;
    if (gap < -2) continue;
    const score = gap * 4 + Math.abs(q.left + q.width / 2 - cx);
    if (n !== cur && score < bestScore) {
      best = n;
      bestScore = score;
    }
  }
  return best || cur;
}
