// The review gallery's view (anywidget ES module): a grid of clips, one control bar that
// plays, pauses and seeks them all together, and a star rating + note box per tile.
// Ratings and notes go back to Python through the `ratings` / `notes` Dict traits.

const STARS = 5;
// Icons as inline SVG: media-control glyphs (⏮ ❚❚) are missing from many fonts.
const svg = (d) =>
  `<svg viewBox="0 0 16 16" width="11" height="11" aria-hidden="true"><path d="${d}" fill="currentColor"/></svg>`;
const ICON = {
  play: svg("M4 2l10 6-10 6z"),
  pause: svg("M3 2h4v12H3zM9 2h4v12H9z"),
  restart: svg("M2 2h2v12H2zM14 2v12L5 8z"),
};

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c) node.append(c);
  return node;
}

function clock(seconds) {
  const s = Number.isFinite(seconds) && seconds > 0 ? seconds : 0;
  const m = Math.floor(s / 60);
  return `${m}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

// JupyterLab / Notebook 7 serve files under <baseUrl>files/<path below the server root>.
// Widget output is not rewritten by Lab's URL resolver, so resolve the tile's absolute
// path here; a plain relative src is the fallback elsewhere.
function pageConfig() {
  const el = document.getElementById("jupyter-config-data");
  if (!el) return null;
  try {
    return JSON.parse(el.textContent || "{}");
  } catch {
    return null;
  }
}

function resolver(home) {
  const cfg = pageConfig();
  if (!cfg || !cfg.serverRoot) return (src) => src;
  let root = String(cfg.serverRoot).replace(/\\/g, "/");
  if (root === "~" || root.startsWith("~/")) root = home + root.slice(1);
  root = root.replace(/\/+$/, "");
  const base = String(cfg.baseUrl || "/").replace(/\/?$/, "/");
  return (src, paths) => {
    if (!src || src.startsWith("data:")) return src;
    for (const p of paths || []) {
      if (root === "" || p.startsWith(root + "/")) {
        const rel = p.slice(root.length + 1).split("/").map(encodeURIComponent).join("/");
        return `${base}files/${rel}`;
      }
    }
    return null; // outside the server root: the server cannot serve it
  };
}

function render({ model, el }) {
  const root = h("div", { class: "ltx-gallery" });
  el.append(root);
  let videos = [];
  let playing = false;
  let raf = 0;
  let dragging = false;
  let t = 0;

  // -- control bar ---------------------------------------------------------------------
  const playBtn = h("button", {
    class: "ltx-play",
    type: "button",
    title: "Play / pause every clip",
    "aria-label": "play all",
  });
  const restartBtn = h("button", {
    class: "ltx-restart",
    type: "button",
    title: "Back to the start",
    "aria-label": "restart all",
  });
  restartBtn.innerHTML = ICON.restart;
  const scrub = h("input", {
    class: "ltx-scrub",
    type: "range",
    min: 0,
    max: 1,
    step: 0.01,
    value: 0,
    "aria-label": "time of every clip",
  });
  const time = h("span", { class: "ltx-time" });
  const speed = h(
    "select",
    { class: "ltx-speed", title: "Playback speed", "aria-label": "playback speed" },
    ...[0.25, 0.5, 1, 2].map((r) => h("option", { value: r, selected: r === 1, text: `${r}×` })),
  );
  const message = h("span", { class: "ltx-message", role: "status" });
  const bar = h("div", { class: "ltx-bar" }, playBtn, restartBtn, scrub, time, speed, message);
  const grid = h("div", { class: "ltx-grid" });
  root.append(bar, grid);

  const dur = (v) => (Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null);
  const at = (v, s) => {
    const d = dur(v);
    return d ? s % d : s;
  };
  const span = () =>
    Math.max(
      0,
      ...videos.map((v) => dur(v) || 0),
      ...(videos.length ? [] : model.get("tiles").map((x) => x.duration || 0)),
    ) || 1;
  const leader = () => {
    let best = null;
    for (const v of videos) if (dur(v) && (!best || dur(v) > dur(best))) best = v;
    return best || videos[0] || null;
  };

  function show() {
    const total = span();
    scrub.max = String(total);
    if (!dragging) scrub.value = String(t);
    time.textContent = `${clock(t)} / ${clock(total)}`;
    const label = playing ? "pause" : "play";
    if (playBtn.dataset.state !== label) {
      playBtn.dataset.state = label;
      playBtn.innerHTML = `${ICON[label]}<span>${playing ? "Pause" : "Play"}</span>`;
    }
    playBtn.setAttribute("aria-label", playing ? "pause all" : "play all");
    root.classList.toggle("ltx-playing", playing);
  }

  function seek(s) {
    t = Math.max(0, s);
    for (const v of videos) if (v.readyState >= 1) v.currentTime = at(v, t);
    show();
  }

  function tick() {
    const lead = leader();
    if (lead && !lead.seeking) t = lead.currentTime;
    for (const v of videos) {
      const d = dur(v);
      if (v === lead || !d || v.seeking || v.readyState < 1) continue;
      const off = Math.abs(v.currentTime - at(v, t));
      if (Math.min(off, d - off) > 0.25) v.currentTime = at(v, t); // drifted: pull back
      if (playing && v.paused) v.play().catch(() => {});
    }
    show();
    if (playing) raf = requestAnimationFrame(tick);
  }

  function play() {
    playing = true;
    for (const v of videos) {
      v.muted = true;
      if (v.readyState >= 1) v.currentTime = at(v, t);
      v.play().catch(() => {});
    }
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(tick);
    show();
  }

  function pause() {
    playing = false;
    cancelAnimationFrame(raf);
    for (const v of videos) v.pause();
    const lead = leader();
    if (lead) t = lead.currentTime;
    seek(t); // line every clip up on the leader's frame
  }

  playBtn.addEventListener("click", () => (playing ? pause() : play()));
  restartBtn.addEventListener("click", () => seek(0));
  scrub.addEventListener("pointerdown", () => (dragging = true));
  scrub.addEventListener("pointerup", () => (dragging = false));
  scrub.addEventListener("input", () => seek(Number(scrub.value)));
  scrub.addEventListener("change", () => {
    dragging = false;
    seek(Number(scrub.value));
  });
  speed.addEventListener("change", () => {
    for (const v of videos) v.playbackRate = Number(speed.value);
  });

  // -- tiles ------------------------------------------------------------------------------
  function setRating(key, n) {
    const ratings = { ...model.get("ratings") };
    ratings[key] = ratings[key] === n ? null : n; // clicking the current rating clears it
    model.set("ratings", ratings);
    model.save_changes();
    paintStars();
  }

  let noteTimers = {};
  function setNote(key, text) {
    clearTimeout(noteTimers[key]);
    if ((model.get("notes")[key] || "") === text) return;
    model.set("notes", { ...model.get("notes"), [key]: text });
    model.save_changes();
  }

  function placeholder(tile, why) {
    return h(
      "div",
      { class: "ltx-placeholder" },
      h("div", { class: "ltx-placeholder-title", text: `No video · job #${tile.id}` }),
      tile.request_id ? h("code", { text: tile.request_id }) : null,
      h("div", { text: why }),
    );
  }

  function tileNode(tile, resolve) {
    const media = h("div", { class: "ltx-media", style: `aspect-ratio:${tile.aspect || 16 / 9}` });
    const src = tile.missing ? null : resolve(tile.src, tile.paths);
    if (src) {
      const poster = tile.poster ? resolve(tile.poster, tile.poster_paths) : null;
      const video = h("video", {
        muted: true,
        loop: true,
        playsinline: true,
        preload: "auto",
        poster: poster || undefined,
        src,
        title: tile.prompt,
      });
      video.muted = true;
      video.playbackRate = Number(speed.value);
      video.addEventListener("loadedmetadata", () => {
        video.currentTime = at(video, t);
        show();
      });
      video.addEventListener("error", () => {
        videos = videos.filter((v) => v !== video);
        media.replaceChildren(placeholder(tile, `cannot load ${tile.src}`));
        show();
      });
      videos.push(video);
      media.append(video);
    } else {
      const why = tile.missing || "the file is outside the server root: use embed='always'";
      media.append(placeholder(tile, why));
      media.classList.add("ltx-missing");
    }
    const stars = h(
      "div",
      { class: "ltx-stars", role: "group", "aria-label": "rating" },
      ...Array.from({ length: STARS }, (_, i) =>
        h("button", {
          class: "ltx-star",
          type: "button",
          "data-n": i + 1,
          title: `${i + 1} star${i ? "s" : ""}`,
          "aria-label": `rate ${i + 1} of ${STARS}`,
          text: "★",
          onclick: () => setRating(tile.key, i + 1),
        }),
      ),
    );
    const note = h("textarea", {
      class: "ltx-note",
      rows: 1,
      placeholder: "notes…",
      "aria-label": `notes on job ${tile.id}`,
    });
    note.value = model.get("notes")[tile.key] || "";
    note.addEventListener("input", () => {
      clearTimeout(noteTimers[tile.key]);
      noteTimers[tile.key] = setTimeout(() => setNote(tile.key, note.value), 800);
    });
    note.addEventListener("change", () => setNote(tile.key, note.value));
    const pill =
      tile.status === "COMPLETED"
        ? null
        : h("span", { class: "ltx-pill", style: `background:${tile.colour}`, text: tile.status });
    return h(
      "div",
      { class: "ltx-tile", "data-job-id": tile.id },
      media,
      h(
        "div",
        { class: "ltx-caption" },
        h("div", { class: "ltx-heading" }, h("span", { text: tile.heading }), pill),
        h("div", { class: "ltx-prompt", title: tile.prompt, text: tile.prompt }),
        h("div", { class: "ltx-stats", text: tile.stats }),
        h("div", { class: "ltx-actions" }, stars),
        note,
      ),
    );
  }

  function paintStars() {
    const ratings = model.get("ratings") || {};
    for (const tileEl of grid.querySelectorAll(".ltx-tile")) {
      const n = ratings[tileEl.dataset.jobId] || 0;
      for (const star of tileEl.querySelectorAll(".ltx-star")) {
        const on = Number(star.dataset.n) <= n;
        star.classList.toggle("ltx-on", on);
        star.setAttribute("aria-pressed", String(Number(star.dataset.n) === n));
      }
    }
  }

  function paintNotes() {
    const notes = model.get("notes") || {};
    for (const tileEl of grid.querySelectorAll(".ltx-tile")) {
      const box = tileEl.querySelector(".ltx-note");
      if (box && document.activeElement !== box) box.value = notes[tileEl.dataset.jobId] || "";
    }
  }

  function build() {
    pause();
    videos = [];
    root.style.maxWidth = model.get("width") || "100%";
    const resolve = resolver(model.get("_home") || "");
    const tiles = model.get("tiles") || [];
    const rows = model.get("rows") || [];
    const cols = model.get("cols") || [];
    const hasRow = model.get("row_param") != null;
    const hasCol = model.get("col_param") != null;
    grid.replaceChildren();
    grid.className = "ltx-grid";
    if (!tiles.length) {
      grid.append(h("div", { class: "ltx-empty", text: "No jobs to show." }));
    } else if (!hasRow && !hasCol) {
      grid.classList.add("ltx-flat");
      for (const tile of tiles) grid.append(tileNode(tile, resolve));
    } else {
      const ncols = Math.max(1, cols.length);
      grid.style.gridTemplateColumns =
        (hasRow ? "max-content " : "") + `repeat(${ncols}, minmax(0, 1fr))`;
      if (hasCol) {
        if (hasRow) {
          const name = (p) => String(p).replace(/_/g, " ");
          grid.append(
            h(
              "div",
              { class: "ltx-corner" },
              h("div", { text: `${name(model.get("col_param"))} →` }),
              h("div", { text: `${name(model.get("row_param"))} ↓` }),
            ),
          );
        }
        for (const c of cols) grid.append(h("div", { class: "ltx-colhead", text: c }));
      }
      const nrows = Math.max(1, rows.length);
      for (let r = 0; r < nrows; r++) {
        if (hasRow) grid.append(h("div", { class: "ltx-rowhead", text: rows[r] }));
        for (let c = 0; c < ncols; c++) {
          const cell = h("div", { class: "ltx-cell" });
          for (const tile of tiles) {
            if (tile.row === r && tile.col === c) cell.append(tileNode(tile, resolve));
          }
          if (!cell.childElementCount) cell.classList.add("ltx-cell-empty");
          grid.append(cell);
        }
      }
    }
    paintStars();
    message.textContent = model.get("message") || "";
    show();
  }

  model.on("change:tiles", build);
  model.on("change:rows", build);
  model.on("change:cols", build);
  model.on("change:width", () => (root.style.maxWidth = model.get("width") || "100%"));
  model.on("change:ratings", paintStars);
  model.on("change:notes", paintNotes);
  model.on("change:message", () => (message.textContent = model.get("message") || ""));
  build();

  return () => {
    playing = false;
    cancelAnimationFrame(raf);
    for (const v of videos) v.pause();
    for (const id of Object.values(noteTimers)) clearTimeout(id);
  };
}

export default { render };
