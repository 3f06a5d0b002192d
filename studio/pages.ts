/** The studio's pages as HTML: one shell (style, navigation, the bundle), a body per page. */

/** The pages, by file name (as a static site writes them; the server also answers `/live`). */
export type PageName = "index" | "sweep" | "run" | "live";

const STYLE = `
  :root { color-scheme: light; --ink: #222; --muted: #666; --line: #ddd; --accent: #1f6feb; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: var(--ink); }
  header { display: flex; gap: 1.2rem; align-items: baseline; padding: 0.8rem 2rem;
    border-bottom: 1px solid var(--line); }
  header a { color: var(--ink); text-decoration: none; }
  header .brand { font-weight: 700; font-size: 1.1rem; }
  main { padding: 1rem 2rem 3rem; }
  h1 { font-size: 1.35rem; margin: 0.4rem 0 0.8rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 0.5rem; }
  .muted { color: var(--muted); }
  .error { color: #b3261e; font-weight: 600; }
  table { border-collapse: collapse; }
  th, td { text-align: left; padding: 0.3rem 0.8rem 0.3rem 0; border-bottom: 1px solid var(--line);
    vertical-align: middle; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .thumbs { display: flex; gap: 1px; }
  .thumbs img { width: 28px; height: 28px; image-rendering: pixelated; border: 1px solid #eee; }
  /* Records' PNGs are MNIST's white ink on black; the studio shows ink dark on paper throughout. */
  .thumbs img, .board img, #card img.record { filter: invert(1); }
  #card img.record { border: none; }
  canvas.digit, img.digit { image-rendering: pixelated; border: 1px solid #ccc; background: #fff; }
  form { display: flex; gap: 0.8rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
  label { display: flex; flex-direction: column; font-size: 0.8rem; color: var(--muted); }
  input, select, button { font: inherit; padding: 0.2rem 0.3rem; }
  input { width: 6rem; }
  .row { display: flex; gap: 2rem; align-items: flex-start; flex-wrap: wrap; }
  .bars { width: 300px; }
  .bar { display: flex; align-items: center; gap: 0.5rem; height: 24px; }
  .bar .label { width: 1rem; text-align: right; font-weight: 600; }
  .bar .track { flex: 1; height: 14px; background: #eee; }
  .bar .fill { display: block; height: 100%; background: #8a9bb0; }
  .bar.target .fill { background: var(--accent); }
  .bar .value { width: 3.2rem; font-variant-numeric: tabular-nums; font-size: 0.85rem; }
  .status { font-variant-numeric: tabular-nums; min-height: 1.4em; }
  .board { display: grid; gap: 2px; align-items: center; margin-bottom: 0.6rem; }
  .board .col, .board .rowlabel { font-size: 0.75rem; color: var(--muted); text-align: center; }
  .board .rowlabel { font-weight: 700; color: var(--ink); padding-right: 0.3rem; }
  .board a { display: block; line-height: 0; border: 2px solid transparent; }
  .board img { width: 42px; height: 42px; image-rendering: pixelated; }
  .board a.failed { border-color: #e8a33d; }
  .board a:hover, .board a:focus { border-color: var(--accent); }
  .facets { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.4rem 0 1rem; }
  .facets button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
  #card { position: fixed; display: none; z-index: 10; background: #fff; border: 1px solid #bbb;
    box-shadow: 0 4px 18px rgba(0,0,0,.15); padding: 0.7rem 0.9rem; width: 330px; font-size: 0.85rem; }
  #card .pair { display: flex; gap: 0.8rem; align-items: flex-end; }
  #card .pair figure { margin: 0; display: flex; flex-direction: column; align-items: center;
    gap: 0.2rem; max-width: 150px; text-align: center; font-size: 0.75rem; color: var(--muted); }
  #card dl { display: grid; grid-template-columns: auto 1fr; gap: 0 0.8rem; margin: 0.5rem 0; }
  #card dt { color: var(--muted); }
  #card dd { margin: 0; font-variant-numeric: tabular-nums; }
  svg.chart text { font: 11px system-ui, sans-serif; fill: var(--muted); }
  #pad { touch-action: none; cursor: crosshair; }
  #figures > .figure { display: block !important; margin: 0.6rem 0 1.4rem; max-width: 100%;
    overflow-x: auto; }
`;

const NAV = `<header><a class="brand" href="index.html">identikit studio</a>
<a href="index.html">Sweeps &amp; models</a><a href="live.html">Live</a></header>`;

