// The A/B compare widget (anywidget ES module; ab.js is joined in front of it): two clips
// frame-locked, side by side or as a wipe, with their params' differences beside them.

function render({ model, el }) {
  let view = null;
  function build() {
    if (view) view.dispose();
    el.replaceChildren();
    const resolve = resolver(model, model.get("_home") || "");
    view = abView(model.get("a"), model.get("b"), resolve);
    view.setMode(model.get("mode") || "side");
    el.append(view.node);
  }
  model.on("change:a", build);
  model.on("change:b", build);
  model.on("change:mode", () => view && view.setMode(model.get("mode") || "side"));
  build();
  const unkeep = keepStaticSoon(model);
  return () => {
    unkeep();
    if (view) view.dispose();
  };
}

export default { render };
