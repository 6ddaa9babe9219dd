// Plays, pauses and seeks every clip of a report together; the page works without it.
(() => {
  const vs = [...document.querySelectorAll('.ltx-static video')];
  if (!vs.length) return;
  const bar = document.createElement('div'); bar.className = 'ltx-sync';
  bar.innerHTML = '<button type="button">Play all</button>' +
    '<input type="range" min="0" step="0.01" value="0" aria-label="time of every clip">' +
    '<span>0.0 s</span>';
  const [btn, range, clock] = bar.children;
  document.querySelector('.ltx-static').before(bar);
  const dur = (v) => (isFinite(v.duration) && v.duration > 0 ? v.duration : null);
  const at = (v, t) => { const d = dur(v); return d ? t % d : t; };
  const lead = () => vs.reduce((a, v) => (dur(v) || 0) > (dur(a) || 0) ? v : a, vs[0]);
  let playing = false, raf = 0;
  const span = () => { range.max = Math.max(...vs.map((v) => dur(v) || 0)) || 1; };
  vs.forEach((v) => v.addEventListener('loadedmetadata', span));
  // Long grids load nothing up front (preload="none"); reaching for the bar loads
  // every clip's metadata, so the scrubber knows how long they are.
  const ready = () => vs.forEach((v) => { if (v.preload === 'none') v.preload = 'metadata'; });
  ['pointerenter', 'focusin'].forEach((e) => bar.addEventListener(e, ready, {once: true}));
  const seek = (t) => { vs.forEach((v) => { v.currentTime = at(v, t); }); show(t); };
  const show = (t) => { range.value = t; clock.textContent = t.toFixed(1) + ' s'; };
  const tick = () => {
    const t = lead().currentTime;
    vs.forEach((v) => { const d = dur(v), want = at(v, t);
      if (d && !v.seeking && Math.min(Math.abs(v.currentTime - want),
          d - Math.abs(v.currentTime - want)) > 0.25) v.currentTime = want; });
    show(t); if (playing) raf = requestAnimationFrame(tick);
  };
  btn.onclick = () => {
    playing = !playing; btn.textContent = playing ? 'Pause all' : 'Play all';
    if (playing) { const t = Number(range.value); vs.forEach((v) => { v.muted = true;
      v.currentTime = at(v, t); v.play().catch(() => {}); }); tick(); }
    else { cancelAnimationFrame(raf); vs.forEach((v) => v.pause()); seek(lead().currentTime); }
  };
  range.oninput = () => seek(Number(range.value));
  span();
})();
