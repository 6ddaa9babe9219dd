// The saved notebook keeps a view's static form, and its last state (the Python side joins
// this file in front of the widget's module). The model has `_self_id` (the model id of the
// view whose output is kept: the widget's own, or a panel's for its keeper) and `_static`
// (the static HTML of the current state).
//
// ipywidgets' renderer shows "Error displaying widget: model not found" for a saved view
// whose model is gone (a reopened notebook, with or without a kernel). JupyterLab 4 and
// Notebook 7 save a notebook from its shared model (the Yjs document), which the page's
// output models write into. So once the live view is up, rewrite this output in the
// shared model without the widget view, as the page's own output syncing does: origin
// "silent-change", which the cell's model does not echo back, so the page keeps drawing
// the live widget while the file keeps the text/html beside it. Each new `_static` is
// written again (the output is found by the view id left in its metadata), so the file
// always holds what the live view shows last, not its first state.
const WIDGET_MIME = "application/vnd.jupyter.widget-view+json";
const SAVED_VIEW = "ltx_notebook_view";

function keepStaticInSavedNotebook(model) {
  const id = model.get("_self_id");
  const nb = model.widget_manager?.context?.model;
  if (!id || !nb || !nb.cells) return false;
  const html = model.get("_static");
  let done = false;
  for (const cell of nb.cells) {
    const shared = cell.sharedModel;
    if (!shared || typeof shared.getOutputs !== "function" || typeof shared.updateOutputs !== "function") continue;
    shared.getOutputs().forEach((out, i) => {
      const data = out && out.data;
      if (!data) return;
      const view = data[WIDGET_MIME];
      const mine = (view && view.model_id === id) || (out.metadata && out.metadata[SAVED_VIEW] === id);
      if (!mine || !(html || data["text/html"])) return;
      done = true;
      if (!view && (!html || data["text/html"] === html)) return; // already the latest
      const kept = { ...out, data: { ...data }, metadata: { ...(out.metadata || {}), [SAVED_VIEW]: id } };
      delete kept.data[WIDGET_MIME];
      if (html) kept.data["text/html"] = html;
      shared.updateOutputs(i, i + 1, [kept], "silent-change");
    });
  }
  return done;
}

function keepStaticSoon(model) {
  // The output model may be filled a moment after the view renders: try a few times.
  let tries = 0;
  const attempt = () => {
    if (keepStaticInSavedNotebook(model) || ++tries > 20) return;
    setTimeout(attempt, 250);
  };
  setTimeout(attempt, 0);
  const again = () => keepStaticInSavedNotebook(model);
  model.on("change:_static", again);
  return () => model.off("change:_static", again);
}