const BODIES: Record<PageName, { title: string; body: string }> = {
  index: {
    title: "identikit studio",
    body: `<h1>What does a network think a digit looks like?</h1>
<p class="muted">Every results folder and every trained model this studio serves. Open a sweep
to browse its runs, or watch the network draw live.</p>
<h2>Sweeps</h2><div id="sweeps"><p class="muted">Loading…</p></div>
<h2>Models</h2><div id="models"></div>`,
  },
  sweep: {
    title: "identikit · sweep",
    body: `<h1 id="title">Sweep</h1><p id="description" class="muted"></p>
<p id="summary" class="status"></p>
<div id="facets" class="facets" role="toolbar" aria-label="settings"></div>
<div id="boards"><p class="muted">Loading…</p></div>
<h2>Figures</h2><div id="figures"><p class="muted">Loading…</p></div>
<div id="card" role="tooltip"></div>`,
  },
  run: {
    title: "identikit · run",
    body: `<h1 id="title">Run</h1><p id="setting" class="muted"></p>
<div class="row">
  <figure><canvas id="recorded" class="digit" width="168" height="168"></canvas>
    <figcaption class="muted">the record's image</figcaption></figure>
  <div id="bars" class="bars"></div>
  <div id="numbers"></div>
</div>
<h2>Confidence per step</h2><div id="chart"></div>
<h2>Replay in this page</h2>
<p class="muted">The record's search run again from its seed, on onnxruntime-web.</p>
<p><button id="replay" type="button">Replay</button></p>
<div class="row">
  <figure><canvas id="replayed" class="digit" width="168" height="168"></canvas>
    <figcaption class="muted">the replay</figcaption></figure>
  <div id="replay-bars" class="bars"></div>
</div>
<p id="replay-status" class="status"></p>`,
  },
  live: {
    title: "identikit · live",
    body: `<h1>Live: the network draws a digit</h1>
<form id="form" method="get" action="live.html">
  <label>model <select name="model" id="model"><option>cnn</option></select></label>
  <label>digit <input name="digit" type="number" min="0" max="9" value="3"></label>
  <label>strategy <select name="strategy" id="strategy"></select></label>
  <label>objective <input name="objective" value="probability"></label>
  <label>seed <input name="seed" type="number" min="0" value="1"></label>
  <label>target <input name="target" type="number" step="any" min="0" max="1" value="0.99"></label>
  <input type="hidden" name="run" value="1">
  <button type="submit">Draw from blank</button>
</form>
<div class="row">
  <div>
    <canvas id="image" class="digit" width="280" height="280"></canvas>
    <p id="status" class="status">Choose a model, a digit, a strategy, a seed and a target.</p>
  </div>
  <div id="bars" class="bars"></div>
</div>
<h2>Start from your drawing</h2>
<p class="muted">Draw on the 28×28 pad (the network answers as you draw), then let the search
turn your drawing into the digit chosen above.</p>
<div class="row">
  <canvas id="pad" class="digit" width="280" height="280"></canvas>
  <div id="pad-bars" class="bars"></div>
  <div><button id="morph" type="button">Turn it into the digit</button>
    <button id="clear" type="button">Clear</button>
    <p id="pad-status" class="status"></p></div>
</div>
<h2>Bring your own model</h2>
<p class="muted">An ONNX classifier of 28×28 digits, described as in a config. It gets the CLI's
load-time checks.</p>
<form id="own">
  <label>file <input id="own-file" type="file" accept=".onnx" style="width:16rem"></label>
  <label>layout <select id="own-layout"><option value="">detect</option><option>NCHW</option>
    <option>NHWC</option><option>flat</option></select></label>
  <label>scale <select id="own-scale"><option value="0,1">[0, 1]</option>
    <option value="0,255">[0, 255]</option><option value="mnist">(x − 0.1307) / 0.3081</option></select></label>
  <label>output <select id="own-output"><option value="">detect</option><option>logits</option>
    <option>probabilities</option></select></label>
  <button id="own-load" type="button">Use this model</button>
</form>
<p id="own-status" class="status"></p>`,
  },
};

/** A page's whole HTML. */
export function pageHtml(page: PageName): string {
  const { title, body } = BODIES[page];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body data-page="${page}">
${NAV}
<main>
${body}
</main>
<script type="module" src="assets/app.js"></script>
</body>
</html>
`;
}

/** Every page. */
export const PAGE_NAMES: readonly PageName[] = ["index", "sweep", "run", "live"];
