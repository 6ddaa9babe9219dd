// Clips played as one, shared by the gallery's grid and the A/B view (the Python side
// joins this file in front of ab.js): one clock, led by the longest loaded clip. While
// playing, every other clip is pulled onto the leader's time when it drifts more than
// `tolerance()` seconds (a shorter clip loops). A pause, a seek or a frame step puts every
// clip on the middle of the same frame, so their decoders show the same frame index.
//
// `videos()`: the <video> elements in the group now; `fps()`: frames per second;
// `span()`: the group's length in seconds; `onChange()`: repaint the controls.
function syncedClips({ videos, fps, span, tolerance, onChange }) {
  let t = 0;
  let playing = false;
  let raf = 0;
  const dur = (v) => (Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null);
  const at = (v, s) => {
    const d = dur(v);
    return d ? s % d : s;
  };
  const leader = () => {
    let best = null;
    for (const v of videos()) if (dur(v) && (!best || dur(v) > dur(best))) best = v;
    return best || videos()[0] || null;
  };

  // Every follower onto the leader's time (also per painted frame, where the view asks).
  function pull() {
    const lead = leader();
    if (lead && !lead.seeking) t = lead.currentTime;
    for (const v of videos()) {
      const d = dur(v);
      if (v === lead || !d || v.seeking || v.readyState < 1) continue;
      const off = Math.abs(v.currentTime - at(v, t));
      if (Math.min(off, d - off) > tolerance()) v.currentTime = at(v, t); // drifted: pull back
      if (playing && v.paused) v.play().catch(() => {});
    }
  }

  function tick() {
    pull();
    onChange();
    if (playing) raf = requestAnimationFrame(tick);
  }

  function seek(s) {
    // The middle of a frame, so every decoder lands on the same one.
    const f = 1 / fps();
    const n = Math.max(0, Math.min(Math.floor(Math.max(0, s) / f + 1e-6), Math.floor(span() / f) - 1));
    t = (n + 0.5) * f;
    for (const v of videos()) if (v.readyState >= 1) v.currentTime = at(v, t);
    onChange();
  }

  function play() {
    playing = true;
    for (const v of videos()) {
      v.muted = true;
      if (v.readyState >= 1) v.currentTime = at(v, t);
      v.play().catch(() => {});
    }
    cancelAnimationFrame(raf);
    raf = requestAnimationFrame(tick);
    onChange();
  }

  function stop() {
    playing = false;
    cancelAnimationFrame(raf);
    for (const v of videos()) v.pause();
  }

  function pause() {
    stop();
    const lead = leader();
    if (lead) t = lead.currentTime;
    seek(t); // line every clip up on the leader's frame
  }

  function step(n) {
    if (playing) pause();
    seek(t + n / fps());
  }

  return {
    play,
    pause,
    seek,
    step,
    pull,
    dispose: stop,
    // A clip that has just loaded joins at the group's time.
    place: (v) => {
      v.currentTime = at(v, t);
      onChange();
    },
    get time() {
      return t;
    },
    get playing() {
      return playing;
    },
  };
}
