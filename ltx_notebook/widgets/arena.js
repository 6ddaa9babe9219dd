// The arena (anywidget ES module; sync.js, saved.js and ab.js are joined in front): two clips of one
// prompt side by side, blind, played frame-locked as in the A/B view. Keys while the view
// has focus: ← left is better, → right is better, ↓ or t a tie, s skip, space plays.
// A vote goes to Python as a message with the pair's token; Python reveals the settings
// and sends the next pair.

const VOTE_KEYS = { ArrowLeft: "left", ArrowRight: "right", ArrowDown: "tie", t: "tie", s: "skip" };

function render({ model, el }) {
  const root = h("div", { class: "ltx-ab ltx-arena", tabindex: 0, "aria-label": "LTX arena", "data-lm-suppress-shortcuts": "true" });
  el.append(root);
  const resolve = resolver(model, model.get("_home") || "");
  let clips = null;
  let videos = [];

  const playBtn = iconButton("ltx-ab-play", "play", "play both", "Play / pause both (space)");
  const backBtn = iconButton("ltx-ab-back", "back", "previous frame", "Previous frame (,)");
  const fwdBtn = iconButton("ltx-ab-fwd", "fwd", "next frame", "Next frame (.)");
  const scrub = h("input", { class: "ltx-ab-scrub", type: "range", min: 0, max: 1, step: 0.001, value: 0, "aria-label": "time of both clips" });
  const time = h("span", { class: "ltx-ab-time" });
  const bar = h("div", { class: "ltx-ab-bar" }, playBtn, backBtn, fwdBtn, scrub, time);
  const voteBtn = (outcome, text, title) =>
    h("button", { class: `ltx-arena-vote ltx-arena-${outcome}`, type: "button", "data-vote": outcome, title, text, onclick: () => vote(outcome) });
  const votes = h(
    "div",
    { class: "ltx-arena-votes" },
    voteBtn("left", "← Left is better", "Left is better (←)"),
    voteBtn("tie", "Tie (↓)", "As good as each other (↓ or t)"),
    voteBtn("skip", "Skip (s)", "Cannot judge this pair (s)"),
    voteBtn("right", "Right is better →", "Right is better (→)"),
  );
  const prompt = h("div", { class: "ltx-arena-prompt" });
  const stage = h("div", { class: "ltx-ab-stage" });
  const reveal = h("div", { class: "ltx-arena-reveal", role: "status" });
  const status = h("div", { class: "ltx-arena-status" });
  root.append(bar, prompt, stage, votes, reveal, status);

  const known = (v) => (Number.isFinite(v.duration) && v.duration > 0 ? v.duration : 0);
  function show() {
    if (!clips) return;
    const pair = model.get("pair") || {};
    const dur = Math.max(0, ...videos.map(known)) || (pair.left && pair.left.duration) || 1;
    const t = clips.time;
    const fps = (pair.left && pair.left.fps) || 24;
    scrub.max = String(dur);
    scrub.value = String(t);
    time.textContent = `${clock(t)} / ${clock(dur)} · frame ${Math.floor(t * fps + 1e-6) + 1}`;
    playBtn.innerHTML = clips.playing ? ICON.pause : ICON.play;
  }

  function build() {
    if (clips) clips.dispose();
    clips = null;
    videos = [];
    stage.replaceChildren();
    const pair = model.get("pair") || {};
    root.dataset.token = pair.token || "";
    const open = Boolean(pair.token);
    for (const b of votes.querySelectorAll("button")) b.disabled = !open;
    prompt.textContent = open ? pair.prompt || "" : "";
    if (!open) {
      stage.append(h("div", { class: "ltx-arena-empty", text: model.get("message") || "No pair to compare." }));
      return;
    }
    const pane = (clip, side) => {
      const v = h("video", {
        class: `ltx-ab-video ltx-arena-${side}-video`,
        muted: true,
        playsinline: true,
        preload: "auto",
        loop: true,
        poster: clip.poster ? resolve(clip.poster, clip.poster_paths) || undefined : undefined,
        src: resolve(clip.src, clip.paths) || undefined,
      });
      v.muted = true;
      videos.push(v);
      const label = h("div", { class: `ltx-ab-label ltx-ab-label-${side === "left" ? "a" : "b"}` }, h("b", { text: side === "left" ? "LEFT" : "RIGHT" }));
      return h("div", { class: `ltx-ab-pane ltx-arena-pane-${side}`, style: `--ltx-aspect:${clip.aspect || 16 / 9}` }, v, label);
    };
    stage.append(pane(pair.left, "left"), pane(pair.right, "right"));
    const fps = pair.left.fps || pair.right.fps || 24;
    clips = syncedClips({
      videos: () => videos,
      fps: () => fps,
      span: () => Math.max(0, ...videos.map(known)) || pair.left.duration || 1,
      tolerance: () => 0.5 / fps,
      onChange: show,
    });
    for (const v of videos) v.addEventListener("loadedmetadata", () => clips && clips.place(v));
    show();
  }

  function showReveal() {
    const r = model.get("revealed") || {};
    reveal.replaceChildren();
    if (!r.left) return;
    const side = (name) => {
      const won = r.outcome === name;
      return h(
        "span",
        { class: `ltx-arena-side${won ? " ltx-arena-won" : ""}` },
        h("b", { text: name === "left" ? "Left" : "Right" }),
        h("span", { text: ` ${r[name].heading}` }),
      );
    };
    const verdict = { left: "you picked left", right: "you picked right", tie: "a tie", skip: "skipped" }[r.outcome] || r.outcome;
    reveal.append(h("span", { class: "ltx-arena-verdict", text: `Last pair (${verdict}): ` }), side("left"), h("span", { text: " vs " }), side("right"));
  }

  function showStatus() {
    const n = model.get("votes_cast") || 0;
    const said = model.get("message");
    status.textContent = `${n} vote${n === 1 ? "" : "s"} in this arena · settings stay hidden until you vote${said ? ` · ${said}` : ""}`;
  }

  function vote(outcome) {
    const token = root.dataset.token;
    if (!token) return;
    root.dataset.token = ""; // one vote per pair, however fast the keys
    for (const b of votes.querySelectorAll("button")) b.disabled = true;
    model.send({ vote: outcome, token });
  }

  playBtn.addEventListener("click", () => clips && (clips.playing ? clips.pause() : clips.play()));
  backBtn.addEventListener("click", () => clips && clips.step(-1));
  fwdBtn.addEventListener("click", () => clips && clips.step(1));
  scrub.addEventListener("input", () => clips && clips.seek(Number(scrub.value)));
  const onKey = (e) => {
    if (!root.contains(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest("input[type=text], textarea, select")) return;
    if (VOTE_KEYS[e.key]) vote(VOTE_KEYS[e.key]);
    else if (e.key === " " && clips) (clips.playing ? clips.pause : clips.play)();
    else if (e.key === "," && clips) clips.step(-1);
    else if (e.key === "." && clips) clips.step(1);
    else return;
    e.preventDefault();
    e.stopImmediatePropagation();
  };
  listenKeys(onKey);

  model.on("change:pair", build);
  model.on("change:revealed", showReveal);
  model.on("change:votes_cast", showStatus);
  model.on("change:message", showStatus);
  build();
  showReveal();
  showStatus();
  // saved.js: the saved notebook keeps the ranking, rewritten after every vote.
  const unkeep = keepStaticSoon(model);
  return () => {
    unkeep();
    unlistenKeys(onKey);
    if (clips) clips.dispose();
  };
}

export default { render };
