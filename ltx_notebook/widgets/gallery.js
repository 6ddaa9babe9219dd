// The review gallery's view (anywidget ES module; sync.js, ab.js and tools.js are joined in front): a grid
// of clips sized to the output's width, one control bar that plays, pauses, seeks and
// steps them all together, filters and sorts, a star rating + note box per tile, and an
// A/B pick that opens two clips frame-locked. Ratings and notes go back to Python through
// the `ratings` / `notes` Dict traits. Keys: space plays, arrows move, `,`/`.` step a
// frame, `a`/`b` pick the focused tile, Enter opens its prompt.

function render({ model, el }) {
  // data-lm-suppress-shortcuts: JupyterLab's keymap skips what is pressed inside.
  const root = h("div", { class: "ltx-gallery", tabindex: 0, "aria-label": "LTX gallery", "data-lm-suppress-shortcuts": "true" });
  el.append(root);
  let videos = [];
  let dragging = false;
  let resolve = (s) => s;
  let observer = null;
  let focusKey = null;
  let pick = { a: null, b: null };
  let ab = null;

  // -- control bar ---------------------------------------------------------------------
  const playBtn = h("button", { class: "ltx-play", type: "button", title: "Play / pause every clip (space)", "aria-label": "play all" });
  const restartBtn = iconButton("ltx-restart", "restart", "restart all", "Back to the start");
  const backBtn = iconButton("ltx-back", "back", "previous frame", "Previous frame (,)");
  const fwdBtn = iconButton("ltx-fwd", "fwd", "next frame", "Next frame (.)");
  const scrub = h("input", { class: "ltx-scrub", type: "range", min: 0, max: 1, step: 0.01, value: 0, "aria-label": "time of every clip" });
  const time = h("span", { class: "ltx-time" });
  const speed = h(
    "select",
    { class: "ltx-speed", title: "Playback speed", "aria-label": "playback speed" },
    ...[0.25, 0.5, 1, 2].map((r) => h("option", { value: r, selected: r === 1, text: `${r}×` })),
  );
  const message = h("span", { class: "ltx-message", role: "status" });
  const bar = h("div", { class: "ltx-bar" }, playBtn, restartBtn, backBtn, fwdBtn, scrub, time, speed, message);

  // -- filter and sort (tools.js) --------------------------------------------------------
  const { tools, search, statusSel, ratingSel, paramSel, sortSel, count, abHint, fillTools, matches, comparator } =
    reviewTools(model);
  const abHost = h("div", { class: "ltx-ab-host" });
  const grid = h("div", { class: "ltx-grid" });
  // Sorted other than by the grid, every tile goes into one flat, responsive list.
  const sorted = h("div", { class: "ltx-sorted", hidden: true });
  root.append(bar, tools, abHost, grid, sorted);
  let tileNodes = [];

  const dur = (v) => (Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null);
  const tilesData = () => model.get("tiles") || [];
  const fps = () => {
    const f = tilesData().map((x) => x.fps || 0).filter((x) => x > 0);
    return f.length ? Math.max(...f) : 24;
  };
  const span = () =>
    Math.max(0, ...videos.map((v) => dur(v) || 0), ...(videos.length ? [] : tilesData().map((x) => x.duration || 0))) || 1;
  // Every clip in step (sync.js); a quarter second of drift is invisible across a grid.
  const clips = syncedClips({ videos: () => videos, fps, span, tolerance: () => 0.25, onChange: show });
  const seek = (s) => clips.seek(s);
  const pause = () => clips.pause();
  const step = (n) => clips.step(n);
  function play() {
    if (ab) ab.pause();
    clips.play();
  }

  function show() {
    const total = span();
    const playing = clips.playing;
    scrub.max = String(total);
    if (!dragging) scrub.value = String(clips.time);
    time.textContent = `${clock(clips.time)} / ${clock(total)}`;
    const label = playing ? "pause" : "play";
    if (playBtn.dataset.state !== label) {
      playBtn.dataset.state = label;
      playBtn.innerHTML = `${ICON[label]}<span>${playing ? "Pause" : "Play"}</span>`;
    }
    playBtn.setAttribute("aria-label", playing ? "pause all" : "play all");
    root.classList.toggle("ltx-playing", playing);
  }

  playBtn.addEventListener("click", () => (clips.playing ? pause() : play()));
  restartBtn.addEventListener("click", () => seek(0));
  backBtn.addEventListener("click", () => step(-1));
  fwdBtn.addEventListener("click", () => step(1));
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

  // -- ratings and notes ---------------------------------------------------------------------
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

  // -- tiles ------------------------------------------------------------------------------
  function placeholder(tile, why) {
    return h(
      "div",
      { class: "ltx-placeholder" },
      // A sweep's combination with no job yet has a stand-in id below 1.
      h("div", { class: "ltx-placeholder-title", text: tile.id > 0 ? `No video · job #${tile.id}` : "No video · not sent" }),
      tile.request_id ? h("code", { text: tile.request_id }) : null,
      h("div", { text: why }),
    );
  }

  // Videos load as their tile nears the viewport: a 1,000-clip gallery asks for the few
  // on screen, not a thousand files at once.
  function load(video) {
    if (video.dataset.loaded) return;
    video.dataset.loaded = "1";
    const tile = video._ltxTile;
    if (tile.poster) {
      const poster = resolve(tile.poster, tile.poster_paths);
      if (poster) video.poster = poster;
    }
    video.preload = "auto";
    video.src = video.dataset.src;
    videos.push(video);
  }

  function promptNode(tile) {
    const full = h("div", { class: "ltx-prompt-over", text: tile.prompt, "aria-hidden": "true" });
    const line = h("div", { class: "ltx-prompt", title: tile.prompt, tabindex: -1, role: "button", "aria-expanded": "false" });
    for (const [text, differs] of tile.prompt_parts || [[tile.prompt, false]]) {
      line.append(differs ? h("mark", { class: "ltx-diff", text }) : document.createTextNode(text));
    }
    line.addEventListener("click", () => {
      const open = line.classList.toggle("ltx-expanded");
      line.setAttribute("aria-expanded", String(open));
    });
    return [line, full];
  }

  function tileNode(tile) {
    const media = h("div", { class: "ltx-media", style: `aspect-ratio:${tile.aspect || 16 / 9}` });
    const src = tile.missing ? null : resolve(tile.src, tile.paths);
    if (src) {
      const video = h("video", { muted: true, loop: true, playsinline: true, preload: "none", "data-src": src, title: tile.prompt });
      video._ltxTile = tile;
      video.muted = true;
      video.playbackRate = Number(speed.value);
      video.addEventListener("loadedmetadata", () => clips.place(video));
      video.addEventListener("error", () => {
        videos = videos.filter((v) => v !== video);
        media.replaceChildren(placeholder(tile, `cannot load ${tile.src}`));
        show();
      });
      media.append(video);
      if (observer) observer.observe(video);
      else load(video);
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
    const picks = h(
      "div",
      { class: "ltx-picks", role: "group", "aria-label": "compare" },
      h("button", { class: "ltx-pick ltx-pick-a-btn", type: "button", title: "Compare as A (a)", text: "A", onclick: () => setPick("a", tile.key) }),
      h("button", { class: "ltx-pick ltx-pick-b-btn", type: "button", title: "Compare as B (b)", text: "B", onclick: () => setPick("b", tile.key) }),
    );
    const note = h("textarea", { class: "ltx-note", rows: 1, placeholder: "notes…", "aria-label": `notes on job ${tile.id}` });
    note.value = model.get("notes")[tile.key] || "";
    note.addEventListener("input", () => {
      clearTimeout(noteTimers[tile.key]);
      noteTimers[tile.key] = setTimeout(() => setNote(tile.key, note.value), 800);
    });
    note.addEventListener("change", () => setNote(tile.key, note.value));
    const pill = tile.status === "COMPLETED" ? null : h("span", { class: "ltx-pill", style: `background:${tile.colour}`, text: tile.status });
    const node = h(
      "div",
      { class: "ltx-tile", "data-job-id": tile.id, tabindex: -1 },
      media,
      h(
        "div",
        { class: "ltx-caption" },
        h("div", { class: "ltx-heading" }, h("span", { text: tile.heading }), pill),
        ...promptNode(tile),
        h("div", { class: "ltx-stats", text: tile.stats }),
        h("div", { class: "ltx-actions" }, stars, picks),
        note,
      ),
    );
    node._ltxTile = tile;
    node.addEventListener("focus", () => (focusKey = tile.key));
    node.addEventListener("click", (e) => {
      if (!e.target.closest("button, textarea, input, select")) node.focus({ preventScroll: true });
    });
    return node;
  }

  function tileEls() {
    return tileNodes;
  }

  function paintStars() {
    const ratings = model.get("ratings") || {};
    for (const tileEl of tileEls()) {
      const n = ratings[tileEl.dataset.jobId] || 0;
      for (const star of tileEl.querySelectorAll(".ltx-star")) {
        star.classList.toggle("ltx-on", Number(star.dataset.n) <= n);
        star.setAttribute("aria-pressed", String(Number(star.dataset.n) === n));
      }
    }
  }

  function paintNotes() {
    const notes = model.get("notes") || {};
    for (const tileEl of tileEls()) {
      const box = tileEl.querySelector(".ltx-note");
      if (box && document.activeElement !== box) box.value = notes[tileEl.dataset.jobId] || "";
    }
  }

  function arrange() {
    const cmp = comparator();
    const order = [...tileNodes].sort((p, q) => cmp(p._ltxTile, q._ltxTile));
    let shown = 0;
    for (const n of order) {
      const ok = matches(n._ltxTile);
      n.hidden = !ok;
      shown += ok ? 1 : 0;
    }
    const flatten = sortSel.value !== "grid" && !grid.classList.contains("ltx-flat");
    sorted.hidden = !flatten;
    grid.hidden = flatten;
    for (const n of order) (flatten ? sorted : n._ltxHome).append(n);
    const total = tilesData().length;
    count.textContent = shown === total ? `${total} clips` : `${shown} of ${total} clips`;
  }

  for (const c of [search, statusSel, ratingSel, paramSel, sortSel]) c.addEventListener(c === search ? "input" : "change", arrange);

  // -- A/B --------------------------------------------------------------------------------
  function paintPicks() {
    for (const tileEl of tileEls()) {
      const key = tileEl._ltxTile.key;
      tileEl.classList.toggle("ltx-pick-a", pick.a === key);
      tileEl.classList.toggle("ltx-pick-b", pick.b === key);
    }
  }

  function closeAB() {
    if (ab) ab.dispose();
    ab = null;
    abHost.replaceChildren();
    pick = { a: null, b: null };
    paintPicks();
    abHint.hidden = false;
  }

  function setPick(which, key) {
    const other = which === "a" ? "b" : "a";
    pick[which] = pick[which] === key ? null : key;
    if (pick[other] === pick[which]) pick[other] = null;
    paintPicks();
    const byKey = Object.fromEntries(tilesData().map((x) => [x.key, x]));
    const a = byKey[pick.a];
    const b = byKey[pick.b];
    if (ab) ab.dispose();
    ab = null;
    abHost.replaceChildren();
    abHint.hidden = !!(a && b);
    if (a && b && !a.missing && !b.missing) {
      if (clips.playing) pause();
      ab = abView(a, b, resolve, { onClose: closeAB });
      abHost.append(ab.node);
      ab.node.focus({ preventScroll: true });
    }
  }

  // -- keyboard -------------------------------------------------------------------------------
  function visibleTiles() {
    return tileEls().filter((n) => !n.hidden);
  }

  function moveFocus(dx, dy) {
    const tiles = visibleTiles();
    if (!tiles.length) return;
    const cur = tiles.find((n) => n._ltxTile.key === focusKey);
    let next;
    if (!cur) next = tiles[0];
    else if (dx) next = tiles[Math.max(0, Math.min(tiles.length - 1, tiles.indexOf(cur) + dx))];
    else next = nearestTile(tiles, cur, dy);
    focusKey = next._ltxTile.key;
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  const onKey = (e) => {
    if (!root.contains(e.target) || e.target.closest(".ltx-ab")) return; // the A/B has its own
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("textarea, input, select")) return;
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (e.key === " ") (clips.playing ? pause : play)();
    else if (e.key === ",") step(-1);
    else if (e.key === ".") step(1);
    else if (moves[e.key]) moveFocus(...moves[e.key]);
    else if ((e.key === "a" || e.key === "b") && focusKey) setPick(e.key, focusKey);
    else if (e.key === "Enter" && e.target._ltxTile) e.target.querySelector(".ltx-prompt").click();
    else if (e.key === "Escape" && ab) closeAB();
    else return;
    e.preventDefault();
    e.stopImmediatePropagation(); // not the notebook's shortcuts (a/b insert cells, arrows…)
  };
  listenKeys(onKey);

  // -- building -------------------------------------------------------------------------------
  function build() {
    pause();
    closeAB();
    videos = [];
    if (observer) observer.disconnect();
    observer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver(
            (entries) => {
              for (const entry of entries) {
                if (entry.isIntersecting) {
                  load(entry.target);
                  observer.unobserve(entry.target);
                }
              }
            },
            { rootMargin: "400px 0px" },
          )
        : null;
    root.style.maxWidth = model.get("width") || "100%";
    root.style.setProperty("--ltx-min-tile", `${model.get("min_tile") || 220}px`);
    resolve = resolver(model, model.get("_home") || "");
    const tiles = tilesData();
    tiles.forEach((x, i) => (x._order = i));
    const rows = model.get("rows") || [];
    const cols = model.get("cols") || [];
    const hasRow = model.get("row_param") != null;
    const hasCol = model.get("col_param") != null;
    grid.replaceChildren();
    sorted.replaceChildren();
    grid.className = "ltx-grid";
    grid.style.gridTemplateColumns = "";
    if (!tiles.length) {
      grid.append(h("div", { class: "ltx-empty", text: "No jobs to show." }));
    } else if (!hasRow && !hasCol) {
      grid.classList.add("ltx-flat");
      for (const tile of tiles) grid.append(tileNode(tile));
      for (const n of grid.children) n._ltxHome = grid;
    } else {
      const ncols = Math.max(1, cols.length);
      grid.style.gridTemplateColumns = (hasRow ? "max-content " : "") + `repeat(${ncols}, minmax(0, 1fr))`;
      if (hasCol) {
        if (hasRow) {
          const name = (p) => String(p).replace(/_/g, " ");
          grid.append(
            h("div", { class: "ltx-corner" }, h("div", { text: `${name(model.get("col_param"))} →` }), h("div", { text: `${name(model.get("row_param"))} ↓` })),
          );
        }
        for (const c of cols) grid.append(h("div", { class: "ltx-colhead", text: c }));
      }
      const nrows = Math.max(1, rows.length);
      const byCell = new Map();
      for (const tile of tiles) {
        const k = `${tile.row}:${tile.col}`;
        if (!byCell.has(k)) byCell.set(k, []);
        byCell.get(k).push(tile);
      }
      for (let r = 0; r < nrows; r++) {
        if (hasRow) grid.append(h("div", { class: "ltx-rowhead", text: rows[r] }));
        for (let c = 0; c < ncols; c++) {
          const cell = h("div", { class: "ltx-cell" });
          for (const tile of byCell.get(`${r}:${c}`) || []) {
            const node = tileNode(tile);
            node._ltxHome = cell;
            cell.append(node);
          }
          if (!cell.childElementCount) cell.classList.add("ltx-cell-empty");
          grid.append(cell);
        }
      }
    }
    tileNodes = [...grid.querySelectorAll(".ltx-tile")];
    fillTools();
    arrange();
    paintStars();
    message.textContent = model.get("message") || "";
    show();
  }

  model.on("change:tiles", build);
  model.on("change:rows", build);
  model.on("change:cols", build);
  model.on("change:width", () => (root.style.maxWidth = model.get("width") || "100%"));
  model.on("change:min_tile", () => root.style.setProperty("--ltx-min-tile", `${model.get("min_tile") || 220}px`));
  model.on("change:ratings", () => {
    paintStars();
    if (sortSel.value === "rating" || ratingSel.value !== "") arrange();
  });
  model.on("change:notes", paintNotes);
  model.on("change:message", () => (message.textContent = model.get("message") || ""));
  build();
  const unkeep = keepStaticSoon(model);

  return () => {
    unkeep();
    unlistenKeys(onKey);
    clips.dispose();
    if (observer) observer.disconnect();
    if (ab) ab.dispose();
    for (const id of Object.values(noteTimers)) clearTimeout(id);
  };
}

export default { render };
