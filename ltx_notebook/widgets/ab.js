// Shared by the gallery and the A/B compare widget (the Python side joins this file, after
// sync.js, in front of each one's module, as anywidget takes one ES module): the helpers
// both need, the URL resolver for local files, and the A/B view of two clips, frame-locked.

const STARS = 5;
// Icons as inline SVG: media-control glyphs (⏮ ❚❚) are missing from many fonts.
const svg = (d) =>
  `<svg viewBox="0 0 16 16" width="11" height="11" aria-hidden="true"><path d="${d}" fill="currentColor"/></svg>`;
const ICON = {
  play: svg("M4 2l10 6-10 6z"),
  pause: svg("M3 2h4v12H3zM9 2h4v12H9z"),
  restart: svg("M2 2h2v12H2zM14 2v12L5 8z"),
  back: svg("M10 2v12L3 8zM11 2h2v12h-2z"),
  fwd: svg("M6 2v12l7-6zM3 2h2v12H3z"),
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

// Keys are taken on the window, in the capture phase: before the notebook's own shortcuts
// see them (Notebook 7 handles a/b/arrows before an output's listeners would), and only
// when the key was pressed inside the view.
function listenKeys(handler) {
  window.addEventListener("keydown", handler, true);
}

function unlistenKeys(handler) {
  window.removeEventListener("keydown", handler, true);
}

function iconButton(cls, icon, label, title) {
  const b = h("button", { class: cls, type: "button", title, "aria-label": label });
  b.innerHTML = ICON[icon];
  return b;
}

// -- where files are served ------------------------------------------------------------
// JupyterLab and Notebook 7 serve files under <baseUrl>files/<path below the server root>.
// Widget output gets none of the front end's URL rewriting, and a relative src resolves
// against the page: /lab/... in Lab, /notebooks/... in Notebook 7 (which serves nothing
// there). So resolve as Lab's own resolver does: the absolute path under the server root
// when the page says where that is, else the path relative to the notebook's folder (the
// kernel's working directory, where relative srcs start).
function pageConfig() {
  const el = document.getElementById("jupyter-config-data");
  if (!el) return null;
  try {
    return JSON.parse(el.textContent || "{}");
  } catch {
    return null;
  }
}

function notebookDir(model) {
  try {
    const path = model.widget_manager?.context?.path;
    if (typeof path === "string" && path.includes("/")) return path.slice(0, path.lastIndexOf("/"));
    if (typeof path === "string") return "";
  } catch {
    /* not a Jupyter notebook page */
  }
  return null;
}

function resolver(model, home) {
  const cfg = pageConfig();
  if (!cfg) return (src) => src; // not Jupyter (VS Code, Colab): data URIs or as given
  const base = String(cfg.baseUrl || "/").replace(/\/?$/, "/");
  const enc = (p) => p.split("/").filter(Boolean).map(encodeURIComponent).join("/");
  let root = cfg.serverRoot ? String(cfg.serverRoot).replace(/\\/g, "/") : null;
  if (root && (root === "~" || root.startsWith("~/"))) root = home + root.slice(1);
  if (root) root = root.replace(/\/+$/, "");
  const dir = notebookDir(model);
  return (src, paths) => {
    if (!src || src.startsWith("data:") || /^[a-z]+:/i.test(src)) return src;
    if (root !== null) {
      for (const p of paths || []) {
        if (root === "" || p.startsWith(root + "/")) return `${base}files/${enc(p.slice(root.length + 1))}`;
      }
    }
    if (dir !== null && !src.startsWith("/")) {
      const parts = (dir ? dir.split("/") : []).concat(src.split("/"));
      const out = [];
      for (const part of parts) {
        if (part === "..") {
          if (!out.length) return null; // above the server root: cannot be served
          out.pop();
        } else if (part && part !== ".") out.push(part);
      }
      return `${base}files/${enc(out.join("/"))}`;
    }
    return root !== null ? null : src;
  };
}

// -- A/B: two clips frame-locked --------------------------------------------------------
// `a` and `b`: {id, heading, prompt, src, paths, poster, poster_paths, fps, aspect,
// params: {name: label}, stats}. The longer leads (sync.js); the other is pulled onto its
// frame on every painted frame (requestVideoFrameCallback where the browser has it), and
// frame steps set both to the middle of the same frame, so a paused pair always shows the
// same frame index.
function paramRows(a, b) {
  const names = [...new Set([...Object.keys(a.params || {}), ...Object.keys(b.params || {})])];
  const rows = names.map((n) => [n, (a.params || {})[n] ?? "—", (b.params || {})[n] ?? "—"]);
  if (a.prompt !== b.prompt) rows.splice(1, 0, ["prompt", a.prompt, b.prompt]);
  rows.push(["result", a.stats || "", b.stats || ""]);
  return { diff: rows.filter((r) => r[1] !== r[2]), same: rows.filter((r) => r[1] === r[2]) };
}

function abView(a, b, resolve, { onClose } = {}) {
  const fps = a.fps || b.fps || 24;
  const frame = 1 / fps;
  let mode = "side";
  const mk = (clip, which) => {
    const v = h("video", {
      class: `ltx-ab-video ltx-ab-${which}`,
      muted: true,
      playsinline: true,
      preload: "auto",
      loop: true,
      poster: clip.poster ? resolve(clip.poster, clip.poster_paths) || undefined : undefined,
      src: resolve(clip.src, clip.paths) || undefined,
      title: clip.prompt,
    });
    v.muted = true;
    return v;
  };
  const va = mk(a, "a");
  const vb = mk(b, "b");
  const label = (clip, which) =>
    h("div", { class: `ltx-ab-label ltx-ab-label-${which}` }, h("b", { text: which.toUpperCase() }), h("span", { text: ` ${clip.heading}` }));

  const sideBtn = h("button", { class: "ltx-ab-mode", type: "button", "data-mode": "side", text: "Side by side" });
  const wipeBtn = h("button", { class: "ltx-ab-mode", type: "button", "data-mode": "wipe", text: "Wipe" });
  const playBtn = iconButton("ltx-ab-play", "play", "play both", "Play / pause both (space)");
  const backBtn = iconButton("ltx-ab-back", "back", "previous frame", "Previous frame (,)");
  const fwdBtn = iconButton("ltx-ab-fwd", "fwd", "next frame", "Next frame (.)");
  const scrub = h("input", { class: "ltx-ab-scrub", type: "range", min: 0, max: 1, step: 0.001, value: 0, "aria-label": "time of both clips" });
  const time = h("span", { class: "ltx-ab-time" });
  const closeBtn = onClose ? h("button", { class: "ltx-ab-close", type: "button", title: "Close the comparison", text: "✕" }) : null;
  const bar = h("div", { class: "ltx-ab-bar" }, sideBtn, wipeBtn, playBtn, backBtn, fwdBtn, scrub, time, closeBtn);

  const wipe = h("input", { class: "ltx-ab-wipe", type: "range", min: 0, max: 100, step: 0.1, value: 50, "aria-label": "wipe position" });
  const line = h("div", { class: "ltx-ab-line" });
  const paneA = h("div", { class: "ltx-ab-pane ltx-ab-pane-a" }, va, label(a, "a"));
  const paneB = h("div", { class: "ltx-ab-pane ltx-ab-pane-b" }, vb, label(b, "b"));
  const stage = h("div", { class: "ltx-ab-stage", style: `--ltx-aspect:${a.aspect || 16 / 9}` }, paneA, paneB, line, wipe);

  const { diff, same } = paramRows(a, b);
  const row = (r, cls) => h("tr", { class: cls }, h("th", { text: r[0].replace(/_/g, " ") }), h("td", { text: r[1] }), h("td", { text: r[2] }));
  const table = h(
    "table",
    { class: "ltx-ab-params" },
    h("thead", {}, h("tr", {}, h("th", { text: diff.length ? "differs" : "no differences" }), h("th", { text: `A · #${a.id}` }), h("th", { text: `B · #${b.id}` }))),
    h("tbody", {}, ...diff.map((r) => row(r, "ltx-ab-diff")), ...same.map((r) => row(r, "ltx-ab-same"))),
  );
  const node = h("div", { class: "ltx-ab", tabindex: 0, "data-mode": mode, "data-lm-suppress-shortcuts": "true" }, bar, h("div", { class: "ltx-ab-body" }, stage, table));

  const known = (v) => (Number.isFinite(v.duration) && v.duration > 0 ? v.duration : 0);
  const dur = () => Math.max(known(va), known(vb)) || a.duration || b.duration || 1;
  // Frame-locked (sync.js): the follower is pulled when more than half a frame off.
  const clips = syncedClips({ videos: () => [va, vb], fps: () => fps, span: dur, tolerance: () => frame / 2, onChange: show });
  const { play, pause, seek, step } = clips;
  function show() {
    const t = clips.time;
    scrub.max = String(dur());
    scrub.value = String(t);
    time.textContent = `${clock(t)} / ${clock(dur())} · frame ${Math.floor(t * fps + 1e-6) + 1}`;
    playBtn.innerHTML = clips.playing ? ICON.pause : ICON.play;
    playBtn.setAttribute("aria-label", clips.playing ? "pause both" : "play both");
  }
  for (const v of [va, vb]) {
    if (typeof v.requestVideoFrameCallback !== "function") continue;
    const onFrame = () => {
      clips.pull();
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  }
  function setMode(m) {
    mode = m;
    node.dataset.mode = m;
    sideBtn.setAttribute("aria-pressed", String(m === "side"));
    wipeBtn.setAttribute("aria-pressed", String(m === "wipe"));
    setWipe(Number(wipe.value));
  }
  function setWipe(pct) {
    stage.style.setProperty("--ltx-wipe", `${pct}%`);
  }
  sideBtn.addEventListener("click", () => setMode("side"));
  wipeBtn.addEventListener("click", () => setMode("wipe"));
  playBtn.addEventListener("click", () => (clips.playing ? pause() : play()));
  backBtn.addEventListener("click", () => step(-1));
  fwdBtn.addEventListener("click", () => step(1));
  scrub.addEventListener("input", () => seek(Number(scrub.value)));
  wipe.addEventListener("input", () => setWipe(Number(wipe.value)));
  if (closeBtn) closeBtn.addEventListener("click", () => onClose());
  for (const v of [va, vb]) v.addEventListener("loadedmetadata", () => clips.place(v));
  const onKey = (e) => {
    if (!node.contains(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("input[type=text], input[type=search], textarea, select")) return;
    if (e.key === " ") (clips.playing ? pause : play)();
    else if (e.key === ",") step(-1);
    else if (e.key === ".") step(1);
    else return;
    e.preventDefault();
    e.stopImmediatePropagation();
  };
  listenKeys(onKey);
  setMode("side");
  show();
  return {
    node,
    play,
    pause,
    step,
    setMode,
    dispose() {
      unlistenKeys(onKey);
      clips.dispose();
    },
  };
}
