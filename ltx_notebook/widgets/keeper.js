// The keeper of a stock-ipywidgets panel (saved.js is joined in front): draws nothing, and
// keeps the panel's output in the saved notebook as the panel's static HTML, current.

function render({ model, el }) {
  el.style.display = "none";
  return keepStaticSoon(model);
}

export default { render };
